// WebGPU in Chrome's offscreen document, checked for correctness with Chromium's software WebGPU adapter
// (SwiftShader, which --enable-unsafe-webgpu gives headless Debian Chromium; it computes on the CPU, so nothing
// here says anything about speed). The fake hub's tiny random-weight MobileBERT runs its fp32 file on WebGPU and
// on WebAssembly: the same answers, and start/end logits within 1e-3. The options page says which backend runs
// and why, the setting forces either, and where WebGPU is forced but there is no adapter (a browser without the
// switch), questions are still answered, on WebAssembly, with the reason shown.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page, Worker } from 'playwright-core';
import { NO_SHARED_DATA } from '../helpers/shared-data.js';
import { chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const skip = chromiumUnavailable() || NO_SHARED_DATA;
const MODEL = 'mobilebert-squad2';
const WEBGPU_SWITCHES = ['--enable-unsafe-webgpu'];
const TOLERANCE = 1e-3;

interface AnswerValue {
  text: string;
  start: number;
  end: number;
  score: number;
}
interface AskValue {
  answers: AnswerValue[];
  abstained: boolean;
}
type Reply<T> = { ok: true; value: T } | { ok: false; error: string };
interface Logits {
  executionProvider: string;
  onnxFile: string;
  start: number[];
  end: number[];
}
interface BackendState {
  backend: string;
  text: string;
  setting: string;
}
interface OffscreenStatus {
  loadedModels: string[];
  onnxFiles: Record<string, string>;
  backends?: Record<string, BackendState>;
}
// What the test calls inside the service worker (tsconfig has no chrome types).
interface WorkerGlobals {
  chrome: { runtime: { sendMessage(msg: object): Promise<unknown> } };
  lensInference: { offscreenLogits(modelId: string, question: string, context: string): Promise<Logits> };
}

const QUESTIONS = ['When was the game played?', 'Who won the game?', 'Where was the game played?'];
const CONTEXT =
  'Super Bowl 50 was an American football game to determine the champion of the National Football League for the 2015 season. ' +
  'The Denver Broncos defeated the Carolina Panthers 24 to 10 to earn their third Super Bowl title. The game was played on ' +
  'February 7, 2016, at Levi\'s Stadium in the San Francisco Bay Area at Santa Clara, California.';

/** Installs the QA model from the fake hub and sets the precision to fp32 (WebGPU runs fp32; compared like with like). */
async function setUp(lens: LensChromium, server: TestServer): Promise<Page> {
  const options = await lens.openExtensionPage('src/options/options.html');
  await options.fill('#hub-url', server.hubUrl);
  await options.click('#save-hub');
  await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
  const downloaded = await options.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/download', modelId: id }), MODEL);
  assert.equal(downloaded.ok, true, `the QA model downloads: ${JSON.stringify(downloaded)}`);
  await options.selectOption('#precision', 'fp32');
  await options.waitForFunction(() => /Saved/.test(document.querySelector('#defaults-status')?.textContent ?? ''));
  return options;
}

/** Picks the backend setting in the options page and returns the "Running on: …" line it then shows. */
async function pickBackend(options: Page, value: 'auto' | 'webgpu' | 'wasm'): Promise<string> {
  await options.evaluate(() => (document.querySelector('#backend-status')!.textContent = ''));
  await options.selectOption('#backend', value);
  await options.waitForFunction(() => /^Running on: ./.test(document.querySelector('#backend-status')?.textContent ?? ''), undefined, { timeout: 30_000 });
  return (await options.textContent('#backend-status')) ?? '';
}

/** The line a freshly opened options page shows (after a model loaded: what it runs on). */
async function shownBackend(lens: LensChromium): Promise<string> {
  const p = await lens.openExtensionPage('src/options/options.html');
  await p.waitForFunction(() => /^Running on: ./.test(document.querySelector('#backend-status')?.textContent ?? ''), undefined, { timeout: 30_000 });
  const text = (await p.textContent('#backend-status')) ?? '';
  await p.close();
  return text;
}

async function ask(ui: Page, tabId: number, question: string): Promise<AskValue> {
  const r = (await ui.evaluate(([tab, q]) => chrome.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: tab, question: q, scope: 'page' }), [tabId, question] as const)) as Reply<AskValue>;
  if (!r.ok) throw new Error(`qa/ask failed: ${r.error}`);
  return r.value;
}

const offscreenStatus = async (sw: Worker) => {
  const r = (await sw.evaluate(() => (globalThis as unknown as WorkerGlobals).chrome.runtime.sendMessage({ type: 'offscreen/status' }))) as Reply<OffscreenStatus>;
  if (!r.ok) throw new Error(`offscreen/status failed: ${r.error}`);
  return r.value;
};

