// Page QA in Chromium over a large, fixed sample of SQuAD questions (issue 11: warm >= 200 questions drawn with a
// fixed seed from all 48 articles, cold on a smaller sample; median and p95), where a cold start goes (the
// extension's timeline marks, src/shared/timeline.ts), and the offscreen document's memory after the first and
// the 100th question (no growth).
//
// Runs inside benchBrowser (driver.ts) on its browser, or alone:
//   node --import tsx bench/browser/page-qa-sample.ts   (BENCH_PAGEQA_WARM=200 BENCH_PAGEQA_COLD=30 BENCH_PAGEQA_SEED=11)
// It asks through the extension exactly as driver.ts does (qa/ask from an extension page, default settings).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { stats, type Stats } from '../../src/eval/latency.js';
import { loadSquad, type SquadData } from '../../src/eval/squad-data.js';
import { mulberry32 } from '../../src/modelgen/prng.js';
import type { OffscreenMemory, OffscreenStatusReply } from '../../src/shared/protocol.js';
import type { TimelineMark } from '../../src/shared/timeline.js';
import { launchChromium, type LensChromium } from '../../tests/e2e/harness/chromium.js';
import { pinnedRegistryText } from '../../tests/e2e/harness/build.js';
import { startTestServer, type TestServer } from '../../tests/e2e/harness/server.js';
import { SQUAD_DIR } from '../../tests/helpers/shared-data.js';
import { QA_MODEL_ID, makeHubTree, send, viteBuild } from './extension-setup.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SampleQuestion {
  article: number;
  question: string;
}

export interface SampleAsk extends SampleQuestion {
  /** client time: sendMessage to reply, in the extension page */
  ms: number;
  /** the background's own reply.ms */
  backgroundMs: number;
  windowsRead: number;
  windowsTotal: number;
  /** marks as ms after the question was sent (cold asks) */
  marks?: Record<string, number>;
}

/** One span of a question's path: from one mark to another (ms), median over the asks that have both. */
export interface PhaseSpan {
  label: string;
  from: string;
  to: string;
  median: number;
  n: number;
}

export interface MemoryPoint {
  afterQuestions: number;
  memory: OffscreenMemory;
}

export interface PageQaSample {
  seed: number;
  articles: number;
  warm: Stats;
  cold: Stats;
  warmSamples: SampleAsk[];
  coldSamples: SampleAsk[];
  /** asks before the warm samples (not counted): the first questions after a start run slower while WebAssembly tiers up */
  warmupAsks: number;
  /** median ms after the question was sent at which each mark was reached, over the cold asks */
  coldMarks: Record<string, number>;
  coldSpans: PhaseSpan[];
  /** the same for the warm asks: where a warm question's time goes (the profile behind the warm figures) */
  warmSpans: PhaseSpan[];
  /** the offscreen document's memory after the 1st, the 100th and the last question since it started */
  memory: MemoryPoint[];
  /** growth of measureUserAgentSpecificMemory from the 1st to the 100th question (0.05 = 5%), or why there is none */
  memoryGrowth: number | string;
  note: string;
}

export interface PageQaSampleOptions {
  warm?: number;
  cold?: number;
  seed?: number;
  warmupAsks?: number;
  /** when to take the second memory measurement (questions since the document started) */
  memoryAfter?: number;
  log?: (line: string) => void;
}

/**
 * `perArticle` questions of every article, in rounds (round k takes one question of each article), each article's
 * questions shuffled with the seed: every article is covered, none twice before all once. Cold draws come from
 * the same shuffle after the warm ones, so no question is in both.
 */
/** The sample's seed and warm size (BENCH_PAGEQA_SEED, BENCH_PAGEQA_WARM): Firefox's bench draws the same questions. */
export const sampleSeed = (): number => Number(process.env.BENCH_PAGEQA_SEED ?? 11);
export const sampleWarmQuestions = (): number => Number(process.env.BENCH_PAGEQA_WARM ?? 200);

