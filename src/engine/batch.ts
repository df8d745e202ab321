// Runs encoded sequences through a model in padded batches. Padding goes to the longest row of each batch,
// not to a fixed length: masked positions do not change the other positions' outputs, and cost time.
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

/** For each row, each requested output's row of values (e.g. start logits over the row's positions). */
export async function runRows(model: LensModel, rows: readonly EncodedRow[], outputs: readonly string[], options: RunOptions = {}): Promise<Array<Record<string, Float32Array>>> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 4));
  const results: Array<Record<string, Float32Array>> = [];
  for (let first = 0; first < rows.length; first += batchSize) {
    options.signal?.throwIfAborted();
    const batch = rows.slice(first, first + batchSize);
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
      results.push(row);
    }
    options.onProgress?.(results.length, rows.length);
  }
  return results;
}
