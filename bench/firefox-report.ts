// The Firefox ESR part of docs/PERFORMANCE.md (bench/browser/firefox.ts measures it): its goal row, its page QA
// rows and what it has for WebAssembly threads. Kept apart from report.ts, which calls these.
import type { AskSample } from './browser/types.js';
import type { Stats } from './stats.js';

/** What the event page has for WebAssembly threads. */
export interface FirefoxThreads {
  crossOriginIsolated: boolean | null;
  sharedArrayBuffer: string;
  /** new WebAssembly.Memory({ shared: true }) posted to a Worker: 'ok' or the error (onnxruntime-web's own test for threads) */
  postSharedMemory: string;
}

/**
 * Where the model's session runs in Firefox: by default in dedicated Web Workers (one WebAssembly thread each; the
 * windows of a question split over them), and, for comparison in the same run, one session in the event page
 * ('lens.threads' = '1', as before the workers).
 */
export interface FirefoxSessions {
  /** session workers under the default setting */
  workers: number;
  /** rows (windows) each worker ran from the event page's start to the end of the default warm asks */
  rowsPerWorker: number[];
  /** the same warm questions asked block by block in turn on each kind of session (rounds x questions each) */
  compare: { rounds: number; workers: Stats; page: Stats };
  /** Firefox's memory with the model loaded each way (the sum of PSS over its processes, from /proc), and the model file */
  memory?: { workersBytes: number; pageBytes: number; onnxBytes: number; method: string; heapBytesPerWorker?: number[] };
}

/** bench/browser/firefox.ts's result (kept here, free of DOM types, for report.ts and the results file). */
export interface FirefoxSection {
  browser: string;
  questions: number;
  defaultBudget: number | { windows?: number; tokens?: number };
  warm: Stats;
  cold: Stats;
  /** the background's own reply.ms for the same asks */
  backgroundMs: { warm: Stats; cold: Stats };
  warmup: { ms: number; asks: number };
  coldMethod: string;
  idleTimeoutMs: number;
  threads: FirefoxThreads;
  installMs: number;
  warmSamples: AskSample[];
  coldSamples: AskSample[];
  /** Chromium's large warm sample asked in Firefox too (runs from before it have none) */
  sample?: { seed: number; articles: number; warm: Stats; samples: AskSample[] };
  /** the session workers and the comparison with one session in the event page (runs from before them have none) */
  sessions?: FirefoxSessions;
}


