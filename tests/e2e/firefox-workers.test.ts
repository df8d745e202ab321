// Firefox runs the model in two dedicated Web Workers (src/background/session-workers.ts), each with its own
// onnxruntime-web session, and splits a question's windows over them: a page question is answered that way by
// default (the second worker from the WebAssembly module the first compiled), and the reply's timeline shows that
// both workers ran windows; 'lens.threads' = '1' runs one session in the event page (as before) and gives the same
// answers; back to the default, the workers again. A package whose worker script cannot load falls back to the
// event page and still answers. The QA model is the fake hub's tiny random-weight MobileBERT (answers are
// arbitrary spans; the same spans either way).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { NO_SHARED_DATA } from '../helpers/shared-data.js';
import { e2eBuild } from './harness/build.js';
import { firefoxUnavailable, launchFirefox, type LensFirefox } from './harness/firefox.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const skip = firefoxUnavailable() || NO_SHARED_DATA;

interface AskValue {
  answers: Array<{ text: string; start: number; end: number; score: number }>;
  windowsRead: number;
  timeline?: Array<{ name: string; at: number }>;
}
type Reply<T> = { ok: true; value: T } | { ok: false; error: string };
interface WorkersStatus {
  fallbackReason: string | undefined;
  stats: { workers: number; alive: number; rowsPerWorker: number[]; runsPerWorker: number[]; sharedModule: number; heapBytesPerWorker: number[] } | undefined;
}

/** What the test calls inside extension pages (no webextension types here). */
interface PageGlobals {
  browser: {
    runtime: { sendMessage(msg: object): Promise<unknown> };
    storage: { local: { set(items: object): Promise<void>; remove(key: string): Promise<void> } };
    tabs: { query(q: object): Promise<Array<{ id: number; url: string }>> };
    extension: { getViews(): Array<{ location: { pathname: string }; lensInference?: { sessionWorkers(): WorkersStatus } }> };
  };
}

/** Firefox with the extension (built for the fake hub, or `extensionDir`), the QA model installed, an article open. */
async function setUp(extensionDir?: string): Promise<{ fx: LensFirefox; server: TestServer; ui: Page; tabId: number }> {
  const server = await startTestServer({ hubDir: await prepareHub() });
  const fx = await launchFirefox({ extensionDir: extensionDir ?? (await e2eBuild('firefox')) });
  const ui = await fx.openExtensionPage('src/options/options.html', '#hub-url');
  await ui.locator('#hub-url').fill(server.hubUrl);
  await ui.locator('#save-hub').click();
  await ui.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
  const downloaded = (await ui.evaluate(() => (globalThis as unknown as PageGlobals).browser.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }))) as Reply<unknown>;
  assert.equal(downloaded.ok, true, `the QA model downloads: ${JSON.stringify(downloaded)}`);
  const url = server.articleUrl(0);
  const article = await fx.openPage(url);
  await article.waitForSelector('main p');
  const tabId = await ui.evaluate(async (u: string) => (await (globalThis as unknown as PageGlobals).browser.tabs.query({})).find((t) => t.url === u)?.id ?? -1, url);
  assert.ok(tabId >= 0, 'the article tab is found');
  return { fx, server, ui, tabId };
}

/** Asks a page question from an extension page, as the popup does. */
async function ask(ui: Page, tabId: number, question: string): Promise<AskValue> {
  const reply = (await ui.evaluate(
    (tab: number, q: string) => (globalThis as unknown as PageGlobals).browser.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: tab, question: q, scope: 'page' }),
    tabId,
    question,
  )) as Reply<AskValue>;
  if (!reply.ok) throw new Error(`qa/ask failed: ${reply.error}`);
  return reply.value;
}

/** The event page's diagnostic (inference.ts), read through its window. */
const workersStatus = (ui: Page) =>
  ui.evaluate(() => {
    const bg = (globalThis as unknown as PageGlobals).browser.extension.getViews().find((w) => w.location.pathname.includes('background'));
    return bg?.lensInference?.sessionWorkers() ?? null;
  });

/** Rows each worker ran for the reply, by worker index, from its timeline ('worker:session-<i>:ran-<batch>x<seqLen>'). */
function rowsByWorker(value: AskValue): Map<string, number> {
  const rows = new Map<string, number>();
  for (const { name } of value.timeline ?? []) {
    const m = /^worker:session-(\d+):ran-(\d+)x\d+$/.exec(name);
    if (m) rows.set(m[1], (rows.get(m[1]) ?? 0) + Number(m[2]));
  }
  return rows;
}

const QUESTION = 'Which name was given to the region?';

