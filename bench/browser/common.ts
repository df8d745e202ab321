// Shared by the bench pages: stats, timing, the bench rows, and how results reach the driver.

import type { BenchPageGlobals } from './types.js';

// one implementation of timing and the bench rows for Node, native and the pages
export { benchIds, stats, time, warmUp, type Stats } from '../../src/eval/latency.js';

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
