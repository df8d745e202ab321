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

/**
 * Row indices split over `lanes` model sessions that run at once: rows go, longest first, to the lane with the
 * fewest tokens so far (so the lanes finish together: 9 windows over 2 lanes are two halves of similar token
 * counts), then each lane's rows are bucketed into its batches (bucketRows). Never more lanes than rows.
 */
export function splitRows(lengths: readonly number[], lanes: number, batchSize: number): number[][][] {
  const count = Math.max(1, Math.min(Math.floor(lanes), lengths.length));
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const members: number[][] = Array.from({ length: count }, () => []);
  const load = new Array<number>(count).fill(0);
  for (const i of order) {
    let lane = 0;
    for (let l = 1; l < count; l++) if (load[l] < load[lane]) lane = l;
    members[lane].push(i);
    load[lane] += lengths[i];
  }
  return members
    .filter((rows) => rows.length > 0)
    .map((rows) => bucketRows(rows.map((i) => lengths[i]), batchSize).map((batch) => batch.map((j) => rows[j])));
}

/**
 * For each row, each requested output's row of values (e.g. start logits over the row's positions). A session with
 * parallelism > 1 (several Web Workers) gets that many lanes of batches at once (splitRows); results keep the rows'
 * order either way.
 */
export async function runRows(model: LensModel, rows: readonly EncodedRow[], outputs: readonly string[], options: RunOptions = {}): Promise<Array<Record<string, Float32Array>>> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 4));
  const results = new Array<Record<string, Float32Array>>(rows.length);
  const session = model.session;
  let done = 0;
  const runBatch = async (indices: readonly number[]): Promise<void> => {
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
    if (session.hasInput('attention_mask')) feeds.attention_mask = mask;
    if (session.hasInput('token_type_ids')) feeds.token_type_ids = types;
    const out = await session.run(feeds, batch.length, seqLen, outputs);
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
  };

  const lengths = rows.map((r) => r.inputIds.length);
  const lanes = Math.floor(session.parallelism);
  if (!(lanes > 1) || rows.length < 2) {
    for (const indices of bucketRows(lengths, batchSize)) {
      options.signal?.throwIfAborted();
      await runBatch(indices);
    }
    return results;
  }
  // Lanes run their batches one after another, side by side. After a failure or an abort no lane starts another
  // batch, and the call settles only when the runs in flight have (a run cannot be stopped): the sessions are idle
  // again when the caller goes on.
  let failure: { reason: unknown } | undefined;
  await Promise.all(
    splitRows(lengths, lanes, batchSize).map(async (batches) => {
      for (const indices of batches) {
        if (failure) return;
        try {
          options.signal?.throwIfAborted();
          await runBatch(indices);
        } catch (reason) {
          // the first failure is the one reported (an abort, or the run that failed)
          failure ??= { reason };
        }
      }
    }),
  );
  if (failure) throw failure.reason;
  return results;
}