export function drawQuestions(data: SquadData, count: number, seed: number, skip = 0): SampleQuestion[] {
  const next = mulberry32(seed);
  const byArticle = data.articles.map((_, a) => {
    const qs = data.questions.filter((q) => q.article === a).map((q) => q.question);
    for (let i = qs.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [qs[i], qs[j]] = [qs[j], qs[i]];
    }
    return qs;
  });
  const out: SampleQuestion[] = [];
  for (let k = 0; out.length < skip + count; k++) {
    let added = false;
    for (let a = 0; a < byArticle.length && out.length < skip + count; a++) {
      const q = byArticle[a][k];
      if (q === undefined) continue;
      out.push({ article: a, question: q });
      added = true;
    }
    if (!added) throw new Error(`drawQuestions: only ${out.length} questions in the data`);
  }
  return out.slice(skip);
}

/** The spans the report shows for a cold start, in the order it reaches them; W: the side that ran the model. */
function coldSpanDefs(w: string): Array<[label: string, from: string, to: string]> {
  return [
    ['browser starts the service worker', 'send', 'worker:origin'],
    ['service worker script (bundle evaluation)', 'worker:origin', 'worker:script'],
    ['page text from the content script', 'worker:ask', 'worker:extracted'],
    ['offscreen document created', 'worker:offscreen-create', 'worker:offscreen-created'],
    ['offscreen script (bundle evaluation)', 'offscreen:origin', 'offscreen:script'],
    ['offscreen document answers', 'worker:offscreen-create', 'worker:offscreen-ready'],
    ['WebAssembly runtime (compile, instantiate, threads)', `${w}:runtime-start`, `${w}:runtime-ready`],
    ['model file read from Cache Storage', `${w}:load-start`, `${w}:load-onnx-read`],
    ['vocabulary parsed', `${w}:load-start`, `${w}:load-tokenizer`],
    ['model load, start to session ready', `${w}:load-start`, `${w}:load-session`],
    ['page prepared (tokens, index)', `${w}:load-session`, `${w}:prepared`],
    ['windows read (all)', `${w}:prepared`, `${w}:windows-last`],
    ['reply reaches the page', `${w}:windows-last`, 'reply'],
    ['total', 'send', 'reply'],
  ];
}

/** The spans of a warm question (model loaded); W: the side that ran the model. */
function warmSpanDefs(w: string): Array<[label: string, from: string, to: string]> {
  return [
    ['question reaches the service worker', 'send', 'worker:ask'],
    ['page text from the content script', 'worker:ask', 'worker:extracted'],
    [w === 'worker' ? 'to the reader' : 'hop to the offscreen document', 'worker:extracted', `${w}:qa`],
    ['page prepared (tokens, index; first question on a page)', `${w}:qa`, `${w}:prepared`],
    ['retrieval and windows read (model)', `${w}:read-start`, `${w}:windows-last`],
    ['answer back, highlighted, reply reaches the page', `${w}:windows-last`, 'reply'],
    ['total', 'send', 'reply'],
  ];
}

/**
 * Median span durations over the asks that have both marks; the runtime's start falls back to the model load's
 * start and its runtime step where the host does not start the runtime early.
 */
function spansOf(samples: readonly SampleAsk[], defs: (side: string) => Array<[string, string, string]>): PhaseSpan[] {
  const marksOf = samples.map((s) => s.marks ?? {});
  const names = new Set(marksOf.flatMap((m) => Object.keys(m)));
  // the side that ran the model marks the answer's start (offscreen:qa or worker:qa)
  const side = names.has('offscreen:qa') ? 'offscreen' : 'worker';
  const spans: PhaseSpan[] = [];
  for (const [label, from, to] of defs(side)) {
    const durations = marksOf
      .map((m) => {
        const start = m[from] ?? (from.endsWith(':runtime-start') ? m[`${side}:load-start`] : undefined);
        const end = m[to] ?? (to.endsWith(':runtime-ready') ? m[`${side}:load-runtime`] : undefined);
        return start !== undefined && end !== undefined ? end - start : undefined;
      })
      .filter((d): d is number => d !== undefined);
    if (durations.length) spans.push({ label, from, to, median: median(durations), n: durations.length });
  }
  return spans;
}

