// Model management in Chromium, through the options page: a download the hub corrupts or cuts short is
// refused and leaves nothing behind; a model folder imported from disk is used; removing frees the
// storage; and a build with a bundled model answers with no download at all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';
import { chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { hubFilePath, hubFiles, prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const skip = chromiumUnavailable();
const QA = 'mobilebert-squad2';
const QA_REPO = 'csarron/mobilebert-uncased-squad-v2';

async function setHub(lens: LensChromium, url: string): Promise<Page> {
  const options = await lens.openExtensionPage('src/options/options.html');
  await options.fill('#hub-url', url);
  await options.click('#save-hub');
  await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
  return options;
}

const card = (id: string) => `[data-testid="model"][data-model-id="${id}"]`;

async function cachedUrls(lens: LensChromium): Promise<string[]> {
  const sw = await lens.serviceWorker();
  return sw.evaluate(async () => {
    const out: string[] = [];
    for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) out.push(req.url);
    return out;
  });
}

describe('model management in Chromium', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let hubDir: string;
  let options: Page;

  before(async () => {
    hubDir = await prepareHub();
    server = await startTestServer({ hubDir });
    lens = await launchChromium();
    options = await setHub(lens, server.hubUrl);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  for (const [fault, message] of [
    ['corrupt', /failed verification: its sha256/],
    ['truncate', /incomplete|interrupted/],
    ['missing', /HTTP 404/],
  ] as const) {
    test(`a ${fault} model file is refused with a clear error and nothing is stored`, async () => {
      server.hubFaults.set(`${QA_REPO}/resolve/main/model.onnx`, fault);
      await options.click(`${card(QA)} [data-testid="download"]`);
      await options.waitForSelector(`${card(QA)} [data-testid="model-error"]`, { timeout: 30_000 });
      assert.match((await options.textContent(`${card(QA)} [data-testid="model-error"]`)) ?? '', message);
      assert.equal(await options.getAttribute(card(QA), 'data-state'), 'absent');
      assert.deepEqual(await cachedUrls(lens), [], 'no partial files are left in Cache Storage');
      server.hubFaults.clear();
    });
  }

  test('a model folder imported from disk is stored, loads, and is used; removing it frees the storage', async () => {
    const folder = join(hubFilePath(hubDir, { repo: QA_REPO, revision: 'main', path: '' }));
    server.clearRequests();
    await options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
    await options.waitForSelector(`${card(QA)}[data-state="installed"]`, { timeout: 60_000 });
    assert.match((await options.textContent(`${card(QA)} [data-testid="installed-line"]`)) ?? '', /Imported/i);
    const onnx = (await hubFiles(hubDir)).find((f) => f.repo === QA_REPO && f.path === 'model.onnx');
    assert.ok(onnx);
    const list = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.ok(list.value.storageBytes >= onnx.bytes, `storage used ${list.value.storageBytes} counts the model (${onnx.bytes} bytes of ONNX)`);

    const article = await lens.openPage(server.fixtureUrl('plain.html'));
    const tabId = await lens.tabIdOf(article);
    const popup = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await popup.fill('#question', 'what grows in the orchards?');
    await popup.click('#ask');
    await popup.waitForSelector('[data-testid="answer"]', { timeout: 60_000 });
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), [], 'an imported model needs no download');
    await popup.close();
    await article.close();

    await options.bringToFront();
    await options.click(`${card(QA)} [data-testid="remove"]`);
    await options.click(`${card(QA)} [data-testid="confirm-remove"]`);
    await options.waitForSelector(`${card(QA)}[data-state="absent"]`);
    assert.deepEqual(await cachedUrls(lens), []);
    const after = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.equal(after.value.storageBytes, 0);
  });

  test('a folder that is not a model is refused at import', async () => {
    await options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, join(ROOT, 'tests', 'e2e', 'fixtures'));
    await options.waitForSelector(`${card(QA)} [data-testid="model-error"]`);
    assert.match((await options.textContent(`${card(QA)} [data-testid="model-error"]`)) ?? '', /not a model folder: no config\.json/);
    assert.equal(await options.getAttribute(card(QA), 'data-state'), 'absent');
  });
});

describe('a build with a bundled model (LENS_BUNDLE_MODEL)', { skip }, () => {
  let outDir: string;
  let lens: LensChromium;
  let server: TestServer;

  before(async () => {
    const hubDir = await prepareHub();
    server = await startTestServer({ hubDir });
    outDir = mkdtempSync(join(tmpdir(), 'lens-bundled-'));
    const folder = hubFilePath(hubDir, { repo: QA_REPO, revision: 'main', path: '' });
    const build = spawnSync('npx', ['vite', 'build', '--mode', 'chrome', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LENS_OUT_DIR: outDir, LENS_BUNDLE_MODEL: `${QA}=${folder}` } });
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
});