const ms = (v: number | undefined) => (v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** How the default runs the model, for the rows' labels. */
function whereText(fx: FirefoxSection): string {
  return fx.sessions ? `${fx.sessions.workers} session workers, 1 WebAssembly thread each` : '1 WebAssembly thread';
}

/** Goal: page QA warm median <= 1.0 s in Firefox ESR. */
export function firefoxGoalRows(fx: FirefoxSection | undefined, goalRow: (name: string, measured: string, goal: string, met: boolean | undefined, by?: string) => string): string[] {
  // judged on the large sample where the run has it
  const s = fx?.sample?.warm ?? fx?.warm;
  const warm = s?.median;
  const what = fx?.sample ? `${fx.sample.warm.n} questions from ${fx.sample.articles} articles` : `${fx?.questions ?? 0} questions`;
  return [goalRow(`page QA, warm, Firefox ESR, default settings, ${what} (median)`, warm === undefined ? '–' : `${ms(warm)} (p95 ${ms(s?.p95)})`, '<= 1.0 s', warm === undefined ? undefined : warm <= 1000, warm === undefined ? '' : `${(warm / 1000).toFixed(2)}x the target`)];
}

/** Rows for the page QA table (| where | questions | default budget | full scan |). */
export function firefoxPageQaRows(fx: FirefoxSection | undefined): string[] {
  if (!fx) return [];
  const c = fx.sessions?.compare;
  return [
    `| Firefox ESR, through the extension's event page (warm, ${whereText(fx)}) | ${fx.questions} | ${ms(fx.warm.median)} (${ms(fx.warm.p95)}) | |`,
    ...(c
      ? [
          `| Firefox ESR, warm, in turn in the same run: ${fx.sessions?.workers} session workers | ${c.workers.n} | ${ms(c.workers.median)} (${ms(c.workers.p95)}) | |`,
          `| Firefox ESR, warm, in turn in the same run: one session in the event page ('lens.threads' = '1', as before the workers) | ${c.page.n} | ${ms(c.page.median)} (${ms(c.page.p95)}) | |`,
        ]
      : []),
    `| Firefox ESR, first question after the event page was suspended (cold, model cached) | | ${ms(fx.cold.median)} (${ms(fx.cold.p95)}) | |`,
    ...(fx.sample ? [`| Firefox ESR, warm, the large sample (questions from ${fx.sample.articles} articles, seed ${fx.sample.seed}) | ${fx.sample.warm.n} | ${ms(fx.sample.warm.median)} (${ms(fx.sample.warm.p95)}) | |`] : []),
  ];
}

/** The Firefox section: how it was measured and why it runs one thread. */
export function firefoxSection(fx: FirefoxSection | undefined): string[] {
  if (!fx) return [];
  const t = fx.threads;
  const sessions = fx.sessions;
  const where = sessions
    ? `The Firefox build of the extension runs inference from its event page (Firefox has no offscreen documents), the model's session in ${sessions.workers} dedicated Web Workers, each its own onnxruntime-web instance with one WebAssembly thread and its own copy of the model; a question's windows are split over them.`
    : 'The Firefox build of the extension runs inference in its event page (Firefox has no offscreen documents).';
  return [
    '## Firefox ESR',
    '',
    `${fx.browser}. ${where} ${fx.questions} questions (the same pages and questions as Chromium's page QA), ${budgetText(fx.defaultBudget)}; the model installed through the extension's download path (${ms(fx.installMs)}, int8 made in the event page).`,
    '',
    `- warm: ${ms(fx.warm.median)} median, ${ms(fx.warm.p95)} p95 (the background's own time ${ms(fx.backgroundMs.warm.median)}), after ${fx.warmup.asks} warm-up asks.`,
    ...(fx.sample ? [`- warm, the large sample: ${ms(fx.sample.warm.median)} median, ${ms(fx.sample.warm.p95)} p95 over ${fx.sample.warm.n} questions drawn as Chromium's (seed ${fx.sample.seed}, all ${fx.sample.articles} articles; a tab per article, the first question on each page also prepares it).`] : []),
    `- cold: ${ms(fx.cold.median)} median over ${fx.coldSamples.length} (background ${ms(fx.backgroundMs.cold.median)}): ${fx.coldMethod}. Each cold reply reported a model load.`,
    `- WebAssembly threads: the event page has crossOriginIsolated = ${String(t.crossOriginIsolated)}, SharedArrayBuffer ${t.sharedArrayBuffer}; posting a shared WebAssembly.Memory to a Worker (what onnxruntime-web's threads need): ${t.postSharedMemory.replace(/\.$/, '')}. Firefox does not honour the cross_origin_embedder_policy / cross_origin_opener_policy manifest keys (bugzilla 1673477), so onnxruntime-web falls back to one thread there.`,
    ...(sessions ? sessionLines(sessions) : []),
    '',
  ];
}

/** The session workers: the comparison in the same run, the work split, the memory they cost. */
function sessionLines(s: FirefoxSessions): string[] {
  const { compare: c, memory: m } = s;
  return [
    `- Session workers: ${s.workers}, one WebAssembly thread each (so ${s.workers} cores work on a question); since the event page started they ran ${s.rowsPerWorker.join(' / ')} windows. In turn in the same run (${c.rounds} round${c.rounds === 1 ? '' : 's'} of the warm questions on each, each block after its own warm-up): ${ms(c.workers.median)} median with the workers vs ${ms(c.page.median)} with one session in the event page ('lens.threads' = '1'), ${(c.workers.median / c.page.median).toFixed(2)}x.`,
    ...(m
      ? [
          `- Memory: Firefox used ${mb(m.workersBytes)} with the model in the workers vs ${mb(m.pageBytes)} with it in the event page, ${m.workersBytes >= m.pageBytes ? '+' : ''}${mb(m.workersBytes - m.pageBytes)} (${m.method}). Each worker's onnxruntime-web holds its own copy of the ${mb(m.onnxBytes)} ONNX model${m.heapBytesPerWorker?.length ? ` in its WebAssembly memory (${m.heapBytesPerWorker.map(mb).join(' / ')})` : ''}; the compiled WebAssembly code is shared (the workers start from one compiled module).`,
        ]
      : []),
  ];
}

/** The read budget in words: "6 windows" (older runs) or "1,024 tokens". */
function budgetText(b: FirefoxSection['defaultBudget']): string {
  if (typeof b === 'number') return `a budget of ${b} windows`;
  return [b.windows !== undefined ? `${b.windows} windows` : '', b.tokens !== undefined ? `${b.tokens.toLocaleString('en')} tokens` : ''].filter(Boolean).join(' and ').replace(/^/, 'a budget of ') || 'no read budget';
}