const logitsOf = (sw: Worker, question: string) =>
  sw.evaluate(([id, q, c]) => (globalThis as unknown as WorkerGlobals).lensInference.offscreenLogits(id, q, c), [MODEL, question, CONTEXT] as const);

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, 'as many logits on both backends');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('WebGPU in the offscreen document (Chromium, software adapter)', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let options: Page;
  let ui: Page;
  let tabId: number;
  /** why the tests cannot run, when this Chromium gives no WebGPU adapter even with the switch */
  let noAdapter: string | false = false;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome'), args: WEBGPU_SWITCHES });
    options = await setUp(lens, server);
    const probe = await options.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<object | null> } }).gpu;
      if (!gpu) return 'navigator.gpu is missing';
      return (await gpu.requestAdapter()) ? false : 'requestAdapter() gave null';
    });
    if (probe) noAdapter = `skipped: Chromium with ${WEBGPU_SWITCHES.join(' ')} gives no WebGPU adapter here (${probe})`;
    const article = await lens.openPage(server.articleUrl(0));
    tabId = await lens.tabIdOf(article);
    ui = await lens.openExtensionPage('src/popup/popup.html?tab=0');
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  test('the options page says where models run and why; the setting forces either', async (t) => {
    if (noAdapter) return t.skip(noAdapter);
    assert.equal(await pickBackend(options, 'wasm'), 'Running on: WebAssembly: forced in settings');
    // SwiftShader is a CPU renderer: Automatic does not take a software adapter
    assert.match(await pickBackend(options, 'auto'), /^Running on: WebAssembly: the only WebGPU adapter is a software one \(.*swiftshader.*\(software\)\)/i);
    assert.match(await pickBackend(options, 'webgpu'), /^Running on: WebGPU \(adapter: .*swiftshader.*\), forced in settings$/i);
    assert.equal(await options.getAttribute('#backend-status', 'data-backend'), 'webgpu');
  });

  test('the same answers and logits within 1e-3 on WebGPU as on WebAssembly (fp32 both)', async (t) => {
    if (noAdapter) return t.skip(noAdapter);
    const run = async (backend: 'wasm' | 'webgpu') => {
      await pickBackend(options, backend);
      const answers = [];
      for (const q of QUESTIONS) answers.push(await ask(ui, tabId, q));
      const sw = await lens.serviceWorker();
      const logits = [];
      for (const q of QUESTIONS) logits.push(await logitsOf(sw, q));
      return { answers, logits, status: await offscreenStatus(sw) };
    };
    const wasm = await run('wasm');
    const gpu = await run('webgpu');

    assert.equal(wasm.status.backends?.[MODEL]?.backend, 'wasm');
    assert.equal(gpu.status.backends?.[MODEL]?.backend, 'webgpu', `the model runs on WebGPU: ${JSON.stringify(gpu.status.backends)}`);
    let worst = 0;
    for (const [i, q] of QUESTIONS.entries()) {
      const [a, b] = [wasm.logits[i], gpu.logits[i]];
      assert.equal(a.executionProvider, 'wasm');
      assert.equal(b.executionProvider, 'webgpu');
      assert.equal(a.onnxFile, b.onnxFile, 'the same (fp32) file on both');
      assert.ok(a.start.length > 20, 'a real window of logits');
      const diff = Math.max(maxAbsDiff(a.start, b.start), maxAbsDiff(a.end, b.end));
      assert.ok(diff <= TOLERANCE, `"${q}": logits differ by at most ${TOLERANCE} (max |wasm - webgpu| = ${diff})`);
      worst = Math.max(worst, diff);
      // the logits are not all equal (a constant model would agree trivially)
      assert.ok(Math.max(...a.start) - Math.min(...a.start) > 10 * TOLERANCE, 'the logits vary across positions');

      const [x, y] = [wasm.answers[i], gpu.answers[i]];
      assert.equal(y.abstained, x.abstained, `"${q}": the same abstention`);
      assert.deepEqual(
        y.answers.map(({ text, start, end }) => ({ text, start, end })),
        x.answers.map(({ text, start, end }) => ({ text, start, end })),
        `"${q}": the same answers`,
      );
      for (const [k, ans] of y.answers.entries()) assert.ok(Math.abs(ans.score - x.answers[k].score) <= TOLERANCE, `"${q}": answer ${k} scores ${ans.score} vs ${x.answers[k].score}`);
    }
    t.diagnostic(`max |logit(WebAssembly) - logit(WebGPU)| over ${QUESTIONS.length} windows: ${worst.toExponential(2)}`);
    assert.match(await shownBackend(lens), /^Running on: WebGPU \(adapter: .*swiftshader.*\)/i, 'a fresh options page shows the backend the model runs on');
  });
});

describe('WebGPU forced where there is no adapter (Chromium without the switch)', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    // the harness's default switches (--disable-gpu, no --enable-unsafe-webgpu): requestAdapter() gives null
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  test('Automatic and forced WebGPU fall back to WebAssembly with the reason; questions are answered', async () => {
    const options = await setUp(lens, server);
    const adapter = await options.evaluate(async () => ((navigator as { gpu?: { requestAdapter(): Promise<object | null> } }).gpu ? (await (navigator as unknown as { gpu: { requestAdapter(): Promise<object | null> } }).gpu.requestAdapter()) !== null : false));
    assert.equal(adapter, false, 'this Chromium gives no adapter (the premise of this test)');
    assert.equal(await pickBackend(options, 'auto'), 'Running on: WebAssembly: no WebGPU adapter');
    assert.equal(await pickBackend(options, 'webgpu'), 'Running on: WebAssembly: WebGPU is forced in settings but not available (no WebGPU adapter)');
    const article = await lens.openPage(server.articleUrl(0));
    const tabId = await lens.tabIdOf(article);
    const ui = await lens.openExtensionPage('src/popup/popup.html?tab=0');
    const value = await ask(ui, tabId, QUESTIONS[0]);
    assert.ok(value.answers.length > 0, 'an answer comes back');
    const status = await offscreenStatus(await lens.serviceWorker());
    assert.deepEqual(status.backends?.[MODEL], { backend: 'wasm', text: 'WebAssembly: WebGPU is forced in settings but not available (no WebGPU adapter)', setting: 'webgpu' });
    assert.equal(await shownBackend(lens), 'Running on: WebAssembly: WebGPU is forced in settings but not available (no WebGPU adapter)');
  });
});
