// Timing helpers shared by the benchmark sections: repeated trials after a warm-up, median and p95.
export { stats, time, tokenRow, warmUp, type Stats } from '../src/eval/latency.js';

export const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

export interface BenchConfig {
  trials: number;
  warmupMs: number;
  quick: boolean;
}

/** BENCH_QUICK=1: a smoke run (few trials, short warm-up) to check the harness, not to report. */
export function benchConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === '1';
  return { quick, trials: Number(process.env.BENCH_TRIALS ?? (quick ? 2 : 10)), warmupMs: Number(process.env.BENCH_WARMUP_MS ?? (quick ? 2000 : 20000)) };
}
