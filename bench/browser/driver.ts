// Browser benchmark driver (Node): builds the extension with the bench pages (LENS_BENCH=1), loads it in
// Debian's Chromium, serves the model as a fake hub and SQuAD articles as pages (tests/e2e/harness), installs
// the model through the extension's real download path, then measures
//   - page QA end to end as the extension does it (qa/ask from an extension page -> background -> content
//     script -> engine), cold (first question after the service worker was killed: session creation from the
//     stored bytes) and warm, with the default window budget and with a full scan of every window;
//   - the engine page (bench.html): model load, per-window latency, memory;
//   - transformers.js (tjs.html): the same measurements, and its question-answering pipeline on the same pages.
// Knobs for investigating: BENCH_COLD=N cold asks, BENCH_THREADS=1|auto|2..4 ('lens.threads': where the
// extension runs inference), BENCH_DEBUG=1 prints the service worker's console.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { DEFAULT_READ_BUDGET } from '../../src/engine/qa/document.js';
import { stats } from '../../src/eval/latency.js';
import { loadSquad } from '../../src/eval/squad-data.js';
import { launchChromium, type LensChromium } from '../../tests/e2e/harness/chromium.js';
import { pinnedRegistryText } from '../../tests/e2e/harness/build.js';
import { FULL_SIZE_QA_HUB_DIR, hubRevision, prepareHub } from '../../tests/e2e/harness/models.js';
import { startTestServer, type TestServer } from '../../tests/e2e/harness/server.js';
import { SQUAD_DIR } from '../../tests/helpers/shared-data.js';
import { benchExtraction, type ExtractionBench } from './extraction.js';
import type { WebGpuBench } from '../webgpu.js';
import { benchWebGpu } from './webgpu.js';
import { CHECKPOINT_MODEL_ID, QA_MODEL_ID, QA_REPO, QA_REVISION, makeHubTree, registryModel, send, viteBuild, warmAsks } from './extension-setup.js';
import type { PageQaSample } from './page-qa-sample.js';
import type { AskReplyLite, AskSample, BenchPageGlobals, PageQaBenchOptions, EngineBenchOptions, MemoryReport, EngineBenchResult, Stats, TjsBenchOptions, TjsBenchResult, TjsQaOptions, TjsQaResult } from './types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FULL_SCAN = 1_000_000;
/**
 * transformers.js's threads for its page QA: 2, as the extension's default (the offscreen document), so the two
 * are compared at equal threads. (Its session creation with 2 threads in an extension page does finish: the
 * bench build gives its onnxruntime-web a chunk of its own, see vite.config.ts; it is only slow to create on a
 * loaded machine. Checked by .tmp probes: 2 threads, fp32, the pthread Worker started and the runs completed.)
 */
const TJS_QA_THREADS = 2;
/** warm page QA under other settings, beside the default */
const DEFAULT_ALTERNATIVES = [{ label: 'service worker, 1 thread', settings: { 'lens.threads': '1' } }];

interface ChromeStorage {
  chrome: { storage: { local: { set(v: object): Promise<void>; remove(k: string[]): Promise<void> } } };
}

export interface BrowserBenchOptions extends PageQaBenchOptions {
  /**
   * Set: the registry's sentiment model (CHECKPOINT_MODEL_ID: pytorch_model.bin only, "pin": "first-install") is
   * installed through the extension to time the build in the worker, its files those of the full-size fake hub
   * (tests/e2e/harness/models.ts FULL_SIZE_QA_HUB_DIR: a full-size MobileBERT pytorch_model.bin, served with the
   * hub's API).
   */
  timeCheckpointInstall?: boolean;
  /** the same model quantized (onnx/model_quantized.onnx, `lens model quantize`): the engine page's and transformers.js's int8 runs */
  int8Dir?: string;
  /** the lean graph of the same weights, fp32 and int8 (`lens model make --graph lean`): the engine page's lean runs */
  leanDirs?: { fp32: string; int8: string };
  /** skip the transformers.js page */
  skipTjs?: boolean;
  /** warm page QA under other extension settings (default: inference in the service worker) */
  alternatives?: Array<{ label: string; settings: Record<string, string> }>;
}

