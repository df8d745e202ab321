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
}


const ms = (v: number | undefined) => (v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);

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
  return [
    `| Firefox ESR, through the extension's event page (warm, 1 WebAssembly thread) | ${fx.questions} | ${ms(fx.warm.median)} (${ms(fx.warm.p95)}) | |`,
    `| Firefox ESR, first question after the event page was suspended (cold, model cached) | | ${ms(fx.cold.median)} (${ms(fx.cold.p95)}) | |`,
    ...(fx.sample ? [`| Firefox ESR, warm, the large sample (questions from ${fx.sample.articles} articles, seed ${fx.sample.seed}) | ${fx.sample.warm.n} | ${ms(fx.sample.warm.median)} (${ms(fx.sample.warm.p95)}) | |`] : []),
  ];
}

/** The Firefox section: how it was measured and why it runs one thread. */
export function firefoxSection(fx: FirefoxSection | undefined): string[] {
  if (!fx) return [];
  const t = fx.threads;
  return [
    '## Firefox ESR',
    '',
    `${fx.browser}. The Firefox build of the extension runs inference in its event page (Firefox has no offscreen documents). ${fx.questions} questions (the same pages and questions as Chromium's page QA), ${budgetText(fx.defaultBudget)}; the model installed through the extension's download path (${ms(fx.installMs)}, int8 made in the event page).`,
    '',
    `- warm: ${ms(fx.warm.median)} median, ${ms(fx.warm.p95)} p95 (the background's own time ${ms(fx.backgroundMs.warm.median)}), after ${fx.warmup.asks} warm-up asks.`,
    ...(fx.sample ? [`- warm, the large sample: ${ms(fx.sample.warm.median)} median, ${ms(fx.sample.warm.p95)} p95 over ${fx.sample.warm.n} questions drawn as Chromium's (seed ${fx.sample.seed}, all ${fx.sample.articles} articles; a tab per article, the first question on each page also prepares it).`] : []),
    `- cold: ${ms(fx.cold.median)} median over ${fx.coldSamples.length} (background ${ms(fx.backgroundMs.cold.median)}): ${fx.coldMethod}. Each cold reply reported a model load.`,
    `- WebAssembly threads: the event page has crossOriginIsolated = ${String(t.crossOriginIsolated)}, SharedArrayBuffer ${t.sharedArrayBuffer}; posting a shared WebAssembly.Memory to a Worker (what onnxruntime-web's threads need): ${t.postSharedMemory.replace(/\.$/, '')}. Firefox does not honour the cross_origin_embedder_policy / cross_origin_opener_policy manifest keys (bugzilla 1673477), so onnxruntime-web falls back to one thread there.`,
    '',
  ];
}

/** The read budget in words: "6 windows" (older runs) or "1,024 tokens". */
function budgetText(b: FirefoxSection['defaultBudget']): string {
  if (typeof b === 'number') return `a budget of ${b} windows`;
  return [b.windows !== undefined ? `${b.windows} windows` : '', b.tokens !== undefined ? `${b.tokens.toLocaleString('en')} tokens` : ''].filter(Boolean).join(' and ').replace(/^/, 'a budget of ') || 'no read budget';
}
