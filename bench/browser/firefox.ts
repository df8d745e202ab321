// Page QA in Firefox ESR (Node driver): the Firefox build of the extension, pinned to the bench's hub tree
// (the same full-size model as Chromium's section), installed in Debian's firefox-esr over WebDriver BiDi
// (tests/e2e/harness/firefox.ts). The model is installed through the extension's own download path (int8 made
// on the device, as for users); then the same questions on the same article pages as Chromium's page QA are
// sent as qa/ask from an extension page (the options page, like the popup) and timed around sendMessage:
//   - warm: after a warm-up, trials x questions, default settings (Firefox: inference in the event page);
//   - cold: the first question after Firefox suspended the event page for idleness (the model stays in the
//     extension's storage; the background restarts, reads it back and creates the session). Firefox's idle
//     timeout (extensions.background.idle.timeout, 30 s by default) is lowered for the bench so that each cold
//     ask waits seconds, not half a minute; the suspension is checked (the background's window is gone from
//     extension.getViews()) and the cold reply must have reported a model load.
// It also records what the event page has for WebAssembly threads (crossOriginIsolated, SharedArrayBuffer), and
// where the model runs: by default in session workers (src/background/session-workers.ts), compared in the same run
// with one session in the event page ('lens.threads' = '1'), block by block in turn, with Firefox's memory each way.
// Run alone: node --import tsx bench/browser/firefox.ts [modelDir] (BENCH_QUICK=1: few trials, 2 articles).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { DEFAULT_READ_BUDGET } from '../../src/engine/qa/document.js';
import { stats } from '../../src/eval/latency.js';
import { loadSquad } from '../../src/eval/squad-data.js';
import { pinnedRegistryText, viteBuild } from '../../tests/e2e/harness/build.js';
import { launchFirefox, type LensFirefox } from '../../tests/e2e/harness/firefox.js';
import { startTestServer, type TestServer } from '../../tests/e2e/harness/server.js';
import { SQUAD_DIR } from '../../tests/helpers/shared-data.js';
import type { FirefoxSection, FirefoxSessions, FirefoxThreads } from '../firefox-report.js';
import { makeHubTree, QA_MODEL_ID, warmAsks } from './extension-setup.js';
import { drawQuestions, sampleSeed, sampleWarmQuestions } from './page-qa-sample.js';
import type { AskReplyLite, AskSample, PageQaBenchOptions } from './types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The event page's idle timeout for the bench (Firefox: 30 s by default). Firefox suspends an event page that made no
 * extension API call for this long even while it answers a message, so it must exceed the longest silent stretch of
 * an ask (a cold model load on this loaded 2-core machine took over 8 s: with 8 s the cold ask was cut off).
 */
const IDLE_TIMEOUT_MS = 20_000;

/** As Chromium's page QA; the build goes to .tmp/bench/ext-firefox by default, reused when skipBuild and the pins match. */
export interface FirefoxBenchOptions extends PageQaBenchOptions {
  /** warm questions of the large sample, drawn as Chromium's (page-qa-sample.ts); 0: none (default: BENCH_PAGEQA_WARM or 200) */
  sampleQuestions?: number;
  /** rounds of the in-turn comparison of the session workers with one session in the event page (default 3; 0: none) */
  compareRounds?: number;
}

type Envelope<T> = { ok: true; value: T } | { ok: false; error: string };

/** The slice of Firefox's extension API the callbacks use inside extension pages (no DOM or webextension types here). */
interface PageBrowser {
  browser: {
    runtime: {
      sendMessage(m: unknown): Promise<unknown>;
      onMessage: { addListener(f: (m: unknown) => void): void; removeListener(f: (m: unknown) => void): void };
    };
    tabs: { query(q: object): Promise<Array<{ id?: number; url?: string }>> };
    storage: { local: { get(key: string): Promise<Record<string, unknown>>; set(items: object): Promise<void>; remove(key: string): Promise<void> } };
    extension: { getViews(): Array<{ location: { pathname: string }; lensInference?: { sessionWorkers(): WorkersStatus }; lens?: { onnxFiles(): Promise<Record<string, string>> }; crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker: new (u: string) => { postMessage(m: unknown): void; terminate(): void }; WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => unknown } }> };
  };
}

/** The event page's diagnostic of its session workers (src/background/inference.ts). */
interface WorkersStatus {
  fallbackReason: string | undefined;
  stats: { workers: number; alive: number; rowsPerWorker: number[]; runsPerWorker: number[]; heapBytesPerWorker: number[] } | undefined;
}

