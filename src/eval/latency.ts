// Per-window latency of a model: repeated trials after a warm-up, median and p95. Used by `lens bench`
// and by the benchmark harness (bench/), so both time the same inputs the same way.
import { runRows } from '../engine/batch.js';
import type { LensModel } from '../engine/model.js';

export interface Stats {
  median: number;
  p95: number;
  min: number;
  mean: number;
  n: number;
}

export function stats(ms: readonly number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95), min: s[0], mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

export async function time(fn: () => Promise<unknown>, trials: number): Promise<Stats> {
  const ms: number[] = [];
  for (let i = 0; i < trials; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return stats(ms);
}

/** Runs fn until `ms` have passed (WebAssembly and the JIT tier up over the first seconds of work). */
export async function warmUp(fn: () => Promise<unknown>, ms: number): Promise<{ ms: number; runs: number }> {
  const t = performance.now();
  let runs = 0;
  do {
    await fn();
    runs++;
  } while (performance.now() - t < ms);
  return { ms: performance.now() - t, runs };
}

/** Fixed token ids, the same in every runtime measured: [CLS] then ids cycling 1000..5999. */
export function benchIds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 101 : 1000 + (i % 5000)));
}

/** benchIds as one segment. */
export function tokenRow(n: number): { inputIds: number[]; segmentIds: number[] } {
  return { inputIds: benchIds(n), segmentIds: new Array<number>(n).fill(0) };
}

export interface LatencyOptions {
  trials: number;
  warmupMs: number;
  seqLens?: readonly number[];
  onResult?: (key: string, s: Stats) => void;
}

/** Median/p95 per window at each length (batch 1), and four of the longest in one batched run ("4xN"). */
export async function perWindowLatency(model: LensModel, options: LatencyOptions): Promise<Record<string, Stats>> {
  const outputs = model.task === 'qa' ? ['start_logits', 'end_logits'] : ['logits'];
  const lens = options.seqLens ?? [128, 256, 384];
  const longest = Math.max(...lens);
  await warmUp(() => runRows(model, [tokenRow(longest)], outputs), options.warmupMs);
  const out: Record<string, Stats> = {};
  for (const n of lens) {
    out[`${n}`] = await time(() => runRows(model, [tokenRow(n)], outputs), options.trials);
    options.onResult?.(`${n}`, out[`${n}`]);
  }
  const four = Array.from({ length: 4 }, () => tokenRow(longest));
  out[`4x${longest}`] = await time(() => runRows(model, four, outputs, { batchSize: 4 }), Math.max(2, Math.ceil(options.trials / 2)));
  options.onResult?.(`4x${longest}`, out[`4x${longest}`]);
  return out;
}