/** Page QA through the extension's background (qa/ask). Client ms: measured in the extension page around sendMessage. */
export type BrowserPageQa = {
  cold: Stats;
  warm: Stats;
  warmFullScan: Stats;
  questions: number;
  defaultBudget: number | { windows?: number; tokens?: number };
  /** the background's own reply.ms for the same asks */
  backgroundMs: { cold: Stats; warm: Stats; warmFullScan: Stats };
  warmup: { ms: number; asks: number };
  /** false when the background ignored windowBudget (full-scan asks read less than every page token) */
  fullScanHonoured: boolean;
  coldSamples: AskSample[];
  warmSamples: AskSample[];
  fullScanSamples: AskSample[];
  /** the same warm asks (default budget) with other extension settings, e.g. inference in the service worker */
  alternatives: Array<{ label: string; settings: Record<string, string>; warm: Stats; samples: AskSample[] }>;
};

/** One engine-page run: the extension's engine in an extension page at a thread count, on fp32 or int8. */
export interface EngineRun {
  variant: 'fp32' | 'quantized';
  /** the graph the ONNX file holds: today's (exported) or the lean one */
  graph: 'today' | 'lean';
  threads: number;
  loadMs: number;
  /** a second load, the runtime started: session creation (+ the vocabulary) */
  reloadMs: number;
  perWindow: Record<string, Stats>;
}

/** Where the engine page finds the lean graph's files on the local hub (not a registry model: only the engine page reads it). */
const LEAN_BENCH_PATH = 'lens-bench/mobilebert-qa-lean/resolve/main';

function linkLeanTree(hubDir: string, leanDirs: { fp32: string; int8: string }): void {
  const base = join(hubDir, LEAN_BENCH_PATH);
  mkdirSync(join(base, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (existsSync(join(leanDirs.fp32, f))) symlinkSync(resolve(join(leanDirs.fp32, f)), join(base, f));
  }
  symlinkSync(resolve(join(leanDirs.fp32, 'onnx', 'model.onnx')), join(base, 'onnx', 'model.onnx'));
  symlinkSync(resolve(join(leanDirs.int8, 'onnx', 'model_quantized.onnx')), join(base, 'onnx', 'model_quantized.onnx'));
}

/** One transformers.js per-window run. */
export interface TjsRun {
  dtype: 'fp32' | 'q8';
  threads: number;
  loadMs: number;
  perWindow: Record<string, Stats>;
}

/** Fits bench/report.ts's BrowserSection; the extra keys carry the details. */
export type BrowserBenchResult = {
  date: string;
  browser: string;
  /** the engine page: onnxruntime-web as the extension bundles it, in an extension page, 1 thread */
  extension: { loadMs: number; perWindow: Record<string, Stats>; memory: Record<string, number | string>; details: EngineBenchResult; runs: EngineRun[] };
  /** transformers.js in the same browser; pageQa.warm: its QA pipeline over the retriever's windows */
  transformersJs?: { loadMs: number; perWindow: Record<string, Stats>; pageQa: { warm: Stats; note: string; wholePage: Stats; dtype: string; threads: number }; memory: Record<string, number | string>; details: { bench: TjsBenchResult; pageQa: TjsQaResult }; runs: TjsRun[] };
  pageQa: BrowserPageQa;
  /** the release build (dist/chrome, else a fresh build), total bytes */
  packageBytes: number;
  packageDetails: { releaseDir: string; benchBuildBytes: number; benchBuildDir: string; largest: Array<{ path: string; bytes: number }> };
  /** WebGPU per-window latency (a hardware adapter only), or why not measured */
  webgpu?: WebGpuBench;
  /** per ONNX variant in the model folder: that file plus the folder's other (tokenizer/config) files */
  downloadBytes: Record<string, number>;
  modelFiles: Record<string, number>;
  /** models/download through the extension (fake hub on localhost: transfer + sha256 + storing) */
  installMs: number;
  /** content/extract of a generated page of about 10,000 elements */
  extraction: ExtractionBench;
  /** the sentiment model's full-size pytorch_model.bin installed through the extension: its phases, from the progress events */
  checkpointInstall?: { downloadMs: number; buildMs: number; int8Ms: number; totalMs: number };
  /** page QA over a large seeded sample, the cold-start breakdown and memory growth (page-qa-sample.ts) */
  pageQaSample?: PageQaSample;
};

/**
 * Installs the checkpoint model through the extension and times its phases (download, build in the service
 * worker, int8) from the progress events the options page receives.
 */
async function timeCheckpointInstall(page: Page, log: (s: string) => void): Promise<NonNullable<BrowserBenchResult['checkpointInstall']>> {
  log(`installing ${CHECKPOINT_MODEL_ID} (full-size pytorch_model.bin, first install) through the extension...`);
  const phases = await page.evaluate(async (modelId) => {
    const api = (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown>; onMessage: { addListener(f: (m: { type?: string; modelId?: string; phase?: string }) => void): void } } } }).chrome.runtime;
    const first: Record<string, number> = {};
    api.onMessage.addListener((m) => {
      if (m.type === 'event/progress' && m.modelId === modelId && m.phase && first[m.phase] === undefined) first[m.phase] = performance.now();
    });
    const start = performance.now();
    const reply = (await api.sendMessage({ type: 'models/download', modelId })) as { ok: boolean; error?: string };
    if (!reply.ok) throw new Error(reply.error);
    return { start, end: performance.now(), first };
  }, CHECKPOINT_MODEL_ID);
  const { start, end, first } = phases;
  if (first.build === undefined || first.optimize === undefined) throw new Error(`benchBrowser: no build/optimize progress seen (${JSON.stringify(first)})`);
  const result = { downloadMs: first.build - start, buildMs: first.optimize - first.build, int8Ms: end - first.optimize, totalMs: end - start };
  log(`  download ${result.downloadMs.toFixed(0)} ms, build ${result.buildMs.toFixed(0)} ms, int8 ${result.int8Ms.toFixed(0)} ms`);
  return result;
}