/** Mark offsets (ms after send) of one reply: 'send', 'reply', each mark by name, and '<side>:windows-last'. */
function markOffsets(timeline: TimelineMark[], sentAt: number, repliedAt: number): Record<string, number> {
  const out: Record<string, number> = { send: 0, reply: repliedAt - sentAt };
  let lastWindow: { name: string; at: number } | undefined;
  for (const m of timeline) {
    out[m.name] ??= m.at - sentAt;
    if (/:windows-\d+$/.test(m.name) && (!lastWindow || m.at >= lastWindow.at)) lastWindow = m;
  }
  if (lastWindow) out[`${lastWindow.name.split(':')[0]}:windows-last`] = lastWindow.at - sentAt;
  return out;
}

function median(values: number[]): number {
  return stats(values).median;
}

interface AskValue {
  answers: Array<{ text: string }>;
  windowsRead: number;
  windowsTotal: number;
  ms: number;
  timeline?: TimelineMark[];
}

interface Ctx {
  lens: LensChromium;
  server: TestServer;
  asker: Page;
}

async function askOn(ctx: Ctx, tabId: number, q: SampleQuestion): Promise<{ ask: SampleAsk; timeline: TimelineMark[]; sentAt: number; repliedAt: number }> {
  const msg = { type: 'qa/ask', requestId: `sample-${Math.random().toString(36).slice(2)}`, tabId, question: q.question, scope: 'page' };
  // wall-clock send and reply times in the asking page, to line up with the extension's marks
  const sentAt = await ctx.asker.evaluate(() => performance.timeOrigin + performance.now());
  const { ms, value } = await send<AskValue>(ctx.asker, msg);
  const repliedAt = sentAt + ms;
  return { ask: { ...q, ms, backgroundMs: value.ms, windowsRead: value.windowsRead, windowsTotal: value.windowsTotal }, timeline: value.timeline ?? [], sentAt, repliedAt };
}

async function offscreenMemory(lens: LensChromium): Promise<OffscreenMemory> {
  const sw = await lens.serviceWorker();
  const status = await sw.evaluate(() => (globalThis as unknown as { lensInference: { offscreenStatus(memory: boolean): Promise<OffscreenStatusReply> } }).lensInference.offscreenStatus(true));
  if (!status.memory) throw new Error('the offscreen status has no memory figures (an older build?)');
  return status.memory;
}

/** Closes the offscreen document and stops the worker: the next question starts everything again. */
async function stopBackground(lens: LensChromium): Promise<void> {
  const sw = await lens.serviceWorker();
  await sw.evaluate(() => (globalThis as unknown as { chrome: { offscreen?: { closeDocument(): Promise<void> } } }).chrome.offscreen?.closeDocument().catch(() => undefined));
  await lens.killServiceWorker();
}

