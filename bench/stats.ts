// Timing helpers shared by the benchmark sections: repeated trials after a warm-up, median and p95.
import { performance } from 'node:perf_hooks';

export interface Stats {
  median: number;
  p95: number;
  n: number;
}

export function stats(ms: readonly number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95), n: s.length };
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

/** Runs fn until `ms` have passed: WebAssembly (and the JIT) tier up over the first seconds of work. */
export async function warmUp(fn: () => Promise<unknown>, ms: number): Promise<void> {
  const until = performance.now() + ms;
  do await fn();
  while (performance.now() < until);
}

/** Fixed token ids, the same in every runtime measured: [CLS] then ids cycling 1000..5999, one segment. */
export function tokenRow(n: number): { inputIds: number[]; segmentIds: number[] } {
  return { inputIds: Array.from({ length: n }, (_, i) => (i === 0 ? 101 : 1000 + (i % 5000))), segmentIds: new Array<number>(n).fill(0) };
}

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