function memoryRecord(m: { afterLoad: MemoryReport; afterRuns: MemoryReport }): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  const put = (k: string, v: number | string | null) => {
    out[k] = v ?? 'unavailable';
  };
  put('JS heap used after load (performance.memory)', m.afterLoad.jsHeapUsedBytes);
  put('JS heap used after the runs', m.afterRuns.jsHeapUsedBytes);
  put('WebAssembly memory after load', m.afterLoad.wasmMemoryBytes);
  put('WebAssembly memory after the runs', m.afterRuns.wasmMemoryBytes);
  put('measureUserAgentSpecificMemory', m.afterRuns.uaSpecificBytes);
  return out;
}

function dirFiles(dir: string): Array<{ path: string; bytes: number }> {
  const out: Array<{ path: string; bytes: number }> = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push({ path: relative(dir, p).split('\\').join('/'), bytes: st.size });
    }
  };
  walk(dir);
  return out;
}

const total = (files: Array<{ bytes: number }>) => files.reduce((s, f) => s + f.bytes, 0);



/**
 * The sentiment model's folder in the full-size fake hub (generated once, then reused): a full-size MobileBERT
 * pytorch_model.bin, its config and tokenizer files, at the commit that hub's API resolves its branch to.
 */
async function checkpointRepo(log: (s: string) => void): Promise<string> {
  const entry = registryModel(CHECKPOINT_MODEL_ID);
  if (!entry.files.some((f) => f.path === 'pytorch_model.bin' || f.path === 'model.safetensors')) throw new Error(`benchBrowser: ${CHECKPOINT_MODEL_ID} is not published as a checkpoint in models/registry.json`);
  log(`preparing the full-size fake hub (${FULL_SIZE_QA_HUB_DIR}) for ${CHECKPOINT_MODEL_ID}...`);
  const dir = join(await prepareHub(FULL_SIZE_QA_HUB_DIR), entry.repo, 'resolve', hubRevision(entry));
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`benchBrowser: no ${entry.repo} in ${FULL_SIZE_QA_HUB_DIR}`);
  return dir;
}