export async function samplePageQa(ctx: Ctx, data: SquadData, options: PageQaSampleOptions = {}): Promise<PageQaSample> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const seed = options.seed ?? sampleSeed();
  const warmN = options.warm ?? sampleWarmQuestions();
  const coldN = options.cold ?? Number(process.env.BENCH_PAGEQA_COLD ?? 30);
  const warmupN = options.warmupAsks ?? Number(process.env.BENCH_PAGEQA_WARMUP ?? 8);
  const memoryAfter = options.memoryAfter ?? 100;
  const warmQs = drawQuestions(data, warmN, seed);
  const coldQs = drawQuestions(data, coldN, seed, warmN);
  const warmupQs = drawQuestions(data, warmupN, seed, warmN + coldN);

  // cold: the article page opened first (a tab does not wake the worker), then the offscreen document closed and
  // the worker stopped, then the question: everything from the worker's start to the answer is in the figure
  const coldSamples: SampleAsk[] = [];
  for (const [i, q] of coldQs.entries()) {
    const page = await ctx.lens.openPage(ctx.server.articleUrl(q.article));
    const tabId = await ctx.lens.tabIdOf(page);
    await stopBackground(ctx.lens);
    const { ask, timeline, sentAt, repliedAt } = await askOn(ctx, tabId, q);
    ask.marks = markOffsets(timeline, sentAt, repliedAt);
    coldSamples.push(ask);
    await page.close();
    log(`cold ${i + 1}/${coldQs.length}: ${ask.ms.toFixed(0)} ms (article ${q.article}) marks ${JSON.stringify(Object.fromEntries(Object.entries(ask.marks).map(([k, v]) => [k, Math.round(v)])))}`);
  }

  // warm: a fresh document again, so the memory points count questions since it started; articles in turn, one
  // tab each, opened for its questions and closed after them (the first question on a page prepares it)
  await stopBackground(ctx.lens);
  // any message starts the worker again (tabIdOf asks it for the tab ids); the document stays closed
  await send(ctx.asker, { type: 'request/status', requestId: 'bench-wake' });
  const memory: MemoryPoint[] = [];
  let asked = 0;
  const warmSamples: SampleAsk[] = [];
  const byArticle = new Map<number, Array<{ q: SampleQuestion; counted: boolean }>>();
  for (const q of warmupQs) byArticle.set(q.article, [...(byArticle.get(q.article) ?? []), { q, counted: false }]);
  const warmupArticles = [...byArticle.keys()];
  for (const q of warmQs) byArticle.set(q.article, [...(byArticle.get(q.article) ?? []), { q, counted: true }]);
  // the warm-up questions' articles first, so the counted asks start after them
  const order = [...warmupArticles, ...[...byArticle.keys()].filter((a) => !warmupArticles.includes(a))];
  for (const article of order) {
    const page = await ctx.lens.openPage(ctx.server.articleUrl(article));
    const tabId = await ctx.lens.tabIdOf(page);
    const list = byArticle.get(article) ?? [];
    // within an article, the warm-up questions first
    list.sort((a, b) => Number(a.counted) - Number(b.counted));
    for (const { q, counted } of list) {
      const { ask, timeline, sentAt, repliedAt } = await askOn(ctx, tabId, q);
      asked++;
      if (counted) warmSamples.push({ ...ask, marks: markOffsets(timeline, sentAt, repliedAt) });
      if (asked === 1 || asked === memoryAfter) {
        memory.push({ afterQuestions: asked, memory: await offscreenMemory(ctx.lens) });
        log(`memory after ${asked} question(s): ${JSON.stringify(memory.at(-1)?.memory)}`);
      }
      if (counted && warmSamples.length % 20 === 0) log(`warm ${warmSamples.length}/${warmQs.length}: median so far ${stats(warmSamples.map((s) => s.ms)).median.toFixed(0)} ms`);
    }
    await page.close();
  }
  memory.push({ afterQuestions: asked, memory: await offscreenMemory(ctx.lens) });
  log(`memory after ${asked} questions: ${JSON.stringify(memory.at(-1)?.memory)}`);

  const first = memory.find((m) => m.afterQuestions === 1)?.memory.uaSpecificBytes;
  const later = memory.find((m) => m.afterQuestions === memoryAfter)?.memory.uaSpecificBytes;
  const memoryGrowth = typeof first === 'number' && typeof later === 'number' ? later / first - 1 : `not measured: ${typeof first === 'string' ? first : String(later)}`;

  const marksOf = coldSamples.map((s) => s.marks ?? {});
  const names = [...new Set(marksOf.flatMap((m) => Object.keys(m)))];
  const coldMarks = Object.fromEntries(names.map((n) => [n, median(marksOf.filter((m) => m[n] !== undefined).map((m) => m[n]))]).sort((a, b) => (a[1] as number) - (b[1] as number)));
  const coldSpans = spansOf(coldSamples, coldSpanDefs);
  const warmSpans = spansOf(warmSamples, warmSpanDefs);

  return {
    seed,
    articles: new Set(warmQs.map((q) => q.article)).size,
    warm: stats(warmSamples.map((s) => s.ms)),
    cold: stats(coldSamples.map((s) => s.ms)),
    warmSamples,
    coldSamples,
    warmupAsks: warmupQs.length,
    coldMarks,
    coldSpans,
    warmSpans,
    memory,
    memoryGrowth,
    note:
      `${warmSamples.length} warm questions drawn with seed ${seed} from all ${data.articles.length} articles (in rounds: one question of each article per round), asked article by article in one tab per article ` +
      `(the first question on each page also prepares it), after ${warmupQs.length} warm-up questions; ${coldSamples.length} cold questions (further draws of the same seed), each after closing the offscreen document and stopping the service worker ` +
      `(a cold ask costs a worker restart and ~5 s, so the cold sample is smaller). Memory: performance.measureUserAgentSpecificMemory in the offscreen document (its JS, its WebAssembly threads and memory), counted from its start.`,
  };
}

