// Reading real pages (issue 17): the extraction development set (../shared/data/extraction-dev, real pages saved
// from the web) served from 127.0.0.1 with scripts off and outside requests blocked (tests/e2e/harness/dev-set.ts),
// read by the built extension's content script as the background asks for it (content/extract, scope page, from an
// extension page, as bench/browser/extraction.ts times the generated page):
//   - first read: each page loaded fresh in its own tab, one page at a time (no tabs in parallel), one read;
//   - follow-up read: a second read of the same unchanged page (the content script may reuse its reading);
//   - warm page QA on real pages: the full-size model installed and warm, one question per page of a fixed
//     sample, asked as the popup asks (qa/ask), timed from asking to the answer with the page read included (a fresh
//     page per question: the first question on its page).
// Chromium and Firefox ESR read the same pages and answer the same questions (BENCH_PAGES_FIREFOX_QA=0 leaves out
// Firefox's page QA: its model install, int8 made in the event page, and its asks took about a minute in a quick run).
// Run alone: node --import tsx bench/browser/real-pages.ts [modelDir]   (BENCH_QUICK=1: a few pages)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import { stats } from '../../src/eval/latency.js';
import type { TimelineMark } from '../../src/shared/timeline.js';
import { pinnedRegistryText, viteBuild as harnessBuild } from '../../tests/e2e/harness/build.js';
import { launchChromium, type LensChromium } from '../../tests/e2e/harness/chromium.js';
import { devSetUnavailable, loadDevCases, startDevSetServer, type DevCase, type DevSetServer } from '../../tests/e2e/harness/dev-set.js';
import { FIREFOX_PATH, launchFirefox, type LensFirefox } from '../../tests/e2e/harness/firefox.js';
import { startTestServer, type TestServer } from '../../tests/e2e/harness/server.js';
import type { PageReadRun, PageReadSample, RealPageAsk, RealPagesQa, RealPagesSection, SpreadStats } from '../real-pages-report.js';
import { QA_MODEL_ID, makeHubTree, viteBuild } from './extension-setup.js';
import type { AskReplyLite } from './types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** pages read (quick: a few), questions asked (30 in a full run), pages for the QA warm-up */
const QUICK_READ_PAGES = 6;
const QA_PAGES = 30;
const QUICK_QA_PAGES = 3;
const WARMUP_PAGES = 4;
const FIREFOX_IDLE_TIMEOUT_MS = 60_000;

export interface RealPagesOptions {
  /** the full-size QA model folder (as bench/run.ts makes it) */
  modelDir: string;
  quick: boolean;
  /** warm-up before the QA sample (asks on other development pages) */
  warmupMs: number;
  /** reuse the builds in .tmp/bench/ext-pages and ext-pages-firefox when their registry pins match */
  skipBuild?: boolean;
  /** read in Firefox ESR too (default: where firefox-esr is installed) */
  firefox?: boolean;
  /** page QA in Firefox too (default: yes, unless BENCH_PAGES_FIREFOX_QA=0) */
  firefoxQa?: boolean;
  log?: (line: string) => void;
}

type Envelope<T> = { ok: true; value: T } | { ok: false; error: string };

/** The fields of ExtractReply the bench reads; `reused` comes with "read once" (absent before it). */
interface ExtractLite {
  text: string;
  reading: { note: string };
  reused?: boolean;
}

type AskValue = AskReplyLite & { timeline?: TimelineMark[] };

/** The extension API inside an extension page, as both browsers have it (chrome.* in Chromium, browser.* in Firefox). */
interface TabsApi {
  tabs: {
    query(q: object): Promise<Array<{ id?: number; url?: string }>>;
    sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown>;
  };
  runtime: { sendMessage(msg: unknown): Promise<unknown> };
}
type ExtGlobals = { chrome?: TabsApi; browser?: TabsApi };

