// The smaller end-to-end run in Firefox ESR (puppeteer-core over WebDriver BiDi): install dist/firefox,
// download the QA model from the fake hub after consent (its int8 file is made on the device, in the event
// page), ask a SQuAD article page, see the answer marked.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { NO_SHARED_DATA, SQUAD_DIR } from '../helpers/shared-data.js';
import { launchFirefox, type LensFirefox } from './harness/firefox.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const BUILD = join(ROOT, 'dist', 'firefox', 'manifest.json');
const skip = !existsSync(BUILD) ? 'skipped: no dist/firefox (run npm run build)' : !existsSync('/usr/bin/firefox-esr') ? 'skipped: /usr/bin/firefox-esr not installed (apt-get install firefox-esr)' : NO_SHARED_DATA;

describe('the extension in Firefox ESR', { skip }, () => {
  let fx: LensFirefox;
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    fx = await launchFirefox({ extensionDir: await e2eBuild('firefox') });
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  test('install, consent and download, ask a question, the answer is highlighted in the page', async () => {
    const options = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    await options.locator('#hub-url').fill(server.hubUrl);
    await options.locator('#save-hub').click();
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));

    const article = await fx.openPage(server.articleUrl(3));
    await article.waitForSelector('main p');
    const tabId = await options.evaluate(async (url: string) => {
      const tabs = await (globalThis as unknown as { browser: { tabs: { query(q: object): Promise<Array<{ id: number; url: string }>> } } }).browser.tabs.query({});
      return tabs.find((t) => t.url === url)?.id ?? -1;
    }, server.articleUrl(3));
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
});
