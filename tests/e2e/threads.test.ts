// Chrome runs the models in a cross-origin-isolated offscreen document with WebAssembly threads (the service
// worker can only run one): a question is answered there and highlighted as before, it survives a killed
// service worker, and 'lens.threads' = '1' keeps inference in the worker. The QA model is the fake hub's tiny
// random-weight MobileBERT (answers are arbitrary spans; what is checked is where and that the path holds).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page, Worker } from 'playwright-core';
import { NO_SHARED_DATA } from '../helpers/shared-data.js';
import { chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const skip = chromiumUnavailable() || NO_SHARED_DATA;

interface AnswerValue {
  text: string;
  start: number;
  end: number;
}
interface AskValue {
  snapshotId: string;
  answers: AnswerValue[];
  abstained: boolean;
  highlighted: boolean;
  timeline?: Array<{ name: string; at: number }>;
}
type Reply<T> = { ok: true; value: T } | { ok: false; error: string };
interface OffscreenStatus {
  crossOriginIsolated: boolean;
  requestedThreads: number;
  numThreads: number;
  hardwareConcurrency: number;
  loadedModels: string[];
}

// What the test calls inside the service worker (tsconfig has no chrome types).
interface WorkerGlobals {
  chrome: {
    runtime: {
      getContexts(filter: object): Promise<Array<{ contextType: string; documentUrl?: string }>>;
      sendMessage(msg: object): Promise<unknown>;
    };
    storage: { local: { set(items: object): Promise<void>; remove(key: string): Promise<void> } };
  };
  lensInference: { lastWhere(): string | undefined; fallbackReason(): string | undefined; offscreenStatus(memory: boolean): Promise<OffscreenStatus & { memory?: { uaSpecificBytes: number | string; preparedPages: number } }> };
}

/** onnxruntime-web's default thread count (half the logical cores, at most 4), at least 2: inference.ts threadsFor('auto'). */
const autoThreads = (hardwareConcurrency: number) => Math.min(4, Math.max(2, Math.ceil(hardwareConcurrency / 2)));

/** Polls until check() holds (the offscreen document is created asynchronously). */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('inference in an offscreen document with WebAssembly threads (Chromium)', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let article: Page;
  let tabId: number;
  /** an extension page to send requests from, as the popup does */
  let ui: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    const options = await lens.openExtensionPage('src/options/options.html');
    await options.fill('#hub-url', server.hubUrl);
    await options.click('#save-hub');
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
    const downloaded = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }));
    assert.equal(downloaded.ok, true, `the QA model downloads: ${JSON.stringify(downloaded)}`);
    await options.close();
    article = await lens.openPage(server.articleUrl(0));
    tabId = await lens.tabIdOf(article);
    ui = await lens.openExtensionPage('src/popup/popup.html?tab=0');
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  const offscreenDocuments = async (sw: Worker) => (await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] }))).length;
  const lastWhere = (sw: Worker) => sw.evaluate(() => (globalThis as unknown as WorkerGlobals).lensInference.lastWhere());
  const fallbackReason = (sw: Worker) => sw.evaluate(() => (globalThis as unknown as WorkerGlobals).lensInference.fallbackReason());

  /** Asks from an extension page and returns the reply with the progress phases seen for the request. */
  async function ask(question: string): Promise<{ value: AskValue; phases: string[] }> {
    const { reply, phases } = await ui.evaluate(
      async ([tab, q]) => {
        const requestId = crypto.randomUUID();
        const seen: string[] = [];
        // (no named functions in here: tsx would wrap them in a helper the page does not have)
        chrome.runtime.onMessage.addListener((msg: { type?: string; requestId?: string; phase?: string }) => {
          if (msg.type === 'event/progress' && msg.requestId === requestId && msg.phase) seen.push(msg.phase);
        });
        const r: unknown = await chrome.runtime.sendMessage({ type: 'qa/ask', requestId, tabId: tab, question: q, scope: 'page' });
        return { reply: r, phases: seen };
      },
      [tabId, question] as const,
    );
    const r = reply as Reply<AskValue>;
    if (!r.ok) throw new Error(`qa/ask failed: ${r.error}`);
    return { value: r.value, phases };
  }

  /** The best answer is marked in the page (a random-weight model may abstain: then it is marked on request, as the popup does on a click). */
  async function assertHighlighted(value: AskValue): Promise<void> {
    const best = value.answers[0];
    assert.ok(best, 'an answer came back');
    if (!value.highlighted) {
      assert.equal(value.abstained, true, 'an answer that was not abstained from is highlighted');
      const r = await ui.evaluate((req) => chrome.runtime.sendMessage(req), { type: 'qa/highlight', tabId, snapshotId: value.snapshotId, start: best.start, end: best.end });
      assert.equal(r.ok, true, JSON.stringify(r));
    }
    await article.waitForSelector('mark[data-lens-answer]');
    const marked = await article.evaluate(() => [...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent ?? '').join(''));
    // an answer across two blocks is marked block by block: the text between the marks (a line break) is not marked
    const squash = (t: string) => t.replace(/\s+/g, '');
    assert.ok(marked.length > 0 && squash(best.text).includes(squash(marked)), `the highlight "${marked}" is the best answer "${best.text}"`);
  }

  test('extension pages are cross-origin isolated; the popup still works', async () => {
    assert.equal(await ui.evaluate(() => globalThis.crossOriginIsolated), true, 'the popup page is cross-origin isolated (manifest COOP/COEP)');
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await p.waitForSelector('#question', { state: 'visible', timeout: 30_000 });
    await p.close();
  });

  test('a question is answered in the offscreen document with 2+ threads, progress relayed, answer highlighted', async () => {
    const sw = await lens.serviceWorker();
    // opening the popup (previous test) already prewarmed the model there: the document exists, loaded
    await waitFor(async () => (await offscreenDocuments(sw)) === 1, 'the popup prewarms the model in the offscreen document');
    await waitFor(async () => {
      const s = (await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).chrome.runtime.sendMessage({ type: 'offscreen/status' }))) as Reply<OffscreenStatus>;
      return s.ok && s.value.loadedModels.includes('mobilebert-squad2');
    }, 'the QA model is loaded before the first question');
    const { value, phases } = await ask('When was the game played?');
    assert.equal(await fallbackReason(sw), undefined, 'no fallback to the worker');
    assert.equal(await lastWhere(sw), 'offscreen');
    assert.equal(await offscreenDocuments(sw), 1, 'an offscreen document exists');
    const status = (await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).chrome.runtime.sendMessage({ type: 'offscreen/status' }))) as Reply<OffscreenStatus>;
    assert.ok(status.ok, JSON.stringify(status));
    assert.equal(status.value.crossOriginIsolated, true, 'the offscreen document is cross-origin isolated');
    assert.equal(status.value.requestedThreads, autoThreads(status.value.hardwareConcurrency));
    assert.equal(status.value.numThreads, status.value.requestedThreads, `onnxruntime-web runs ${status.value.requestedThreads} threads`);
    assert.ok(status.value.numThreads >= 2);
    assert.deepEqual(status.value.loadedModels, ['mobilebert-squad2']);
    assert.ok(phases.includes('read'), `the offscreen document's progress reached the page (phases: ${phases.join(', ')})`);
    await assertHighlighted(value);
  });

  test('an extension page cannot talk to the offscreen document; the background router ignores offscreen messages', async () => {
    const r = await ui.evaluate(() => chrome.runtime.sendMessage({ type: 'offscreen/status' }).catch((e: Error) => `error: ${e.message}`));
    // nobody answers: the offscreen document ignores senders other than the service worker, the router the prefix
    assert.ok(r === undefined || (typeof r === 'string' && r.startsWith('error:')), `no reply to a page (got ${JSON.stringify(r)})`);
  });

  test('after the service worker is killed, the next question is answered through the offscreen document again', async () => {
    await lens.killServiceWorker();
    server.clearRequests();
    await article.evaluate(() => document.querySelectorAll('mark[data-lens-answer]').forEach((m) => m.replaceWith(...m.childNodes)));
    const { value } = await ask('Who won the game?');
    const sw = await lens.serviceWorker();
    assert.equal(await lastWhere(sw), 'offscreen');
    assert.equal(await offscreenDocuments(sw), 1, 'still one offscreen document');
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), [], 'no request to the hub');
    await assertHighlighted(value);
    // a page in the popup UI asks as users do
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await p.fill('#question', 'Where was the game played?');
    await p.click('#ask');
    await p.waitForSelector('[data-testid="answer"], [data-testid="no-answer"]', { timeout: 60_000 });
    await p.close();
  });

  test('a cold question (document closed, worker stopped) loads the model once, in the offscreen document, and its reply carries the timeline', async () => {
    let sw = await lens.serviceWorker();
    await sw.evaluate(() => (globalThis as unknown as { chrome: { offscreen: { closeDocument(): Promise<void> } } }).chrome.offscreen.closeDocument());
    await lens.killServiceWorker();
    const { value } = await ask('Who won the game?');
    sw = await lens.serviceWorker();
    assert.equal(await fallbackReason(sw), undefined, 'the prewarm and the question share one document: no fallback to the worker');
    assert.equal(await offscreenDocuments(sw), 1);
    const names = (value.timeline ?? []).map((m) => m.name);
    const at = (name: string) => {
      const mark = value.timeline?.find((m) => m.name === name);
      assert.ok(mark, `the timeline has ${name} (has: ${names.join(', ')})`);
      return mark.at;
    };
    assert.ok(at('worker:origin') <= at('worker:script') && at('worker:script') <= at('worker:ask'), 'the worker started, ran its script, then took the question');
    assert.ok(at('worker:offscreen-create') < at('offscreen:script'), 'the document was created by this question');
    assert.ok(at('offscreen:runtime-start') <= at('offscreen:runtime-ready') && at('offscreen:runtime-ready') <= at('offscreen:load-session'), 'the runtime started with the document, before the session');
    assert.ok(at('worker:ask') < at('offscreen:load-start'), 'the model load started after the question came');
    const firstWindows = value.timeline?.find((m) => /^offscreen:windows-\d+$/.test(m.name));
    assert.ok(firstWindows && firstWindows.at >= at('offscreen:load-session'), `windows were read in the document after the session existed (${names.join(', ')})`);
    assert.ok(!names.includes('worker:load-start'), 'the worker did not load the model too');
    assert.deepEqual([...(value.timeline ?? [])].sort((a, b) => a.at - b.at), value.timeline, 'marks in time order');
    await assertHighlighted(value);
    // a second question carries only its own marks (no worker or document start)
    const again = await ask('Where was the game played?');
    const second = (again.value.timeline ?? []).map((m) => m.name);
    assert.ok(second.includes('worker:ask') && !second.includes('worker:origin') && !second.includes('offscreen:load-start'), `warm marks only: ${second.join(', ')}`);
    const status = await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).lensInference.offscreenStatus(true));
    assert.equal(typeof status.memory?.uaSpecificBytes, 'number', `the document measures its memory: ${JSON.stringify(status.memory)}`);
    assert.ok((status.memory?.preparedPages ?? 0) >= 1);
  });

  test("with 'lens.threads' = '1' the service worker runs the model itself", async () => {
    let sw = await lens.serviceWorker();
    assert.equal(await offscreenDocuments(sw), 1, 'the offscreen document of the earlier questions is open');
    await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).chrome.storage.local.set({ 'lens.threads': '1' }));
    await lens.killServiceWorker();
    const { value } = await ask('What color was used for the anniversary?');
    sw = await lens.serviceWorker();
    assert.equal(await lastWhere(sw), 'worker');
    assert.equal(await offscreenDocuments(sw), 0, 'the offscreen document was closed, and none created');
    await assertHighlighted(value);
    await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).chrome.storage.local.remove('lens.threads'));
  });
});