export async function benchBrowser(options: BrowserBenchOptions): Promise<BrowserBenchResult> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const modelDir = resolve(options.modelDir);
  const outDir = resolve(options.outDir ?? join(ROOT, '.tmp', 'bench', 'ext'));
  const perArticle = options.questionsPerArticle ?? 2;
  const coldTrials = Number(process.env.BENCH_COLD ?? options.coldTrials ?? Math.min(options.trials, 3));
  // the hub tree first: the bench build's registry pins its files (the release registry pins the real upstream ones)
  const hubDir = join(ROOT, '.tmp', 'bench', 'hub');
  makeHubTree(modelDir, hubDir, options.int8Dir, options.timeCheckpointInstall ? await checkpointRepo(log) : undefined);
  if (options.leanDirs) linkLeanTree(hubDir, options.leanDirs);
  const registryFile = `${outDir}.registry.json`;
  const registryText = await pinnedRegistryText(hubDir);
  const samePins = existsSync(registryFile) && readFileSync(registryFile, 'utf8') === registryText;
  if (!options.skipBuild || !samePins || !existsSync(join(outDir, 'bench', 'browser', 'bench.html'))) {
    mkdirSync(dirname(registryFile), { recursive: true });
    writeFileSync(registryFile, registryText);
    await viteBuild(outDir, true, log, registryFile);
  }
  if (!existsSync(join(outDir, 'bench', 'browser', 'bench.html'))) throw new Error(`the build in ${outDir} has no bench/browser/bench.html (is LENS_BENCH supported in vite.config.ts?)`);

  // package size: the release build (dist/chrome as it is, else a fresh one beside the bench build)
  let releaseDir = join(ROOT, 'dist', 'chrome');
  if (!existsSync(join(releaseDir, 'manifest.json'))) {
    releaseDir = join(ROOT, '.tmp', 'bench', 'release-chrome');
    await viteBuild(releaseDir, false, log);
  }
  const releaseFiles = dirFiles(releaseDir).filter((f) => !f.path.startsWith('models/') || f.path === 'models/bundled.json');
  const benchFiles = dirFiles(outDir);
  const modelFiles = dirFiles(modelDir);
  const rest = total(modelFiles.filter((f) => !f.path.endsWith('.onnx')));
  const downloadBytes = Object.fromEntries(modelFiles.filter((f) => f.path.endsWith('.onnx')).map((f) => [f.path, f.bytes + rest]));

  const data = await loadSquad(SQUAD_DIR);
  const haveInt8 = !!options.int8Dir && existsSync(join(options.int8Dir, 'onnx', 'model_quantized.onnx'));
  let server: TestServer | undefined;
  let lens: LensChromium | undefined;
  try {
    server = await startTestServer({ hubDir });
    lens = await launchChromium({ extensionDir: outDir });
    const browserVersion = lens.context.browser()?.version() ?? 'unknown';
    log(`Chromium ${browserVersion}, extension ${lens.extensionId}`);
    if (process.env.BENCH_DEBUG) {
      const sw0 = await lens.serviceWorker();
      sw0.on('console', (m) => log(`  [worker] ${m.text()}`));
      lens.context.on('weberror', (e) => log(`  [error] ${e.error().message}`));
    }

    // the hub URL through the options page, as a user sets it
    const options_ = await lens.openExtensionPage('src/options/options.html');
    await options_.fill('#hub-url', server.hubUrl);
    await options_.click('#save-hub');
    await options_.locator('#hub-status', { hasText: 'Saved' }).waitFor();
    log('installing the model through the extension (models/download)...');
    const install = await send<unknown>(options_, { type: 'models/download', modelId: QA_MODEL_ID });
    log(`installed in ${install.ms.toFixed(0)} ms`);
    const checkpointInstall = options.timeCheckpointInstall ? await timeCheckpointInstall(options_, log) : undefined;
    // page QA over >= 200 questions of all 48 articles, cold-start breakdown, memory growth (BENCH_PAGEQA_SAMPLE=0 skips)
    const pageQaSample = process.env.BENCH_PAGEQA_SAMPLE === '0' ? undefined : await (await import('./page-qa-sample.js')).samplePageQa({ lens, server, asker: options_ }, data, { log });
    if (process.env.BENCH_THREADS) await options_.evaluate((t) => (globalThis as unknown as { chrome: { storage: { local: { set(v: object): Promise<void> } } } }).chrome.storage.local.set({ 'lens.threads': t }), process.env.BENCH_THREADS);

    // the article pages, each in its own tab, and their questions
    const items: Array<{ article: number; tabId: number; question: string }> = [];
    for (const n of options.articles) {
      const page = await lens.openPage(server.articleUrl(n));
      const tabId = await lens.tabIdOf(page);
      for (const q of data.questions.filter((x) => x.article === n).slice(0, perArticle)) items.push({ article: n, tabId, question: q.question });
    }
    if (!items.length) throw new Error('no questions for the given articles');
    log(`${items.length} questions on ${options.articles.length} article pages`);

    // questions are sent from the options page, an extension page like the popup
    const asker = options_;
    const ask = async (item: (typeof items)[number], windowBudget?: number): Promise<AskSample> => {
      const msg = { type: 'qa/ask', requestId: `bench-${Math.random().toString(36).slice(2)}`, tabId: item.tabId, question: item.question, scope: 'page', ...(windowBudget ? { windowBudget } : {}) };
      const { ms, value } = await send<AskReplyLite>(asker, msg);
      return { article: item.article, question: item.question, ms, backgroundMs: value.ms, windowsRead: value.windowsRead, windowsTotal: value.windowsTotal, pageTokensRead: value.pageTokensRead, pageTokens: value.pageTokens, answer: value.answers[0]?.text ?? '', abstained: value.abstained };
    };

    // cold: the first question after the background starts: the worker and the offscreen document are gone,
    // the session is rebuilt from Cache Storage, the page extracted and prepared
    const cold: AskSample[] = [];
    for (let i = 0; i < coldTrials; i++) {
      // a real cold start has neither a running worker nor Chrome's offscreen document (which holds the model)
      log(`cold ask ${i + 1}: closing the offscreen document and stopping the worker...`);
      const sw = await lens.serviceWorker();
      await sw.evaluate(() => (globalThis as unknown as { chrome: { offscreen?: { closeDocument(): Promise<void> } } }).chrome.offscreen?.closeDocument().catch(() => undefined));
      log('  offscreen closed');
      await lens.killServiceWorker();
      log('  worker stopped; asking');
      cold.push(await ask(items[i % items.length]));
      log(`cold ask: ${cold.at(-1)?.ms.toFixed(0)} ms`);
    }

    // warm: after a warm-up of asks, each question with the default budget, then reading every window
    const { warmup, samples } = await warmAsks(items, ask, options, log);
    // a full scan reads every window (~10x the budget's time): one pass
    const fullScans: AskSample[] = [];
    for (const item of items) {
      fullScans.push(await ask(item, FULL_SCAN));
      log(`warm full scan: ${fullScans.at(-1)?.ms.toFixed(0)} ms (${fullScans.at(-1)?.windowsRead} windows, ${fullScans.at(-1)?.pageTokensRead}/${fullScans.at(-1)?.pageTokens} page tokens)`);
    }

    // the same warm asks with other settings: inference in the service worker (1 thread, no message hop)
    const setStorage = (values: Record<string, string>) => asker.evaluate((v) => (globalThis as unknown as ChromeStorage).chrome.storage.local.set(v), values);
    const removeStorage = (keys: string[]) => asker.evaluate((k) => (globalThis as unknown as ChromeStorage).chrome.storage.local.remove(k), keys);
    const alternatives: BrowserPageQa['alternatives'] = [];
    for (const alt of options.alternatives ?? DEFAULT_ALTERNATIVES) {
      await setStorage(alt.settings);
      for (let i = 0; i < Math.min(items.length, 3); i++) await ask(items[i]);
      const altSamples: AskSample[] = [];
      for (let trial = 0; trial < Math.max(1, Math.ceil(options.trials / 2)); trial++) {
        for (const item of items) altSamples.push(await ask(item));
      }
      await removeStorage(Object.keys(alt.settings));
      alternatives.push({ label: alt.label, settings: alt.settings, warm: stats(altSamples.map((x) => x.ms)), samples: altSamples });
      log(`${alt.label}: warm median ${alternatives.at(-1)?.warm.median.toFixed(0)} ms`);
    }

    // the engine page, alone in its tab, per ONNX variant and thread count
    const hubModelUrl = `${server.hubUrl}/${QA_REPO}/resolve/${QA_REVISION}/`;
    const seqLens = [128, 256, 384];
    const engineRuns: EngineRun[] = [];
    let engine: EngineBenchResult | undefined;
    const graphs = options.leanDirs ? (['today', 'lean'] as const) : (['today'] as const);
    for (const variant of haveInt8 ? (['fp32', 'quantized'] as const) : (['fp32'] as const)) {
      for (const threads of [1, 2]) {
        // today's and the lean graph one after the other at each setting, so drift hits both alike
        for (const graph of graphs) {
          const enginePage = await lens.openExtensionPage('bench/browser/bench.html');
          await enginePage.waitForFunction(() => typeof (globalThis as BenchPageGlobals).__benchRun === 'function');
          log(`engine page, ${graph} graph, ${variant}, ${threads} thread(s)...`);
          const modelUrl = graph === 'lean' ? `${server.hubUrl}/${LEAN_BENCH_PATH}/` : hubModelUrl;
          const engineOpts: EngineBenchOptions = { modelUrl, trials: options.trials, warmupMs: Math.min(options.warmupMs, 10_000), threads, seqLens, variant };
          const r = await enginePage.evaluate((o) => (globalThis as BenchPageGlobals).__benchRun!(o), engineOpts);
          await enginePage.close();
          // the report's engine details (memory, files) are the graph the extension runs: the lean one where measured
          if (graph === graphs.at(-1)) engine ??= r;
          engineRuns.push({ variant, graph, threads, loadMs: r.loadMs.first, reloadMs: r.loadMs.second, perWindow: r.perWindowMs });
        }
      }
    }
    if (!engine) throw new Error('internal: no engine run');
    // WebGPU per-window latency where a hardware adapter exists (its own Chromium, GPU allowed); else says there is none
    const webgpu = await benchWebGpu({ extensionDir: outDir, modelUrl: hubModelUrl, trials: options.trials, warmupMs: Math.min(options.warmupMs, 10_000), seqLens, log });
    log(`WebGPU: ${webgpu.run ? 'measured' : webgpu.note}`);

    let transformersJs: BrowserBenchResult['transformersJs'];
    if (!options.skipTjs) {
      const base = { localModelPath: `${server.hubUrl}/${QA_REPO}/resolve/`, modelId: QA_REVISION };
      // per window: fp32 at 1 thread (as the engine's first run), and int8 at 1 thread, which page QA compares
      const qaDtype = haveInt8 ? 'q8' : 'fp32';
      const tjsRuns: TjsRun[] = [];
      let bench: TjsBenchResult | undefined;
      let pageQa: TjsQaResult | undefined;
      for (const [dtype, threads] of [['fp32', 1], [qaDtype, TJS_QA_THREADS]] as const) {
        const tjsPage = await lens.openExtensionPage('bench/browser/tjs.html');
        await tjsPage.waitForFunction(() => typeof (globalThis as BenchPageGlobals).__tjsRun === 'function');
        log(`transformers.js page, ${dtype}, ${threads} thread(s)...`);
        const tjsOpts: TjsBenchOptions = { ...base, trials: options.trials, warmupMs: Math.min(options.warmupMs, 10_000), threads, seqLens, dtype };
        const r = await tjsPage.evaluate((o) => (globalThis as BenchPageGlobals).__tjsRun!(o), tjsOpts);
        bench ??= r;
        tjsRuns.push({ dtype, threads: r.threads, loadMs: r.loadMs.first, perWindow: r.perWindowMs });
        if (dtype === qaDtype && threads === TJS_QA_THREADS) {
          log('transformers.js page QA...');
          const qaOpts: TjsQaOptions = { ...base, items: items.map(({ tabId, question }) => ({ tabId, question })), windowBudget: DEFAULT_READ_BUDGET, warmupMs: Math.min(options.warmupMs, 10_000), threads, dtype };
          pageQa = await tjsPage.evaluate((o) => (globalThis as BenchPageGlobals).__tjsPageQa!(o), qaOpts);
        }
        await tjsPage.close();
      }
      if (!bench || !pageQa) throw new Error('internal: no transformers.js run');
      transformersJs = {
        loadMs: bench.loadMs.first,
        perWindow: bench.perWindowMs,
        pageQa: {
          warm: pageQa.retrievedWindows.ms,
          wholePage: pageQa.wholePage.ms,
          dtype: qaDtype,
          threads: TJS_QA_THREADS,
          note:
            `transformers.js page QA (${qaDtype}, ${TJS_QA_THREADS} threads in a cross-origin-isolated extension page, as the extension's default): its question-answering pipeline on the text the extension's content script extracts. ` +
            `Fed the same windows the extension's retriever selects (${DEFAULT_READ_BUDGET.tokens} tokens at most) (one pipeline call per window's context text, best score kept; excludes page extraction). ` +
            `Given the whole page in one call it truncates question + page to 512 tokens (only the start of the page is read; no stride, no null answer): ` +
            `median ${pageQa.wholePage.ms.median.toFixed(0)} ms.`,
        },
        memory: memoryRecord(bench.memory),
        details: { bench, pageQa },
        runs: tjsRuns,
      };
    }

    log('page extraction of a generated 10,000-element page...');
    const extraction = await benchExtraction(lens, server, Math.max(options.trials, 5));
    log(`extraction: ${extraction.ms.median.toFixed(0)} ms median (${extraction.elements} elements)`);
    const fullScanHonoured = fullScans.every((x) => x.pageTokensRead === x.pageTokens);
    if (!fullScanHonoured) log('WARNING: full-scan asks read less than the whole page: the background ignores AskRequest.windowBudget (warmFullScan is not a full scan)');
    return {
      date: new Date().toISOString(),
      browser: `Chromium ${browserVersion} (headless, --disable-gpu)`,
      extension: { loadMs: engine.loadMs.first, perWindow: engine.perWindowMs, memory: memoryRecord(engine.memory), details: engine, runs: engineRuns },
      transformersJs,
      pageQa: {
        cold: stats(cold.map((c) => c.ms)),
        warm: stats(samples.map((x) => x.ms)),
        warmFullScan: stats(fullScans.map((x) => x.ms)),
        questions: items.length,
        defaultBudget: DEFAULT_READ_BUDGET,
        backgroundMs: { cold: stats(cold.map((c) => c.backgroundMs)), warm: stats(samples.map((x) => x.backgroundMs)), warmFullScan: stats(fullScans.map((x) => x.backgroundMs)) },
        warmup,
        fullScanHonoured,
        coldSamples: cold,
        warmSamples: samples,
        fullScanSamples: fullScans,
        alternatives,
      },
      packageBytes: total(releaseFiles),
      packageDetails: { releaseDir, benchBuildBytes: total(benchFiles), benchBuildDir: outDir, largest: [...releaseFiles].sort((a, b) => b.bytes - a.bytes).slice(0, 5) },
      downloadBytes,
      modelFiles: Object.fromEntries(modelFiles.map((f) => [f.path, f.bytes])),
      installMs: install.ms,
      extraction,
      webgpu,
      ...(checkpointInstall ? { checkpointInstall } : {}),
      ...(pageQaSample ? { pageQaSample } : {}),
    };
  } finally {
    await lens?.close();
    await server?.close();
  }
}

// Run directly: node --import tsx bench/browser/driver.ts [modelDir] (BENCH_QUICK=1: 2 trials, 2 s warm-up, 2 articles)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await benchBrowser({
    modelDir: process.argv[2] ?? join(ROOT, '.tmp', 'bench', 'mobilebert-qa'),
    int8Dir: process.argv[3] ?? join(ROOT, '.tmp', 'bench', 'mobilebert-qa-int8'),
    trials: quick ? 2 : Number(process.env.BENCH_TRIALS ?? 10),
    warmupMs: quick ? 2000 : 30_000,
    articles: quick ? [0, 7] : [0, 7, 15, 23, 31, 39, 47],
    questionsPerArticle: quick ? 1 : 2,
    skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  });
  console.log(JSON.stringify(result, null, 2));
}

