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
// It also records what the event page has for WebAssembly threads (crossOriginIsolated, SharedArrayBuffer).
// Run alone: node --import tsx bench/browser/firefox.ts [modelDir] (BENCH_QUICK=1: few trials, 2 articles).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
import type { FirefoxSection, FirefoxThreads } from '../firefox-report.js';
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
    extension: { getViews(): Array<{ location: { pathname: string }; crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker: new (u: string) => { postMessage(m: unknown): void; terminate(): void }; WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => unknown } }> };
  };
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
    const cold: Array<AskSample & { phases: string[] }> = [];
    for (let i = 0; i < coldTrials; i++) {
      const deadline = Date.now() + IDLE_TIMEOUT_MS * 4 + 30_000;
      while (await backgroundRunning(asker)) {
        if (Date.now() > deadline) throw new Error(`Firefox did not suspend the event page within ${IDLE_TIMEOUT_MS * 4 + 30_000} ms of idleness`);
        await sleep(500);
      }
      // the window leaves getViews() as the suspension begins; asking at that moment can meet a background that
      // is neither running nor stopped ("Receiving end does not exist"): let the suspension finish
      await sleep(1000);
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
    return {
      browser: `${version} (headless), event page, ${threads.postSharedMemory === 'ok' ? 'threads possible' : '1 WebAssembly thread'}`,
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
    skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  });
  console.log(JSON.stringify({ ...result, warmSamples: result.warmSamples.length, coldSamples: result.coldSamples.length }, null, 2));
}