/** One browser as the reads and asks need it: pages opened and closed, messages timed in an extension page. */
interface BrowserDriver {
  browser: string;
  /** loads the page (its load event) and finds its tab */
  open(url: string): Promise<{ tabId: number; close(): Promise<void> }>;
  /** a message to the tab's content script (frame 0), timed around tabs.sendMessage in the extension page */
  toTab(tabId: number, msg: unknown): Promise<{ ms: number; reply: unknown }>;
  /** a message to the background, timed around runtime.sendMessage in the extension page */
  toBackground(msg: unknown): Promise<{ ms: number; reply: unknown }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stats with the p90 and the maximum (the targets are stated in them); p90 picked as stats() picks its p95. */
export function spread(values: readonly number[]): SpreadStats {
  const sorted = [...values].sort((a, b) => a - b);
  return { ...stats(values), p90: sorted[Math.min(sorted.length - 1, Math.floor(0.9 * sorted.length))], max: sorted[sorted.length - 1] };
}

/** k items spread evenly over the list (by position), the same every run. */
export function pickEvenly<T>(list: readonly T[], k: number): T[] {
  if (k >= list.length) return [...list];
  return Array.from({ length: k }, (_, i) => list[Math.floor((i * list.length) / k)]);
}

/**
 * One question from a page's `with` snippets (text the page's main content must have): the snippet with the most
 * words, its last word left out, asked as a cloze ("Which word follows "<the rest>"?"). Its words point the
 * retriever at the passage that holds the snippet, as a user's question about that passage would; the model's
 * weights are random, so the answer is timed, not judged. A one-word snippet is asked about as it is.
 */
export function snippetQuestion(c: DevCase): { question: string; snippet: string } {
  const snippet = [...c.with].sort((a, b) => b.trim().split(/\s+/).length - a.trim().split(/\s+/).length)[0] ?? c.url;
  const words = snippet.trim().split(/\s+/);
  const question = words.length > 1 ? `Which word follows "${words.slice(0, -1).join(' ')}"?` : `What does the page say about "${snippet.trim()}"?`;
  return { question, snippet };
}

/** A tab message, retried while the content script is not listening yet (injected at document_idle). */
async function toContent<T>(d: BrowserDriver, tabId: number, msg: unknown): Promise<{ ms: number; value: T }> {
  for (let attempt = 0; ; attempt++) {
    let sent: { ms: number; reply: unknown };
    try {
      sent = await d.toTab(tabId, msg);
    } catch (err) {
      if (attempt > 50 || !/receiving end does not exist|could not establish connection/i.test(String(err))) throw err;
      await sleep(100);
      continue;
    }
    const env = sent.reply as Envelope<T> | undefined;
    if (!env || typeof env !== 'object' || !('ok' in env)) throw new Error(`no reply to ${JSON.stringify(msg).slice(0, 60)}`);
    if (!env.ok) throw new Error(env.error);
    return { ms: sent.ms, value: env.value };
  }
}

async function toBackground<T>(d: BrowserDriver, msg: { type: string; [key: string]: unknown }): Promise<{ ms: number; value: T }> {
  const { ms, reply } = await d.toBackground(msg);
  const env = reply as Envelope<T> | undefined;
  if (!env || typeof env !== 'object' || !('ok' in env)) throw new Error(`no reply to ${msg.type}`);
  if (!env.ok) throw new Error(`${msg.type}: ${env.error}`);
  return { ms, value: env.value };
}

const EXTRACT = { type: 'content/extract', scope: 'page' };

/** Each page loaded fresh, read once (first read) and once more unchanged (follow-up), one page at a time. */
async function readPages(d: BrowserDriver, server: DevSetServer, cases: readonly DevCase[], log: (s: string) => void): Promise<PageReadRun> {
  const samples: PageReadSample[] = [];
  const failures: PageReadRun['failures'] = [];
  for (const [i, c] of cases.entries()) {
    let tab: Awaited<ReturnType<BrowserDriver['open']>> | undefined;
    try {
      tab = await d.open(server.url(c));
      const first = await toContent<ExtractLite>(d, tab.tabId, EXTRACT);
      const followUp = await toContent<ExtractLite>(d, tab.tabId, EXTRACT);
      const sample: PageReadSample = { file: c.file, firstMs: first.ms, followUpMs: followUp.ms, chars: first.value.text.length, reading: first.value.reading.note };
      if (typeof followUp.value.reused === 'boolean') sample.reused = followUp.value.reused;
      samples.push(sample);
      log(`  ${d.browser} read ${i + 1}/${cases.length} ${c.file}: first ${first.ms.toFixed(0)} ms, follow-up ${followUp.ms.toFixed(0)} ms${sample.reused === undefined ? '' : sample.reused ? ' (reused)' : ' (read again)'}, ${sample.chars} characters`);
    } catch (err) {
      failures.push({ file: c.file, error: err instanceof Error ? err.message : String(err) });
      log(`  ${d.browser} read ${i + 1}/${cases.length} ${c.file}: FAILED ${failures.at(-1)?.error}`);
    } finally {
      await tab?.close().catch(() => undefined);
    }
  }
  if (!samples.length) throw new Error(`${d.browser}: no development page was read (${failures[0]?.error ?? 'no pages'})`);
  const slowest = samples.reduce((a, b) => (b.firstMs > a.firstMs ? b : a));
  const flagged = samples.filter((s) => s.reused !== undefined);
  return {
    browser: d.browser,
    pages: samples.length,
    first: spread(samples.map((s) => s.firstMs)),
    slowest: { file: slowest.file, ms: slowest.firstMs, chars: slowest.chars },
    followUp: spread(samples.map((s) => s.followUpMs)),
    reusedShare: flagged.length ? flagged.filter((s) => s.reused).length / samples.length : null,
    failures,
    samples,
  };
}

/** One question on a page opened fresh; the content script is listening before the question is sent. */
async function askFresh(d: BrowserDriver, server: DevSetServer, c: DevCase): Promise<RealPageAsk> {
  const { question, snippet } = snippetQuestion(c);
  const tab = await d.open(server.url(c));
  try {
    // a message the content script answers without reading the page: the ask below does the first read
    await toContent(d, tab.tabId, { type: 'content/selection-info' });
    const msg = { type: 'qa/ask', requestId: `pages-${Math.random().toString(36).slice(2)}`, tabId: tab.tabId, question, scope: 'page' };
    const { ms, value } = await toBackground<AskValue>(d, msg);
    const at = (name: string) => value.timeline?.find((m) => m.name === name)?.at;
    const asked = at('worker:ask');
    const extracted = at('worker:extracted');
    return {
      file: c.file,
      question,
      snippet,
      ms,
      backgroundMs: value.ms,
      ...(asked !== undefined && extracted !== undefined ? { readMs: extracted - asked } : {}),
      windowsRead: value.windowsRead,
      windowsTotal: value.windowsTotal,
      pageTokens: value.pageTokens,
      answer: value.answers[0]?.text ?? '',
    };
  } finally {
    await tab.close().catch(() => undefined);
  }
}

/** Warm-up asks on other development pages for warmupMs (at least one each), then one question per sample page. */
async function pageQa(d: BrowserDriver, server: DevSetServer, sample: readonly DevCase[], warmupCases: readonly DevCase[], warmupMs: number, log: (s: string) => void): Promise<RealPagesQa> {
  const t = performance.now();
  let asks = 0;
  while (asks < warmupCases.length || performance.now() - t < warmupMs) {
    const r = await askFresh(d, server, warmupCases[asks % warmupCases.length]);
    asks++;
    log(`  ${d.browser} warm-up ask ${asks}: ${r.ms.toFixed(0)} ms`);
  }
  const warmup = { ms: performance.now() - t, asks };
  const samples: RealPageAsk[] = [];
  const failures: RealPagesQa['failures'] = [];
  for (const [i, c] of sample.entries()) {
    try {
      const r = await askFresh(d, server, c);
      samples.push(r);
      log(`  ${d.browser} ask ${i + 1}/${sample.length} ${c.file}: ${r.ms.toFixed(0)} ms (read ${r.readMs?.toFixed(0) ?? '?'} ms, ${r.windowsRead}/${r.windowsTotal} windows, ${r.pageTokens} page tokens)`);
    } catch (err) {
      failures.push({ file: c.file, error: err instanceof Error ? err.message : String(err) });
      log(`  ${d.browser} ask ${i + 1}/${sample.length} ${c.file}: FAILED ${failures.at(-1)?.error}`);
    }
  }
  if (!samples.length) throw new Error(`${d.browser}: no question on a development page was answered (${failures[0]?.error ?? 'no pages'})`);
  const reads = samples.map((s) => s.readMs).filter((v): v is number => v !== undefined);
  return {
    browser: d.browser,
    method: `${sample.length} development pages spread evenly over the set (sorted by file name), one question each from the page's longest \`with\` snippet as a cloze (its words but the last: "Which word follows "…"?"), default settings; each page opened fresh, the content script listening, then the question sent.`,
    warm: spread(samples.map((s) => s.ms)),
    ...(reads.length ? { readMs: spread(reads) } : {}),
    warmup,
    samples,
    failures,
  };
}

function chromiumDriver(lens: LensChromium, asker: PlaywrightPage, browser: string): BrowserDriver {
  return {
    browser,
    open: async (url) => {
      const page = await lens.openPage(url);
      // the tab found from the extension page (the service worker is not needed, and not woken, for reading)
      const tabId = await tabIdFrom((u) => asker.evaluate(async (v) => ((await ((globalThis as ExtGlobals).chrome as TabsApi).tabs.query({})).find((tab) => tab.url === v)?.id ?? -1), u), page.url());
      return { tabId, close: () => page.close() };
    },
    toTab: (tabId, msg) =>
      asker.evaluate(
        async ([id, m]) => {
          const t0 = performance.now();
          const reply: unknown = await ((globalThis as ExtGlobals).chrome as TabsApi).tabs.sendMessage(id, m, { frameId: 0 });
          return { ms: performance.now() - t0, reply };
        },
        [tabId, msg] as const,
      ),
    toBackground: (msg) =>
      asker.evaluate(async (m) => {
        const t0 = performance.now();
        const reply: unknown = await ((globalThis as ExtGlobals).chrome as TabsApi).runtime.sendMessage(m);
        return { ms: performance.now() - t0, reply };
      }, msg),
  };
}

function firefoxDriver(fx: LensFirefox, asker: PuppeteerPage, browser: string): BrowserDriver {
  return {
    browser,
    open: async (url) => {
      const page = await fx.openPage(url); // resolves on load
      // the tab by the URL asked for or the one the page reports (either may carry the browser's own escaping)
      const urls = [url, page.url()];
      const tabId = await tabIdFrom(() => asker.evaluate(async (vs: string[]) => ((await ((globalThis as ExtGlobals).browser as TabsApi).tabs.query({})).find((tab) => vs.includes(tab.url ?? ''))?.id ?? -1), urls), url);
      return { tabId, close: () => page.close() };
    },
    toTab: (tabId, msg) =>
      asker.evaluate(
        async (id: number, m: unknown) => {
          const t0 = performance.now();
          const reply: unknown = await ((globalThis as ExtGlobals).browser as TabsApi).tabs.sendMessage(id, m, { frameId: 0 });
          return { ms: performance.now() - t0, reply };
        },
        tabId,
        msg,
      ),
    toBackground: (msg) =>
      asker.evaluate(async (m: unknown) => {
        const t0 = performance.now();
        const reply: unknown = await ((globalThis as ExtGlobals).browser as TabsApi).runtime.sendMessage(m);
        return { ms: performance.now() - t0, reply };
      }, msg),
  };
}

/** The tab showing url (one tab per page at a time), polled briefly: a tab's url can lag its load. */
async function tabIdFrom(query: (url: string) => Promise<number>, url: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const id = await query(url);
    if (id >= 0) return id;
    if (attempt > 50) throw new Error(`no tab has ${url}`);
    await sleep(100);
  }
}

