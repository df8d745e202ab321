// Shared by the bench pages: stats, timing, the bench rows, and how results reach the driver.

import type { BenchPageGlobals, Stats } from './types.js';

export type { Stats };

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

/** Runs fn repeatedly for at least ms (WebAssembly tiers up over the first seconds). */
export async function warmUp(fn: () => Promise<unknown>, ms: number): Promise<{ ms: number; runs: number }> {
  const t = performance.now();
  let runs = 0;
  do {
    await fn();
    runs++;
  } while (performance.now() - t < ms);
  return { ms: performance.now() - t, runs };
}

/** The bench rows: [CLS] then ids cycling 1000..5999, one segment (as scripts/bench.ts row() and bench/native.ts). */
export function benchIds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 101 : 1000 + (i % 5000)));
}

export interface PageParams {
  trials: number;
  warmupMs: number;
  threads: number;
  seqLens: number[];
}

export function pageParams(): PageParams {
  const q = new URLSearchParams(location.search);
  const num = (k: string, d: number) => (q.get(k) === null ? d : Number(q.get(k)));
  return {
    trials: num('trials', 10),
    warmupMs: num('warmupMs', 30_000),
    threads: num('threads', 1),
    seqLens: (q.get('seqLens') ?? '128,256,384').split(',').map(Number),
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Window extends BenchPageGlobals {}
}

export function log(line: string): void {
  (window.__benchLog ??= []).push(line);
  const el = document.querySelector('#log');
  if (el) el.textContent += `${line}\n`;
}

/** Publishes a run's outcome for the driver (window.__benchResult / __benchError) and on the page. */
export async function publish(work: () => Promise<unknown>): Promise<void> {
  try {
    const result = await work();
    window.__benchResult = result;
    log('done');
  } catch (err) {
    window.__benchError = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
    log(`failed: ${window.__benchError}`);
  }
}
