// Model management in Chromium, through the options page: a download the hub corrupts or cuts short is
// refused and leaves nothing behind; the QA model (fp32 on the hub) gets its int8 file made on the device,
// which answers run unless the precision setting says fp32; a model folder imported from disk is used;
// removing frees the storage; and a build with bundled models answers with no download at all (a model folder
// with a checkpoint only, model.safetensors or pytorch_model.bin, is shipped as ONNX built at build time). With the full-size QA model: the int8 step
// can be cancelled, and how long it takes is printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quantizeOnnx } from '../../src/engine/quantize.js';
import { modelWeights } from '../../src/shared/model-files.js';
import { REGISTRY, registryEntry } from '../../src/shared/registry.js';
import { ROOT } from '../helpers/cli.js';
import { chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { FULL_SIZE_QA_HUB_DIR, hubFilePath, hubFiles, hubRevision, prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { hubSession } from './harness/session.js';
import { cachedUrls, card, installedRecord, recordInstallPhases, type InstalledRecord } from './harness/store.js';

const skip = chromiumUnavailable();
const QA = 'mobilebert-squad2';
const QA_REPO = 'csarron/mobilebert-uncased-squad-v2';
const QA_REVISION = hubRevision(registryEntry(QA));

/**
 * The record lists the lean graph rebuilt from the downloaded fp32 file (onnx/model.onnx, in its place) and
 * onnx/model_quantized.onnx made from it on this device; bytes count both.
 */
function assertOnDeviceInt8(record: InstalledRecord | undefined, downloadedPath: string): void {
  assert.ok(record, 'the model is recorded as installed');
  assert.equal(record.int8Error, undefined, `the int8 step did not fail (${record.int8Error})`);
  const fp32 = record.files.find((f) => f.path === 'onnx/model.onnx');
  const int8 = record.files.find((f) => f.path === 'onnx/model_quantized.onnx');
  assert.ok(fp32 && fp32.derived === 'onnx', `${downloadedPath} was rebuilt on the device as the lean graph: ${JSON.stringify(record.files)}`);
  if (downloadedPath !== fp32.path) assert.ok(!record.files.some((f) => f.path === downloadedPath), `${downloadedPath} is replaced by it`);
  assert.ok(int8, `onnx/model_quantized.onnx is listed: ${JSON.stringify(record.files.map((f) => f.path))}`);
  assert.equal(int8.derived, 'int8', 'marked as made on this device');
  assert.match(int8.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok(int8.size < fp32.size / 3, `int8 ${int8.size} bytes vs fp32 ${fp32.size}`);
  assert.equal(record.bytes, record.files.reduce((sum, f) => sum + f.size, 0), 'the storage counted is every stored file, the int8 one included');
}

describe('model management in Chromium', { skip }, () => {
  const session = hubSession();

  for (const [fault, message] of [
    ['corrupt', /failed verification: its sha256/],
    ['truncate', /incomplete|interrupted/],
    ['missing', /HTTP 404/],
  ] as const) {
    test(`a ${fault} model file is refused with a clear error and nothing is stored`, async () => {
      session.server.hubFaults.set(`${QA_REPO}/resolve/${QA_REVISION}/model.onnx`, fault);
      await session.options.click(`${card(QA)} [data-testid="download"]`);
      await session.options.waitForSelector(`${card(QA)} [data-testid="model-error"]`, { timeout: 30_000 });
      assert.match((await session.options.textContent(`${card(QA)} [data-testid="model-error"]`)) ?? '', message);
      assert.equal(await session.options.getAttribute(card(QA), 'data-state'), 'absent');
      assert.deepEqual(await cachedUrls(session.lens), [], 'no partial files are left in Cache Storage');
      session.server.hubFaults.clear();
    });
  }

  test('download: the QA model gets its lean graph and int8 file made on the device, answers run it; precision fp32 runs the lean fp32 graph; removing deletes both', async () => {
    const phases = await recordInstallPhases(session.options, QA);
    await session.options.click(`${card(QA)} [data-testid="download"]`);
    await session.options.waitForSelector(`${card(QA)}[data-state="installed"]`, { timeout: 60_000 });
    const record = await installedRecord(session.lens, QA);
    assertOnDeviceInt8(record, 'model.onnx');
    assert.deepEqual(await phases(), ['download: Downloading MobileBERT SQuAD 2.0', 'build: Building the model from its weights…', 'optimize: Optimizing for this device (int8)…'], 'the lean rebuild and the int8 step are reported as their own phases, after the download');
    assert.equal(await session.options.textContent(`${card(QA)} [data-testid="model-precision"]`), 'Runs int8, optimized on this device');
    const urls = await cachedUrls(session.lens);
    assert.ok(urls.some((u) => u.endsWith('/onnx/model_quantized.onnx')), 'the int8 file is in Cache Storage');
    const list = await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.equal(list.value.storageBytes, record?.bytes, 'storage used counts both ONNX files');

    const article = await session.lens.openPage(session.server.fixtureUrl('plain.html'));
    const tabId = await session.lens.tabIdOf(article);
    const askAndLoaded = async () => {
      const reply = await session.options.evaluate((tab) => chrome.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: tab, question: 'what grows in the orchards?', scope: 'page' }), tabId);
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.ok(reply.value.answers.length > 0, 'an answer came back');
      // Chrome runs the model in the offscreen document: the ONNX file it loaded, and that it holds one copy
      const sw = await session.lens.serviceWorker();
      const status = await sw.evaluate(() => (globalThis as unknown as { chrome: { runtime: { sendMessage(m: object): Promise<{ ok: boolean; value: { loadedModels: string[]; onnxFiles: Record<string, string> } }> } } }).chrome.runtime.sendMessage({ type: 'offscreen/status' }));
      assert.ok(status.ok, JSON.stringify(status));
      assert.deepEqual(status.value.loadedModels, [QA]);
      return status.value.onnxFiles;
    };
    assert.deepEqual(await askAndLoaded(), { [QA]: 'onnx/model_quantized.onnx' }, 'the default precision (int8) runs the file made on the device');

    await session.options.selectOption('#precision', 'fp32');
    await session.options.waitForFunction(() => /Saved/.test(document.querySelector('#defaults-status')?.textContent ?? ''));
    await session.options.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'Runs fp32, the published weights', `${card(QA)} [data-testid="model-precision"]`);
    assert.deepEqual(await askAndLoaded(), { [QA]: 'onnx/model.onnx' }, 'fp32 runs the published weights (in the lean graph), in place of the int8 one');
    await session.options.selectOption('#precision', 'int8');
    assert.deepEqual(await askAndLoaded(), { [QA]: 'onnx/model_quantized.onnx' }, 'and back');
    await article.close();

    await session.options.click(`${card(QA)} [data-testid="remove"]`);
    await session.options.click(`${card(QA)} [data-testid="confirm-remove"]`);
    await session.options.waitForSelector(`${card(QA)}[data-state="absent"]`);
    assert.deepEqual(await cachedUrls(session.lens), [], 'both ONNX files and the rest are gone from Cache Storage');
    assert.equal(await installedRecord(session.lens, QA), undefined);
  });

  test('a model folder imported from disk is stored, loads, and is used; removing it frees the storage', async () => {
    const folder = join(hubFilePath(session.hubDir, { repo: QA_REPO, revision: QA_REVISION, path: '' }));
    session.server.clearRequests();
    await session.options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
    await session.options.waitForSelector(`${card(QA)}[data-state="installed"]`, { timeout: 60_000 });
    assert.match((await session.options.textContent(`${card(QA)} [data-testid="installed-line"]`)) ?? '', /Imported/i);
    // the folder has only the fp32 model.onnx: the background made the int8 file as part of the import
    const record = await installedRecord(session.lens, QA);
    assert.equal(record?.source, 'import');
    assertOnDeviceInt8(record, 'model.onnx');
    const onnx = (await hubFiles(session.hubDir)).find((f) => f.repo === QA_REPO && f.path === 'model.onnx');
    assert.ok(onnx);
    const list = await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.equal(list.value.storageBytes, record?.bytes, `storage used counts the model (${onnx.bytes} bytes of fp32 ONNX and its int8 file)`);

    const article = await session.lens.openPage(session.server.fixtureUrl('plain.html'));
    const tabId = await session.lens.tabIdOf(article);
    const popup = await session.lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await popup.fill('#question', 'what grows in the orchards?');
    await popup.click('#ask');
    await popup.waitForSelector('[data-testid="answer"]', { timeout: 60_000 });
    assert.deepEqual(session.server.requests.filter((r) => r.server === 'hub'), [], 'an imported model needs no download');
    await popup.close();
    await article.close();

    await session.options.bringToFront();
    await session.options.click(`${card(QA)} [data-testid="remove"]`);
    await session.options.click(`${card(QA)} [data-testid="confirm-remove"]`);
    await session.options.waitForSelector(`${card(QA)}[data-state="absent"]`);
    assert.deepEqual(await cachedUrls(session.lens), []);
    const after = await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.equal(after.value.storageBytes, 0);
  });

  test('when the int8 step fails, the model is installed with its fp32 file, says why, and answers', async () => {
    // a folder whose model.onnx is already quantized: it loads, but quantizing it again is refused
    const folder = mkdtempSync(join(tmpdir(), 'lens-int8-fails-'));
    try {
      const source = hubFilePath(session.hubDir, { repo: QA_REPO, revision: QA_REVISION, path: '' });
      cpSync(source, folder, { recursive: true });
      writeFileSync(join(folder, 'model.onnx'), quantizeOnnx(new Uint8Array(readFileSync(join(source, 'model.onnx')))).bytes);
      await session.options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
      await session.options.waitForSelector(`${card(QA)}[data-state="installed"]`, { timeout: 60_000 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const record = await installedRecord(session.lens, QA);
    assert.match(record?.int8Error ?? '', /already quantized/, 'the failure is recorded');
    assert.deepEqual(record?.files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path), ['model.onnx'], 'no int8 file is listed');
    assert.match((await session.options.textContent(`${card(QA)} [data-testid="model-precision"]`)) ?? '', /^Runs fp32, the published weights \(making the int8 file on this device failed: the model is already quantized/);
    const article = await session.lens.openPage(session.server.fixtureUrl('plain.html'));
    const tabId = await session.lens.tabIdOf(article);
    const reply = await session.options.evaluate((tab) => chrome.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: tab, question: 'what grows in the orchards?', scope: 'page' }), tabId);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    await article.close();
    const removed = await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/remove', modelId: id }), QA);
    assert.equal(removed.ok, true);
    await session.options.waitForSelector(`${card(QA)}[data-state="absent"]`);
  });

  test('a folder that is not a model is refused at import', async () => {
    await session.options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, join(ROOT, 'tests', 'e2e', 'fixtures'));
    await session.options.waitForSelector(`${card(QA)} [data-testid="model-error"]`);
    assert.match((await session.options.textContent(`${card(QA)} [data-testid="model-error"]`)) ?? '', /not a model folder: no config\.json/);
    assert.equal(await session.options.getAttribute(card(QA), 'data-state'), 'absent');
  });
});