describe('Firefox ESR: the model in two session workers', { skip }, () => {
  let fx: LensFirefox;
  let server: TestServer;
  let ui: Page;
  let tabId: number;

  before(async () => {
    ({ fx, server, ui, tabId } = await setUp());
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  const spans = (value: AskValue) => value.answers.map((a) => [a.start, a.end]);
  let pooled: AskValue;

  test('by default a page question is answered by two workers, each reading some of its windows', async () => {
    pooled = await ask(ui, tabId, QUESTION);
    assert.ok(pooled.answers.length > 0, 'answers came back');
    assert.ok(pooled.windowsRead >= 2, `several windows were read (${pooled.windowsRead})`);
    const rows = rowsByWorker(pooled);
    assert.equal(rows.size, 2, `both workers ran windows: ${JSON.stringify([...rows])}`);
    assert.equal([...rows.values()].reduce((a, b) => a + b, 0), pooled.windowsRead, 'every window read ran once, on one worker');
    const status = await workersStatus(ui);
    assert.ok(status, 'the event page is running');
    assert.equal(status.fallbackReason, undefined, `no fallback (${status.fallbackReason})`);
    assert.equal(status.stats?.workers, 2);
    assert.equal(status.stats?.alive, 2);
    assert.equal(status.stats?.sharedModule, 1, 'the second worker started from the WebAssembly module the first compiled');
    assert.ok(status.stats?.heapBytesPerWorker.every((n) => n > 0), `each worker reports its WebAssembly memory: ${status.stats?.heapBytesPerWorker.join(', ')}`);
    // a follow-up question reuses the loaded workers
    const again = await ask(ui, tabId, QUESTION);
    assert.deepEqual(spans(again), spans(pooled));
    assert.ok(!again.timeline?.some((m) => m.name === 'worker:load-start'), 'the model was not loaded again');
    assert.equal(rowsByWorker(again).size, 2);
  });

  test("'lens.threads' = '1': one session in the event page, the same answers; back to the default: the workers again", async () => {
    await ui.evaluate(() => (globalThis as unknown as PageGlobals).browser.storage.local.set({ 'lens.threads': '1' }));
    try {
      const single = await ask(ui, tabId, QUESTION);
      assert.ok(single.timeline?.some((m) => m.name === 'worker:load-start'), 'the model was loaded again, in the event page');
      assert.equal(rowsByWorker(single).size, 0, 'no worker ran windows');
      assert.deepEqual(spans(single), spans(pooled), 'the same answer spans as with the workers');
      for (const [a, b] of single.answers.map((x, i) => [x.score, pooled.answers[i].score])) assert.ok(Math.abs(a - b) < 1e-3, `scores ${a} and ${b}`);
      assert.equal((await workersStatus(ui))?.stats?.alive, 0, 'the workers were stopped (one copy of the model at a time)');
    } finally {
      await ui.evaluate(() => (globalThis as unknown as PageGlobals).browser.storage.local.remove('lens.threads'));
    }
    const back = await ask(ui, tabId, QUESTION);
    assert.equal(rowsByWorker(back).size, 2, 'both workers ran windows again');
    assert.equal((await workersStatus(ui))?.stats?.sharedModule, 2, 'both new workers started from the module compiled before');
    assert.deepEqual(spans(back), spans(pooled));
  });
});

describe('Firefox ESR: the session workers cannot start', { skip }, () => {
  let fx: LensFirefox | undefined;
  let server: TestServer | undefined;
  let dir: string | undefined;

  after(async () => {
    await fx?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a package without the worker script: the model runs in the event page, and the question is answered', async () => {
    // the built extension without src/workers/session-worker.js: each worker fails to load its script
    dir = mkdtempSync(join(tmpdir(), 'lens-no-workers-'));
    cpSync(await e2eBuild('firefox'), dir, { recursive: true });
    rmSync(join(dir, 'src', 'workers', 'session-worker.js'));
    const env = await setUp(dir);
    ({ fx, server } = env);
    const value = await ask(env.ui, env.tabId, QUESTION);
    assert.ok(value.answers.length > 0, 'answers came back');
    assert.equal(rowsByWorker(value).size, 0, 'no worker ran windows');
    const status = await workersStatus(env.ui);
    assert.match(status?.fallbackReason ?? '', /no session worker could load the model/);
    // later questions go to the event page's session without trying the workers again
    const again = await ask(env.ui, env.tabId, QUESTION);
    assert.ok(!again.timeline?.some((m) => m.name === 'worker:load-start' || m.name === 'worker:workers-spawn'), 'the model was not loaded again');
    assert.deepEqual(again.answers.map((a) => [a.start, a.end]), value.answers.map((a) => [a.start, a.end]));
  });
});