/** Builds the extension for a browser into outDir with the hub's pins, unless skipBuild and the same pins are built there. */
async function build(browser: 'chrome' | 'firefox', outDir: string, hubDir: string, skipBuild: boolean, log: (s: string) => void): Promise<void> {
  const registryFile = `${outDir}.registry.json`;
  const registryText = await pinnedRegistryText(hubDir);
  const samePins = existsSync(registryFile) && readFileSync(registryFile, 'utf8') === registryText;
  if (skipBuild && samePins && existsSync(join(outDir, 'manifest.json'))) return;
  mkdirSync(dirname(registryFile), { recursive: true });
  writeFileSync(registryFile, registryText);
  if (browser === 'chrome') await viteBuild(outDir, false, log, registryFile);
  else {
    log(`building the Firefox extension into ${outDir}...`);
    await harnessBuild('firefox', outDir, registryFile);
  }
}

export async function benchRealPages(options: RealPagesOptions): Promise<RealPagesSection | undefined> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const unavailable = devSetUnavailable();
  if (unavailable) {
    log(`reading real pages: ${unavailable}`);
    return undefined;
  }
  const all = [...loadDevCases()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const readCases = options.quick ? pickEvenly(all, QUICK_READ_PAGES) : all;
  const qaCases = pickEvenly(all, options.quick ? QUICK_QA_PAGES : QA_PAGES);
  const warmupCases = pickEvenly(
    all.filter((c) => !qaCases.includes(c)),
    WARMUP_PAGES,
  );
  const skipBuild = options.skipBuild ?? process.env.BENCH_SKIP_BUILD === '1';
  const hubDir = join(ROOT, '.tmp', 'bench', 'hub-pages');
  makeHubTree(resolve(options.modelDir), hubDir);

  const section: RealPagesSection = {
    setPages: all.length,
    note: `The extraction development set: ${all.length} real web pages saved by trafilatura's evaluation (../shared/data/extraction-dev), served from 127.0.0.1 as opened from disk with scripts off and every outside request blocked (tests/e2e/harness/dev-set.ts). ${readCases.length === all.length ? 'Every page is' : `${readCases.length} pages spread over the set (a quick run) are each`} opened in a fresh tab, one at a time, and read by the built extension's content script as the background asks for it: content/extract (scope page) sent from an extension page and timed there, around tabs.sendMessage. The first read is the first request after the page loaded; the follow-up read asks again at once, the page unchanged.`,
  };
  const pagesServer = await startDevSetServer();
  try {
    const chromeDir = join(ROOT, '.tmp', 'bench', 'ext-pages');
    await build('chrome', chromeDir, hubDir, skipBuild, log);
    let hub: TestServer | undefined;
    let lens: LensChromium | undefined;
    try {
      hub = await startTestServer({ hubDir });
      lens = await launchChromium({ extensionDir: chromeDir });
      const asker = await lens.openExtensionPage('src/options/options.html');
      const d = chromiumDriver(lens, asker, `Chromium ${lens.context.browser()?.version() ?? ''}`.trim());
      log(`reading ${readCases.length} development pages in ${d.browser}...`);
      section.chromium = await readPages(d, pagesServer, readCases, log);
      log(`${d.browser}: first read median ${section.chromium.first.median.toFixed(0)} ms, max ${section.chromium.first.max.toFixed(0)} ms (${section.chromium.slowest.file}); follow-up median ${section.chromium.followUp.median.toFixed(0)} ms`);

      await asker.fill('#hub-url', hub.hubUrl);
      await asker.click('#save-hub');
      await asker.locator('#hub-status', { hasText: 'Saved' }).waitFor();
      log('installing the model through the extension (models/download)...');
      const install = await toBackground(d, { type: 'models/download', modelId: QA_MODEL_ID });
      log(`installed in ${install.ms.toFixed(0)} ms; page QA on ${qaCases.length} development pages...`);
      section.qa = await pageQa(d, pagesServer, qaCases, warmupCases, options.warmupMs, log);
      log(`${d.browser}: page QA on real pages, warm median ${section.qa.warm.median.toFixed(0)} ms, p90 ${section.qa.warm.p90.toFixed(0)} ms`);
    } finally {
      await lens?.close();
      await hub?.close();
    }

    const fxDir = join(ROOT, '.tmp', 'bench', 'ext-pages-firefox');
    if (options.firefox ?? existsSync(FIREFOX_PATH)) {
      await build('firefox', fxDir, hubDir, skipBuild, log);
      const fxQa = options.firefoxQa ?? process.env.BENCH_PAGES_FIREFOX_QA !== '0';
      let fx: LensFirefox | undefined;
      let fxHub: TestServer | undefined;
      try {
        fxHub = fxQa ? await startTestServer({ hubDir }) : undefined;
        // a long idle timeout: the event page must not be suspended between the warm asks
        fx = await launchFirefox({ extensionDir: fxDir, prefs: { 'extensions.background.idle.timeout': FIREFOX_IDLE_TIMEOUT_MS } });
        const asker = await fx.openExtensionPage('src/options/options.html', '#hub-url');
        // version() says e.g. "firefox/153.8.0"
        const d = firefoxDriver(fx, asker, `Firefox ESR ${(await fx.browser.version()).replace(/^firefox\//i, '')}`);
        log(`reading ${readCases.length} development pages in ${d.browser}...`);
        section.firefox = await readPages(d, pagesServer, readCases, log);
        log(`${d.browser}: first read median ${section.firefox.first.median.toFixed(0)} ms, max ${section.firefox.first.max.toFixed(0)} ms (${section.firefox.slowest.file}); follow-up median ${section.firefox.followUp.median.toFixed(0)} ms`);
        if (fxHub) {
          await asker.locator('#hub-url').fill(fxHub.hubUrl);
          await asker.locator('#save-hub').click();
          await asker.waitForFunction(() => /Saved/.test((globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('#hub-status')?.textContent ?? ''));
          log('installing the model in Firefox (int8 made in the event page)...');
          const install = await toBackground(d, { type: 'models/download', modelId: QA_MODEL_ID });
          log(`installed in ${install.ms.toFixed(0)} ms; page QA on ${qaCases.length} development pages...`);
          section.firefoxQa = await pageQa(d, pagesServer, qaCases, warmupCases, options.warmupMs, log);
        }
      } finally {
        await fx?.close();
        await fxHub?.close();
      }
    } else log('reading real pages: Firefox skipped (no /usr/bin/firefox-esr)');
  } finally {
    await pagesServer.close();
  }
  return section;
}

// Run directly: node --import tsx bench/browser/real-pages.ts [modelDir] (BENCH_QUICK=1: a few pages)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await benchRealPages({ modelDir: process.argv[2] ?? join(ROOT, '.tmp', 'bench', 'mobilebert-qa'), quick, warmupMs: quick ? 2000 : 20_000 });
  console.log(JSON.stringify(result, (k, v: unknown) => (k === 'samples' && Array.isArray(v) ? v.length : v), 2));
}