/** What the asker page keeps (set by watchProgress). */
interface AskerGlobals {
  __lensPhases?: Record<string, string[]>;
}

/**
 * Records, in the page, the progress phases the background reports per request id. (Callbacks passed to
 * evaluate use no named function values: tsx would wrap them in a helper the page does not have.)
 */
const watchProgress = (page: Page) =>
  page.evaluate(() => {
    const g = globalThis as unknown as AskerGlobals & PageBrowser;
    g.__lensPhases = {};
    g.browser.runtime.onMessage.addListener((e: unknown) => {
      const p = e as { type?: string; requestId?: string; phase?: string };
      if (p?.type !== 'event/progress' || !p.requestId || !p.phase || !g.__lensPhases) return;
      const seen = (g.__lensPhases[p.requestId] ??= []);
      if (!seen.includes(p.phase)) seen.push(p.phase);
    });
  });

/** Sends a request from an extension page, timed there; phases: the progress events the background sent for it. */
async function send<T>(page: Page, msg: { type: string; requestId?: string }): Promise<{ ms: number; value: T; phases: string[] }> {
  const { ms, reply, phases } = await page.evaluate(async (m) => {
    const g = globalThis as unknown as AskerGlobals & PageBrowser;
    const t = performance.now();
    const r = await g.browser.runtime.sendMessage(m);
    const elapsed = performance.now() - t;
    const seen = (m.requestId && g.__lensPhases?.[m.requestId]) || [];
    if (m.requestId) delete g.__lensPhases?.[m.requestId];
    return { ms: elapsed, reply: r, phases: seen };
  }, msg);
  const env = reply as Envelope<T> | undefined;
  if (!env || typeof env !== 'object' || !('ok' in env)) throw new Error(`no reply to ${msg.type} in Firefox`);
  if (!env.ok) throw new Error(`${msg.type} in Firefox: ${env.error}`);
  return { ms, value: env.value, phases };
}

/** Whether the event page is running: its window is among the extension's views (extension.getViews() does not wake it). */
const backgroundRunning = (page: Page) =>
  page.evaluate(() =>
    (globalThis as unknown as PageBrowser).browser.extension
      .getViews()
      .some((w) => w.location.pathname.includes('background')),
  );

