// The smaller end-to-end run in Firefox ESR (puppeteer-core over WebDriver BiDi): install dist/firefox,
// download the QA model from the fake hub after consent (its int8 file is made on the device, in the event
// page), ask a SQuAD article page, see the answer marked. Then the Classify tab: the sentiment model, pinned on
// this device at its first install (the fake hub's API resolves its branch; its pytorch_model.bin is read as data
// and built into ONNX in the event page), installs with one consent and answers; so does the zero-shot model.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { pinTier, registryEntry } from '../../src/shared/registry.js';
import { DEFAULT_SETTINGS } from '../../src/shared/settings-values.js';
import { ROOT } from '../helpers/cli.js';
import { NO_SHARED_DATA, SQUAD_DIR } from '../helpers/shared-data.js';
import { launchFirefox, type LensFirefox } from './harness/firefox.js';
import { e2eBuild } from './harness/build.js';
import { hubCommit, prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const BUILD = join(ROOT, 'dist', 'firefox', 'manifest.json');
const skip = !existsSync(BUILD) ? 'skipped: no dist/firefox (run npm run build)' : !existsSync('/usr/bin/firefox-esr') ? 'skipped: /usr/bin/firefox-esr not installed (apt-get install firefox-esr)' : false;
const SENTIMENT = registryEntry(DEFAULT_SETTINGS.sentimentModelId);
const ZERO_SHOT = registryEntry(DEFAULT_SETTINGS.zeroShotModelId);

interface BrowserStorage {
  browser: { storage: { local: { get(key: string): Promise<Record<string, Record<string, { commit?: string; files: Array<{ path: string; size: number; sha256?: string; derived?: string }>; revision?: string } | undefined> | undefined>> } } };
}

describe('the extension in Firefox ESR', { skip }, () => {
  let fx: LensFirefox;
  let server: TestServer;
  let options: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    fx = await launchFirefox({ extensionDir: await e2eBuild('firefox') });
    options = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    await options.locator('#hub-url').fill(server.hubUrl);
    await options.locator('#save-hub').click();
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  /** The browser.tabs id of the tab showing url. */
  const tabIdOf = (url: string) =>
    options.evaluate(async (u: string) => {
      const tabs = await (globalThis as unknown as { browser: { tabs: { query(q: object): Promise<Array<{ id: number; url: string }>> } } }).browser.tabs.query({});
      return tabs.find((t) => t.url === u)?.id ?? -1;
    }, url);

  /** storage.local[key][modelId], read in the options page */
  const stored = (key: string, modelId: string) => options.evaluate(async (k: string, id: string) => (await (globalThis as unknown as BrowserStorage).browser.storage.local.get(k))[k]?.[id], key, modelId);

  test('install, consent and download, ask a question, the answer is highlighted in the page', { skip: NO_SHARED_DATA }, async () => {

    const article = await fx.openPage(server.articleUrl(3));
    await article.waitForSelector('main p');
    const tabId = await tabIdOf(server.articleUrl(3));
    assert.ok(tabId >= 0, 'the article tab is found');

    const popup = await fx.openExtensionPage(`src/popup/popup.html?tab=${tabId}`, '[data-testid="consent"]');
    assert.equal(server.requests.filter((r) => r.server === 'hub').length, 0, 'nothing downloaded before consent');
    await popup.locator('[data-testid="download"]').click();
    await popup.waitForSelector('#question', { visible: true, timeout: 60_000 });
    const record = await options.evaluate(async () => {
      const { browser } = globalThis as unknown as { browser: { storage: { local: { get(key: string): Promise<{ installedModels?: Record<string, { files: Array<{ path: string; size: number; derived?: string }>; bytes: number; int8Error?: string }> }> } } } };
      return (await browser.storage.local.get('installedModels')).installedModels?.['mobilebert-squad2'];
    });
    assert.ok(record, 'the QA model is recorded as installed');
    assert.equal(record.int8Error, undefined, `the int8 step did not fail (${record.int8Error})`);
    const int8 = record.files.find((f) => f.path === 'onnx/model_quantized.onnx');
    assert.equal(int8?.derived, 'int8', `the record lists the int8 file made on the device: ${JSON.stringify(record.files)}`);
    const lean = record.files.find((f) => f.path === 'onnx/model.onnx');
    assert.equal(lean?.derived, 'onnx', `the downloaded model.onnx was rebuilt as the lean graph in the event page: ${JSON.stringify(record.files)}`);
    assert.ok(!record.files.some((f) => f.path === 'model.onnx'), 'in its place');
    assert.equal(record.bytes, record.files.reduce((sum, f) => sum + f.size, 0));

    const question = readFileSync(join(SQUAD_DIR, 'questions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { question: string; article: number }).find((q) => q.article === 3)?.question ?? 'what is this about?';
    await popup.locator('#question').fill(question);
    await popup.locator('#ask').click();
    await popup.waitForSelector('[data-testid="answer"]', { timeout: 60_000 });
    const best = await popup.$eval('[data-testid="answer"][data-index="0"]', (e) => e.querySelector('.answer-text')?.textContent ?? e.textContent ?? '');
    // a random-weight model may abstain; its possible answers can still be marked by a click
    if (await popup.$('[data-testid="no-answer"]')) await popup.locator('[data-testid="answer"][data-index="0"]').click();
    await article.waitForSelector('mark[data-lens-answer]');
    const hl = await article.evaluate(() => {
      const marks = [...document.querySelectorAll('mark[data-lens-answer]')];
      return { text: marks.map((m) => m.textContent ?? '').join(''), inMain: marks.length > 0 && marks.every((m) => m.closest('main') !== null) };
    });
    assert.ok(hl.inMain, 'the answer is marked in the main content');
    assert.ok(hl.text.length > 0 && best.includes(hl.text), `highlight "${hl.text}" is the best answer "${best}"`);
  });

  test(`Classify: ${SENTIMENT.name} (${pinTier(SENTIMENT)}) and ${ZERO_SHOT.name} each install with one consent and answer`, async () => {
    const page = await fx.openPage(server.fixtureUrl('plain.html'));
    const tabId = await tabIdOf(server.fixtureUrl('plain.html'));
    assert.ok(tabId >= 0, 'the page tab is found');
    const consent = '#panel-classify [data-testid="consent"]';
    const popup = await fx.openExtensionPage(`src/popup/popup.html?tab=${tabId}&view=classify`, consent);
    const classify = async (text: string) => {
      await popup.locator('#classify-text').fill(text);
      await popup.locator('#classify').click();
      await popup.waitForSelector('[data-testid="score-row"]', { timeout: 120_000 });
      return popup.$$eval('[data-testid="score-row"]', (els) => els.map((e) => ({ label: e.getAttribute('data-label') ?? '', score: Number(e.getAttribute('data-score')) })));
    };

    // Sentiment, the default mode
    assert.equal(await popup.$eval(`${consent} [data-testid="consent-pin"]`, (e) => e.getAttribute('data-tier')), pinTier(SENTIMENT));
    const pinText = await popup.$eval(`${consent} [data-testid="consent-pin"]`, (e) => e.textContent ?? '');
    assert.match(pinText, pinTier(SENTIMENT) === 'first-install' ? /^pinned on this device at first install/ : /^pinned by Lens/);
    assert.equal((await popup.$eval(`${consent} [data-testid="consent-license"]`, (e) => e.textContent ?? '')).trim(), SENTIMENT.license);
    server.clearRequests();
    await popup.locator('#panel-classify [data-testid="download"]').click();
    await popup.waitForSelector('#classify-text', { visible: true, timeout: 240_000 });
    const hub = server.requests.filter((r) => r.server === 'hub').map((r) => new URL(r.url).pathname);
    if (pinTier(SENTIMENT) === 'first-install') {
      const commit = hubCommit(SENTIMENT.repo, SENTIMENT.branch ?? 'main');
      assert.deepEqual(hub.filter((p) => p.includes('/api/')), [`/hub/api/models/${SENTIMENT.repo}/revision/${SENTIMENT.branch}`], 'the branch is resolved once');
      assert.ok(hub.filter((p) => !p.includes('/api/')).every((p) => p.startsWith(`/hub/${SENTIMENT.repo}/resolve/${commit}/`)), JSON.stringify(hub));
      assert.equal((await stored('devicePins', SENTIMENT.id))?.commit, commit, 'the first install is recorded in this profile');
    }
    const record = await stored('installedModels', SENTIMENT.id);
    assert.ok(record, 'the sentiment model is recorded as installed');
    const built = record.files.find((f) => f.path === 'onnx/model.onnx');
    if (SENTIMENT.files.some((f) => f.path === 'pytorch_model.bin')) {
      assert.equal(built?.derived, 'onnx', `pytorch_model.bin was built into ONNX in the event page: ${JSON.stringify(record.files)}`);
      assert.ok(!record.files.some((f) => f.path === 'pytorch_model.bin'), 'and not kept');
    }
    const rows = await classify('A gorgeous, witty and deeply moving film.');
    assert.deepEqual(rows.map((r) => r.label).sort(), [...(SENTIMENT.labels ?? ['negative', 'positive'])].sort());
    assert.ok(Math.abs(rows.reduce((sum, r) => sum + r.score, 0) - 1) < 1e-4, 'the scores sum to 1');

    // Zero-shot: its own consent
    await popup.locator('#mode-zero-shot').click();
    await popup.waitForSelector(consent, { timeout: 15_000 });
    assert.equal(await popup.$eval(`${consent} [data-testid="consent-pin"]`, (e) => e.getAttribute('data-tier')), pinTier(ZERO_SHOT));
    await popup.locator('#panel-classify [data-testid="download"]').click();
    await popup.waitForSelector('#classify-text', { visible: true, timeout: 240_000 });
    const chips = await popup.$$eval('[data-testid="label-chip"]', (els) => els.map((e) => e.getAttribute('data-label') ?? ''));
    const zs = await classify('Book a cheap flight to Lisbon and a hotel by the sea.');
    assert.ok(chips.length >= 2);
    assert.deepEqual(zs.map((r) => r.label).sort(), [...chips].sort(), 'a score per label');
    await popup.close();
    await page.close();
  });
});