describe('the on-device int8 step with the full-size QA model (99 MB fp32) in Chromium', { skip }, () => {
  const session = hubSession({ hubDir: FULL_SIZE_QA_HUB_DIR });

  /** models/download from the options page; `cancelAtOptimize`: cancels it at the int8 step's first progress event. */
  const download = (cancelAtOptimize: boolean) =>
    session.options.evaluate(
      async ([modelId, cancel]) => {
        const started = Date.now();
        let optimizeAt: number | undefined;
        let cancelled: Promise<unknown> | undefined;
        chrome.runtime.onMessage.addListener((msg: { type?: string; modelId?: string; phase?: string }) => {
          if (msg.type !== 'event/progress' || msg.modelId !== modelId || msg.phase !== 'optimize' || optimizeAt !== undefined) return;
          optimizeAt = Date.now();
          if (cancel) cancelled = chrome.runtime.sendMessage({ type: 'models/cancel-download', modelId });
        });
        const reply = await chrome.runtime.sendMessage({ type: 'models/download', modelId });
        const ended = Date.now();
        return { reply, cancelReply: await cancelled, downloadMs: (optimizeAt ?? ended) - started, optimizeMs: optimizeAt === undefined ? undefined : ended - optimizeAt };
      },
      [QA, cancelAtOptimize] as const,
    );

  test('cancelled during the int8 step: nothing is installed and nothing is left in Cache Storage', async () => {
    const { reply, cancelReply, optimizeMs } = await download(true);
    assert.ok(optimizeMs !== undefined, 'the int8 step started');
    assert.equal(reply.ok, false, `the install was cancelled: ${JSON.stringify(reply)}`);
    assert.match(reply.error, /cancelled/);
    assert.deepEqual(cancelReply, { ok: true, value: { cancelled: true } });
    assert.equal(await installedRecord(session.lens, QA), undefined);
    assert.deepEqual(await cachedUrls(session.lens), [], 'neither the downloaded files nor a partial int8 file are left');
    const list = await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.equal(list.value.models.find((m: { id: string }) => m.id === QA).state.kind, 'absent');
  });

  test('completes: the record lists the int8 file made on the device (the time it took is printed)', async () => {
    const { reply, downloadMs, optimizeMs } = await download(false);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const record = await installedRecord(session.lens, QA);
    assertOnDeviceInt8(record, 'model.onnx');
    const size = (path: string) => ((record?.files.find((f) => f.path === path)?.size ?? 0) / 1e6).toFixed(1);
    console.log(`# full-size QA in Chromium's service worker: download + verify + store + lean rebuild ${(downloadMs / 1000).toFixed(1)} s, then int8 step ${((optimizeMs ?? 0) / 1000).toFixed(1)} s (lean onnx/model.onnx ${size('onnx/model.onnx')} MB -> onnx/model_quantized.onnx ${size('onnx/model_quantized.onnx')} MB)`);
    const removed = await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/remove', modelId: 'mobilebert-squad2' }));
    assert.equal(removed.ok, true);
    assert.deepEqual(await cachedUrls(session.lens), []);
  });
});