/** What the running event page has for WebAssembly threads (read from its window, same extension process). */
async function backgroundThreads(page: Page): Promise<FirefoxThreads> {
  return page.evaluate(() => {
    const bg = (globalThis as unknown as PageBrowser).browser.extension.getViews().find((w) => w.location.pathname.includes('background'));
    if (!bg) return { crossOriginIsolated: null, sharedArrayBuffer: 'no background window', postSharedMemory: 'no background window' };
    let postSharedMemory = 'ok';
    try {
      const worker = new bg.Worker('data:text/javascript,');
      worker.postMessage(new bg.WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
      worker.terminate();
    } catch (err) {
      postSharedMemory = String(err);
    }
    return { crossOriginIsolated: bg.crossOriginIsolated ?? null, sharedArrayBuffer: typeof bg.SharedArrayBuffer, postSharedMemory };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The event page's session workers, read through its window (null: it is not running). */
const workersStatus = (page: Page) =>
  page.evaluate(() => {
    const bg = (globalThis as unknown as PageBrowser).browser.extension.getViews().find((w) => w.location.pathname.includes('background'));
    return bg?.lensInference?.sessionWorkers() ?? null;
  });

/** The size of the ONNX file the event page loaded for the QA model (from the model store's record), or 0. */
const loadedOnnxBytes = (page: Page) =>
  page.evaluate(async (modelId: string) => {
    const g = globalThis as unknown as PageBrowser;
    const bg = g.browser.extension.getViews().find((w) => w.location.pathname.includes('background'));
    const path = (await bg?.lens?.onnxFiles())?.[modelId];
    const models = (await g.browser.storage.local.get('installedModels')).installedModels as Record<string, { files: Array<{ path: string; size: number }> }> | undefined;
    return models?.[modelId]?.files.find((f) => f.path === path)?.size ?? 0;
  }, QA_MODEL_ID);

/** Firefox's PSS after a pause (memory of what was just released is returned), the median of 5 readings 1 s apart. */
async function settledPss(rootPid: number | undefined): Promise<number | undefined> {
  const readings: number[] = [];
  await sleep(2000);
  for (let i = 0; i < 5; i++) {
    const bytes = firefoxPssBytes(rootPid);
    if (bytes === undefined) return undefined;
    readings.push(bytes);
    await sleep(1000);
  }
  return readings.sort((a, b) => a - b)[2];
}

/**
 * The memory Firefox uses: the sum of PSS (proportional set size: shared pages split between their processes) over
 * the browser process and its descendants, from /proc (Linux). Undefined elsewhere.
 */
function firefoxPssBytes(rootPid: number | undefined): number | undefined {
  if (rootPid === undefined || !existsSync('/proc/self/smaps_rollup')) return undefined;
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // the parent pid is the 2nd field after the command's closing parenthesis
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parents.get(p), hops++) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const pid of parents.keys()) {
    if (!inTree(pid)) continue;
    try {
      const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (kb) total += Number(kb[1]) * 1024;
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

export async function benchFirefox(options: FirefoxBenchOptions): Promise<FirefoxSection> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const outDir = resolve(options.outDir ?? join(ROOT, '.tmp', 'bench', 'ext-firefox'));
  const perArticle = options.questionsPerArticle ?? 1;
  const coldTrials = options.coldTrials ?? Math.min(options.trials, 3);
  // a hub tree like Chromium's section's (same model files), its own folder so that neither rebuilds the other's;
  // the Firefox build's registry pins its files
  const hubDir = join(ROOT, '.tmp', 'bench', 'hub-firefox');
  makeHubTree(resolve(options.modelDir), hubDir);
  const registryFile = `${outDir}.registry.json`;
  const registryText = await pinnedRegistryText(hubDir);
  const samePins = existsSync(registryFile) && readFileSync(registryFile, 'utf8') === registryText;
  if (!options.skipBuild || !samePins || !existsSync(join(outDir, 'manifest.json'))) {
    log(`building the Firefox extension into ${outDir}...`);
    mkdirSync(dirname(registryFile), { recursive: true });
    writeFileSync(registryFile, registryText);
    await viteBuild('firefox', outDir, registryFile);
  }
  const data = await loadSquad(SQUAD_DIR);

  let server: TestServer | undefined;
  let fx: LensFirefox | undefined;
  try {
    const srv = (server = await startTestServer({ hubDir }));
    const browser = (fx = await launchFirefox({ extensionDir: outDir, prefs: { 'extensions.background.idle.timeout': IDLE_TIMEOUT_MS } }));
    const version = await fx.browser.version();
    log(`${version}, event page idle timeout ${IDLE_TIMEOUT_MS} ms`);

    const asker = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    await asker.locator('#hub-url').fill(server.hubUrl);
    await asker.locator('#save-hub').click();
    await asker.waitForFunction(() => /Saved/.test((globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('#hub-status')?.textContent ?? ''));
    await watchProgress(asker);
    log('installing the model through the extension (models/download; int8 made in the event page)...');
    const install = await send<unknown>(asker, { type: 'models/download', modelId: QA_MODEL_ID } as { type: string });
    log(`installed in ${install.ms.toFixed(0)} ms`);

    const openArticle = async (n: number) => {
      const url = srv.articleUrl(n);
      const page = await browser.openPage(url);
      await page.waitForSelector('main p');
      const tabId = await asker.evaluate(async (u: string) => (await (globalThis as unknown as PageBrowser).browser.tabs.query({})).find((t) => t.url === u)?.id ?? -1, url);
      if (tabId < 0) throw new Error(`Firefox: no tab found for ${url}`);
      return { page, tabId };
    };
    const items: Array<{ article: number; tabId: number; question: string }> = [];
    for (const n of options.articles) {
      const { tabId } = await openArticle(n);
      for (const q of data.questions.filter((x) => x.article === n).slice(0, perArticle)) items.push({ article: n, tabId, question: q.question });
    }
    if (!items.length) throw new Error('no questions for the given articles');
    log(`${items.length} questions on ${options.articles.length} article pages`);

    const ask = async (item: (typeof items)[number]): Promise<AskSample & { phases: string[] }> => {
      const msg = { type: 'qa/ask', requestId: `bench-fx-${Math.random().toString(36).slice(2)}`, tabId: item.tabId, question: item.question, scope: 'page' };
      const { ms, value, phases } = await send<AskReplyLite>(asker, msg);
      return { article: item.article, question: item.question, ms, backgroundMs: value.ms, windowsRead: value.windowsRead, windowsTotal: value.windowsTotal, pageTokensRead: value.pageTokensRead, pageTokens: value.pageTokens, answer: value.answers[0]?.text ?? '', abstained: value.abstained, phases };
    };

    // cold: wait for Firefox to suspend the idle event page, then ask
    const untilSuspended = async () => {
      const deadline = Date.now() + IDLE_TIMEOUT_MS * 4 + 30_000;
      while (await backgroundRunning(asker)) {
        if (Date.now() > deadline) throw new Error(`Firefox did not suspend the event page within ${IDLE_TIMEOUT_MS * 4 + 30_000} ms of idleness`);
        await sleep(500);
      }
      // the window leaves getViews() as the suspension begins; asking at that moment can meet a background that
      // is neither running nor stopped ("Receiving end does not exist"): let the suspension finish
      await sleep(1000);
    };
    const cold: Array<AskSample & { phases: string[] }> = [];
    for (let i = 0; i < coldTrials; i++) {
      await untilSuspended();
      const sample = await ask(items[i % items.length]);
      if (!sample.phases.includes('load')) throw new Error(`cold ask ${i + 1}: the background reported no model load (phases ${sample.phases.join(', ')}): it was not a cold start`);
      cold.push(sample);
      log(`cold ask ${i + 1} (event page suspended, restarted by the ask): ${sample.ms.toFixed(0)} ms`);
    }

    const threads = await backgroundThreads(asker);
    log(`event page: crossOriginIsolated ${threads.crossOriginIsolated}, SharedArrayBuffer ${threads.sharedArrayBuffer}, shared memory to a Worker: ${threads.postSharedMemory}`);

    const { warmup, samples } = await warmAsks(items, ask, options, log);
    if (samples.some((x) => x.phases.includes('load'))) throw new Error('a warm ask reloaded the model: the event page was suspended between asks');
    const warm: AskSample[] = samples.map(({ phases: _, ...sample }) => sample);
    const status = await workersStatus(asker);
    if (status?.fallbackReason) log(`the session workers were not used: ${status.fallbackReason}`);
    else log(`session workers: ${status?.stats?.workers ?? 0}, rows run by each: ${status?.stats?.rowsPerWorker.join(' / ') ?? '–'}`);

    // the large sample: Chromium's 200 warm questions from all 48 articles (same seed), a tab per article, opened
    // for its questions and closed after them (the first question on a page also prepares it)
    const sampleN = options.sampleQuestions ?? sampleWarmQuestions();
    const seed = sampleSeed();
    const byArticle = new Map<number, string[]>();
    for (const q of sampleN > 0 ? drawQuestions(data, sampleN, seed) : []) byArticle.set(q.article, [...(byArticle.get(q.article) ?? []), q.question]);
    const sampleAsks: AskSample[] = [];
    for (const [article, questions] of byArticle) {
      const { page, tabId } = await openArticle(article);
      for (const question of questions) {
        const { phases, ...sample } = await ask({ article, tabId, question });
        if (phases.includes('load')) throw new Error('a warm ask reloaded the model: the event page was suspended between asks');
        sampleAsks.push(sample);
      }
      await page.close();
      if (sampleAsks.length % 40 < questions.length) log(`sample ${sampleAsks.length}/${sampleN}: median so far ${stats(sampleAsks.map((x) => x.ms)).median.toFixed(0)} ms`);
    }
    // the session workers against one session in the event page ('lens.threads' = '1'), block by block in turn (the
    // machine's load drifts); each switch loads the model again, so each block has its own warm-up, as long as the
    // first one's (Firefox optimises the WebAssembly code of a fresh runtime over the first several seconds)
    let sessions: FirefoxSessions | undefined;
    const rounds = options.compareRounds ?? 3;
    const workers = status?.stats?.workers ?? 0;
    if (rounds > 0 && workers > 1 && !status?.fallbackReason) {
      const pid = browser.browser.process()?.pid;
      const onnxBytes = await loadedOnnxBytes(asker);
      const times: Record<'page' | 'workers', number[]> = { page: [], workers: [] };
      let pageBytes: number | undefined;
      let workersBytes: number | undefined;
      let heapBytesPerWorker: number[] = [];
      const setThreads = (value: string | undefined) =>
        asker.evaluate(async (v: string | null) => {
          const local = (globalThis as unknown as PageBrowser).browser.storage.local;
          await (v === null ? local.remove('lens.threads') : local.set({ 'lens.threads': v }));
        }, value ?? null);
      try {
        for (let round = 0; round < rounds; round++) {
          for (const kind of ['page', 'workers'] as const) {
            await setThreads(kind === 'page' ? '1' : undefined);
            const t = performance.now();
            let asks = 0;
            while (asks < 3 || performance.now() - t < options.warmupMs) await ask(items[asks++ % items.length]);
            for (let i = 0; i < 2; i++) {
              for (const item of items) {
                const sample = await ask(item);
                if (sample.phases.includes('load')) throw new Error(`a warm ask (${kind}) reloaded the model`);
                times[kind].push(sample.ms);
              }
            }
            log(`round ${round + 1}, ${kind === 'page' ? 'one session in the event page' : `${workers} session workers`}: median ${stats(times[kind].slice(-2 * items.length)).median.toFixed(0)} ms (after ${asks} warm-up asks)`);
          }
        }
        // Firefox's memory each way, each in a fresh event page (suspended, then restarted by the questions), so
        // that neither holds what the other left (a WebAssembly memory never shrinks). A suspended page's memory is
        // freed some time later: each way is measured twice, in turn, and the lower reading kept.
        const fresh = async (kind: 'page' | 'workers') => {
          await setThreads(kind === 'page' ? '1' : undefined);
          await untilSuspended();
          for (const item of items) await ask(item);
          const bytes = await settledPss(pid);
          log(`memory, ${kind === 'page' ? 'one session in the event page' : `${workers} session workers`}, fresh event page: ${((bytes ?? 0) / 1e6).toFixed(0)} MB`);
          return bytes;
        };
        const lower = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
        for (let i = 0; i < 2; i++) {
          workersBytes = lower(workersBytes, await fresh('workers'));
          heapBytesPerWorker = (await workersStatus(asker))?.stats?.heapBytesPerWorker ?? heapBytesPerWorker;
          pageBytes = lower(pageBytes, await fresh('page'));
        }
      } finally {
        await setThreads(undefined);
      }
      const memory =
        workersBytes !== undefined && pageBytes !== undefined
          ? { workersBytes, pageBytes, onnxBytes, heapBytesPerWorker, method: 'the sum of PSS over the Firefox processes from /proc (the median of 5 readings), each way in a fresh event page (suspended, then restarted by the warm questions, each asked once), twice in turn, the lower kept' }
          : undefined;
      if (memory) log(`memory: ${(memory.workersBytes / 1e6).toFixed(0)} MB with the workers, ${(memory.pageBytes / 1e6).toFixed(0)} MB with one session in the event page (ONNX file ${(onnxBytes / 1e6).toFixed(1)} MB; each worker's WebAssembly memory ${memory.heapBytesPerWorker.map((b) => (b / 1e6).toFixed(0)).join(' / ')} MB)`);
      sessions = { workers, rowsPerWorker: status?.stats?.rowsPerWorker ?? [], compare: { rounds, workers: stats(times.workers), page: stats(times.page) }, ...(memory ? { memory } : {}) };
    }

    return {
      browser: `${version} (headless), event page, ${sessions ? `${sessions.workers} session workers` : threads.postSharedMemory === 'ok' ? 'threads possible' : '1 WebAssembly thread'}`,
      questions: items.length,
      defaultBudget: DEFAULT_READ_BUDGET,
      warm: stats(warm.map((x) => x.ms)),
      cold: stats(cold.map((x) => x.ms)),
      backgroundMs: { warm: stats(warm.map((x) => x.backgroundMs)), cold: stats(cold.map((x) => x.backgroundMs)) },
      warmup,
      coldMethod:
        `first question after Firefox suspended the idle event page (extensions.background.idle.timeout lowered to ${IDLE_TIMEOUT_MS / 1000} s for the bench; 30 s by default): ` +
        'the ask restarts the background, which reads the int8 model from the extension storage, creates the session, extracts and indexes the page, and reads the windows',
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      threads,
      installMs: install.ms,
      warmSamples: warm,
      coldSamples: cold.map(({ phases: _phases, ...s }) => s),
      ...(sampleAsks.length ? { sample: { seed, articles: byArticle.size, warm: stats(sampleAsks.map((x) => x.ms)), samples: sampleAsks } } : {}),
      ...(sessions ? { sessions } : {}),
    };
  } finally {
    await fx?.close();
    await server?.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await benchFirefox({
    modelDir: process.argv[2] ?? join(ROOT, '.tmp', 'bench', 'mobilebert-qa'),
    trials: quick ? 2 : Number(process.env.BENCH_TRIALS ?? 10),
    warmupMs: quick ? 2000 : 20_000,
    articles: quick ? [0, 7] : [0, 7, 15, 23, 31, 39, 47],
    coldTrials: quick ? 1 : undefined,
    compareRounds: process.env.BENCH_FX_COMPARE === undefined ? (quick ? 1 : 3) : Number(process.env.BENCH_FX_COMPARE),
    skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  });
  console.log(JSON.stringify({ ...result, warmSamples: result.warmSamples.length, coldSamples: result.coldSamples.length }, null, 2));
}