// ---- alone: build, launch, install, sample ----

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const modelDir = join(ROOT, '.tmp', 'bench', 'mobilebert-qa');
  const outDir = join(ROOT, '.tmp', 'bench', 'ext-sample');
  const hubDir = join(ROOT, '.tmp', 'bench', 'hub-sample');
  if (!existsSync(join(modelDir, 'onnx', 'model.onnx'))) throw new Error(`no model in ${modelDir}: run the bench once (npm run bench) or make it with makeModelFolder`);
  makeHubTree(modelDir, hubDir);
  const registryFile = `${outDir}.registry.json`;
  mkdirSync(dirname(registryFile), { recursive: true });
  writeFileSync(registryFile, await pinnedRegistryText(hubDir));
  if (process.env.BENCH_SKIP_BUILD !== '1' || !existsSync(join(outDir, 'manifest.json'))) await viteBuild(outDir, true, log, registryFile);
  const data = await loadSquad(SQUAD_DIR);
  const server = await startTestServer({ hubDir });
  const lens = await launchChromium({ extensionDir: outDir });
  try {
    const asker = await lens.openExtensionPage('src/options/options.html');
    await asker.fill('#hub-url', server.hubUrl);
    await asker.click('#save-hub');
    await asker.locator('#hub-status', { hasText: 'Saved' }).waitFor();
    log('installing the model through the extension...');
    await send(asker, { type: 'models/download', modelId: QA_MODEL_ID });
    const result = await samplePageQa({ lens, server, asker }, data, { log });
    const file = join(ROOT, '.tmp', 'bench', `page-qa-sample-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    if (result.warm.n) log(`warm median ${result.warm.median.toFixed(0)} ms, p95 ${result.warm.p95.toFixed(0)} ms (${result.warm.n}); cold median ${result.cold.median.toFixed(0)} ms, p95 ${result.cold.p95.toFixed(0)} ms (${result.cold.n}); memory growth ${typeof result.memoryGrowth === 'number' ? `${(result.memoryGrowth * 100).toFixed(1)}%` : result.memoryGrowth}`);
    for (const s of result.coldSpans) log(`  cold: ${s.label}: ${s.median.toFixed(0)} ms`);
    for (const s of result.warmSpans) log(`  warm: ${s.label}: ${s.median.toFixed(0)} ms (${s.n})`);
    log(`results: ${file}`);
  } finally {
    await lens.close();
    await server.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