/** A sentence classifier the hub publishes as a checkpoint only: bundled, it is built into ONNX at build time. */
const CHECKPOINT_CLASSIFIER = REGISTRY.find((m) => m.task === 'classify' && modelWeights(m.files.map((f) => f.path))?.kind === 'checkpoint');
const CHECKPOINT_CLASSIFIER_FILE = (() => {
  const w = CHECKPOINT_CLASSIFIER && modelWeights(CHECKPOINT_CLASSIFIER.files.map((f) => f.path));
  return w?.kind === 'checkpoint' ? w.path : undefined;
})();

describe('a build with a bundled model (LENS_BUNDLE_MODEL)', { skip }, () => {
  let outDir: string;
  let lens: LensChromium;
  let server: TestServer;

  before(async () => {
    const hubDir = await prepareHub();
    server = await startTestServer({ hubDir });
    outDir = mkdtempSync(join(tmpdir(), 'lens-bundled-'));
    const folder = hubFilePath(hubDir, { repo: QA_REPO, revision: QA_REVISION, path: '' });
    const bundles = [`${QA}=${folder}`];
    if (CHECKPOINT_CLASSIFIER) bundles.push(`${CHECKPOINT_CLASSIFIER.id}=${hubFilePath(hubDir, { repo: CHECKPOINT_CLASSIFIER.repo, revision: hubRevision(CHECKPOINT_CLASSIFIER), path: '' })}`);
    const build = spawnSync('npx', ['vite', 'build', '--mode', 'chrome', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LENS_OUT_DIR: outDir, LENS_BUNDLE_MODEL: bundles.join(',') } });
    assert.equal(build.status, 0, build.stderr);
    lens = await launchChromium({ extensionDir: outDir });
  });

  after(async () => {
    await lens?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  test('answers at once: no consent, no download, the model is listed as bundled', async () => {
    const page = await lens.openPage(server.fixtureUrl('plain.html'));
    const tabId = await lens.tabIdOf(page);
    const popup = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await popup.waitForSelector('#question', { state: 'visible' });
    assert.equal(await popup.$('#panel-ask [data-testid="consent"]'), null, 'no consent asked for the bundled QA model');
    await popup.fill('#question', 'what grows in the orchards?');
    await popup.click('#ask');
    await popup.waitForSelector('[data-testid="answer"]', { timeout: 60_000 });
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), []);
    const list = await popup.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    const qa = list.value.models.find((m: { id: string }) => m.id === QA);
    assert.equal(qa.state.kind, 'installed');
    assert.equal(qa.state.source, 'bundled');
  });

  test(`a ${CHECKPOINT_CLASSIFIER_FILE ?? 'checkpoint'}-only folder is shipped as ONNX, built at build time, and classifies with no download`, { skip: CHECKPOINT_CLASSIFIER ? false : 'no classifier published as a checkpoint only in models/registry.json' }, async () => {
    const id = (CHECKPOINT_CLASSIFIER as { id: string }).id;
    const checkpoint = CHECKPOINT_CLASSIFIER_FILE as string;
    const dir = join(outDir, 'models', id);
    assert.ok(existsSync(join(dir, 'onnx', 'model.onnx')), 'onnx/model.onnx is in the package');
    assert.ok(!existsSync(join(dir, checkpoint)), `${checkpoint} is not`);
    const listed = (JSON.parse(readFileSync(join(outDir, 'models', 'bundled.json'), 'utf8')) as { models: Array<{ id: string; files: Array<{ path: string }> }> }).models.find((m) => m.id === id);
    assert.ok(listed?.files.some((f) => f.path === 'onnx/model.onnx') && !listed.files.some((f) => f.path === checkpoint), JSON.stringify(listed));
    server.clearRequests();
    const page = await lens.openExtensionPage('src/options/options.html');
    const reply = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'classify/run', requestId: crypto.randomUUID(), mode: 'sentiment', text: 'A gorgeous, witty, seductive movie.' }));
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.equal(reply.value.modelId, id);
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), []);
    await page.close();
  });
});
