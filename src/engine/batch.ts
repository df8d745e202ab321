// Runs encoded sequences through a model in padded batches. Padding goes to the longest row of each batch,
// not to a fixed length: masked positions do not change the other positions' outputs, and cost time. Rows
// are bucketed by length (longest first; a batch takes rows close to its longest in length), so a short
// window runs as a short sequence instead of being padded to a long neighbour's length.
import type { LensModel } from './model.js';

export interface EncodedRow {
  inputIds: readonly number[];
  segmentIds: readonly number[];
}

export interface RunOptions {
  /** rows per model run */
  batchSize?: number;
  /** called after each batch with rows done and total */
  onProgress?: (done: number, total: number) => void;
  /** checked between batches; an aborted run rejects with the signal's reason */
  signal?: AbortSignal;
}

/** A row joins a batch only if it is at least this fraction of the batch's longest row, or BUCKET_SLACK short of it. */
export const BUCKET_FILL = 0.875;
export const BUCKET_SLACK = 16;

/** Row indices grouped into batches: by length, longest first, at most batchSize, similar lengths together. */
export function bucketRows(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  for (const i of order) {
    const batch = batches.at(-1);
    if (batch && batch.length < batchSize && (lengths[i] >= BUCKET_FILL * lengths[batch[0]] || lengths[batch[0]] - lengths[i] <= BUCKET_SLACK)) batch.push(i);
    else batches.push([i]);
  }
  return batches;
}

/** For each row, each requested output's row of values (e.g. start logits over the row's positions). */
export async function runRows(model: LensModel, rows: readonly EncodedRow[], outputs: readonly string[], options: RunOptions = {}): Promise<Array<Record<string, Float32Array>>> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 4));
  const results = new Array<Record<string, Float32Array>>(rows.length);
  let done = 0;
  for (const indices of bucketRows(rows.map((r) => r.inputIds.length), batchSize)) {
    options.signal?.throwIfAborted();
    const batch = indices.map((i) => rows[i]);
    const seqLen = Math.max(...batch.map((r) => r.inputIds.length));
    const ids = new Int32Array(batch.length * seqLen).fill(model.tokenizer.padId);
    const mask = new Int32Array(batch.length * seqLen);
    const types = new Int32Array(batch.length * seqLen);
    batch.forEach((row, b) => {
      ids.set(row.inputIds, b * seqLen);
      mask.fill(1, b * seqLen, b * seqLen + row.inputIds.length);
      types.set(row.segmentIds, b * seqLen);
    });
    const feeds: Record<string, Int32Array> = { input_ids: ids };
    if (model.session.hasInput('attention_mask')) feeds.attention_mask = mask;
    if (model.session.hasInput('token_type_ids')) feeds.token_type_ids = types;
    const out = await model.session.run(feeds, batch.length, seqLen, outputs);
    for (let b = 0; b < batch.length; b++) {
      const row: Record<string, Float32Array> = {};
      for (const name of outputs) {
        const width = out[name].data.length / batch.length;
        row[name] = out[name].data.subarray(b * width, (b + 1) * width);
      }
      results[indices[b]] = row;
    }
    done += batch.length;
    options.onProgress?.(done, rows.length);
  }
  return results;
}
