// The core heavy-page cases in Firefox ESR (puppeteer-core over WebDriver BiDi; the background is an event
// page): 10 MB of text read up to the cap with the popup saying so, a page of images only, a page in French.
// The service-worker-stop case is Chromium's (heavy.test.ts): Firefox's event page cannot be stopped from a test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { firefoxUnavailable, launchFirefox, type LensFirefox } from './harness/firefox.js';
import { bigPage, languagePage } from './harness/heavy-pages.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

const skip = firefoxUnavailable();

interface BrowserGlobal {
  browser: {
    tabs: { query(q: object): Promise<Array<{ id: number; url: string }>> };
    runtime: { sendMessage(msg: object): Promise<{ ok: boolean; error?: string }> };
  };
}

const FINAL = '[data-testid="answer"], [data-testid="no-answer"], [data-testid="no-text"], [data-testid="restarted"], [data-testid="error"]';

describe('heavy pages in Firefox ESR', { skip }, () => {
  let fx: LensFirefox;
  let server: TestServer;
  let options: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    server.pages.set('/heavy/big.html', bigPage(10.2e6));
    server.pages.set('/heavy/fr.html', languagePage('French'));
    fx = await launchFirefox({ extensionDir: await e2eBuild('firefox') });
    options = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    await options.locator('#hub-url').fill(server.hubUrl);
    await options.locator('#save-hub').click();
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
    const downloaded = await options.evaluate(() => (globalThis as unknown as BrowserGlobal).browser.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }));
    assert.equal(downloaded.ok, true, `the QA model downloads: ${JSON.stringify(downloaded)}`);
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  /** Opens `url` in a tab, then the popup for it, and asks `question`; resolves once the popup shows its outcome. */
  async function askAbout(url: string, question: string): Promise<{ page: Page; popup: Page }> {
    const page = await fx.openPage(url);
    const tabId = await options.evaluate(async (u: string) => (await (globalThis as unknown as BrowserGlobal).browser.tabs.query({})).find((t) => t.url === u)?.id ?? -1, url);
    assert.ok(tabId >= 0, `the tab of ${url} is found`);
    const popup = await fx.openExtensionPage(`src/popup/popup.html?tab=${tabId}`, '#question');
    await popup.waitForSelector('#question', { visible: true, timeout: 60_000 });
    await popup.locator('#question').fill(question);
    await popup.locator('#ask').click();
    await popup.waitForSelector(FINAL, { timeout: 120_000 });
    return { page, popup };
  }

  const text = (p: Page, selector: string) => p.$eval(selector, (e) => e.textContent ?? '');

  test('10 MB of text: answered from the first million characters; the popup says only part was read', async () => {
    const { page, popup } = await askAbout(`${server.url}/heavy/big.html`, 'Who was the lighthouse keeper of Port Elwood?');
    assert.ok(await popup.$('[data-testid="answer"]'), 'answers are listed');
    assert.match(await text(popup, '[data-testid="partial-read"]'), /^Read the first 1\.0 million of about 10\.\d million characters on this page/);
    assert.equal(await popup.$('[data-testid="language-notice"]'), null);
    await popup.close();
    await page.close();
  });

  test('a page of images only: "This page has no text to read"', async () => {
    const { page, popup } = await askAbout(server.fixtureUrl('heavy/images-only.html'), 'What is in the harbour?');
    assert.match(await text(popup, '[data-testid="no-text"]'), /^This page has no text to read/);
    assert.equal(await popup.$('[data-testid="error"]'), null);
    assert.equal(await popup.$eval('#question', (e) => (e as HTMLInputElement).disabled), false, 'the question box is usable again');
    await popup.close();
    await page.close();
  });

  test('a page in French: the popup says the model reads English, and still answers', async () => {
    const { page, popup } = await askAbout(`${server.url}/heavy/fr.html`, 'When was the bridge completed?');
    assert.match(await text(popup, '[data-testid="language-notice"]'), /The model reads English.*This page seems to be in French\./s);
    assert.ok(await popup.$('[data-testid="answer"]'), 'answers are still offered');
    await popup.close();
    await page.close();
  });
});
