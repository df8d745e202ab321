// Heavy pages and the background's lifecycle, in Debian's Chromium with dist/chrome: a page with 10 MB of
// text (read up to MAX_READ_CHARS, with progress, and the popup says only part was read), a page of images
// only (a clear message, the model not run), pages in other languages (the popup says the model reads English
// and still answers), and the service worker stopped mid-answer (an answer or a clear "ask again", never an
// endless spinner). The QA model is the fake hub's tiny random-weight MobileBERT: answers are arbitrary spans;
// what is checked is that the whole path holds. Big pages are made by the test server, not committed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { MAX_READ_CHARS, type ExtractReply, type Reply } from '../../src/shared/protocol.js';
import { chromiumUnavailable, launchChromium, screenshotDir, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { FIRST_FACT, LANGS, LAST_FACT, bigPage, languagePage } from './harness/heavy-pages.js';
import { setHub } from './harness/store.js';
import { join } from 'node:path';

const skip = chromiumUnavailable();

interface ProgressSeen {
  requestId: string;
  phase: string;
  message: string;
  done: number;
  total?: number;
}

interface ChromeTabs {
  chrome: { tabs: { sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown> } };
}

const FINAL = '[data-testid="answer"], [data-testid="no-answer"], [data-testid="no-text"], [data-testid="restarted"], [data-testid="error"]';

describe('heavy pages and a background stopped mid-answer (Chromium)', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    server.pages.set('/heavy/big.html', bigPage(10.2e6));
    server.pages.set('/heavy/medium.html', bigPage(300_000));
    for (const name of Object.keys(LANGS) as Array<keyof typeof LANGS>) server.pages.set(`/heavy/${LANGS[name]}.html`, languagePage(name));
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    const options = await setHub(lens, server.hubUrl);
    const downloaded = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }));
    assert.equal(downloaded.ok, true, `the QA model downloads: ${JSON.stringify(downloaded)}`);
    await options.close();
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  /** The popup for a tab, recording every progress event it receives. */
  async function popupFor(tabId: number): Promise<{ p: Page; progress: () => Promise<ProgressSeen[]> }> {
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await p.setViewportSize({ width: 400, height: 600 });
    await p.evaluate(() => {
      const seen: Array<{ requestId: string; phase: string; message: string; done: number; total?: number }> = [];
      (globalThis as unknown as { lensProgress: typeof seen }).lensProgress = seen;
      chrome.runtime.onMessage.addListener((msg: { type?: string; phase?: string; message?: string; done?: number; total?: number; requestId?: string }) => {
        if (msg.type === 'event/progress' && msg.requestId && msg.phase) seen.push({ requestId: msg.requestId, phase: msg.phase, message: msg.message ?? '', done: msg.done ?? 0, total: msg.total });
      });
    });
    await p.waitForSelector('#question', { state: 'visible', timeout: 60_000 });
    return { p, progress: () => p.evaluate(() => (globalThis as unknown as { lensProgress: ProgressSeen[] }).lensProgress) };
  }

  async function ask(p: Page, question: string): Promise<void> {
    await p.fill('#question', question);
    await p.click('#ask');
  }

  const finalState = (p: Page, timeout = 120_000) => p.waitForSelector(FINAL, { timeout });

  test('10 MB of text: the first million characters are read and indexed, with progress; the popup says only part was read; the answer comes', async (t) => {
    const page = await lens.openPage(server.url + '/heavy/big.html');
    const tabId = await lens.tabIdOf(page);
    const pageChars = await page.evaluate(() => document.body.textContent?.length ?? 0);
    assert.ok(pageChars > 10e6, `the page holds over 10 MB of text (${pageChars})`);

    // what the content script sends the background, as the background asks for it
    const ext = await lens.openExtensionPage('src/options/options.html');
    const started = Date.now();
    const reply = (await ext.evaluate(([id]) => (globalThis as unknown as ChromeTabs).chrome.tabs.sendMessage(id, { type: 'content/extract', scope: 'page' }, { frameId: 0 }), [tabId] as const)) as Reply<ExtractReply>;
    const extractMs = Date.now() - started;
    await ext.close();
    assert.ok(reply.ok, JSON.stringify(reply).slice(0, 300));
    const snap = reply.value;
    assert.ok(snap.text.length <= MAX_READ_CHARS, `at most MAX_READ_CHARS are read (${snap.text.length})`);
    assert.ok(snap.text.length > MAX_READ_CHARS - 1000, `the read stops at the cap, not before (${snap.text.length})`);
    assert.ok(snap.text.startsWith(`The complete harbour records\n${FIRST_FACT}`), 'the start of the main content is read');
    assert.ok(!snap.text.includes(LAST_FACT), 'the end of the page is not');
    assert.equal(snap.passages.at(-1)?.end, snap.text.length);
    assert.ok(snap.partial, 'the reply says the read is partial');
    assert.equal(snap.partial.read, snap.text.length);
    assert.ok(snap.partial.total > 10e6 && snap.partial.total < pageChars * 1.01, `the whole page is estimated at ${snap.partial.total} characters`);
    t.diagnostic(`content/extract of a ${(pageChars / 1e6).toFixed(1)} M-character page: ${extractMs} ms for a ${snap.text.length}-character reply`);

    const { p, progress } = await popupFor(tabId);
    await ask(p, 'Who was the lighthouse keeper of Port Elwood?');
    // while it works, the popup shows what it is doing
    await p.waitForSelector('#ask-progress', { timeout: 30_000 });
    await finalState(p);
    assert.ok(await p.$('[data-testid="answer"]'), 'answers are listed');
    assert.equal(await p.$('[data-testid="error"]'), null);
    const seen = await progress();
    const partialEvent = seen.find((e) => e.phase === 'extract' && e.total !== undefined);
    assert.ok(partialEvent, `a progress event says how much was read (${JSON.stringify(seen.map((e) => e.message))})`);
    assert.match(partialEvent.message, /^Read the first 1\.0 million of about 10\.\d million characters$/);
    assert.ok(seen.some((e) => e.phase === 'index' && /^Indexing [\d,]+ characters$/.test(e.message)), 'indexing is shown');
    assert.ok(seen.some((e) => e.phase === 'read'), 'reading the passages is shown');
    const line = (await p.textContent('[data-testid="partial-read"]')) ?? '';
    assert.match(line, /^Read the first 1\.0 million of about 10\.\d million characters on this page: answers come from that part\.$/);
    assert.equal(await p.$('[data-testid="language-notice"]'), null, 'an English page gets no language notice');
    await p.screenshot({ path: join(screenshotDir(), 'popup-partial-read.png'), fullPage: true });
    // the best answer is marked in the part that was read (a random model may abstain: then click it, as users do)
    if (await p.$('[data-testid="no-answer"]')) await p.click('[data-testid="answer"][data-index="0"]');
    await page.waitForSelector('mark[data-lens-answer]', { timeout: 30_000 });
    const inRead = await page.evaluate(() => {
      const mark = document.querySelector('mark[data-lens-answer]');
      const last = document.querySelector('main p:last-of-type');
      return !!mark && !!last && (mark.compareDocumentPosition(last) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    });
    assert.ok(inRead, 'the highlight lies before the unread end of the page');
    await p.close();
    await page.close();
  });

  test('a page of images only: "This page has no text to read", the model is not run, the popup still works', async () => {
    const page = await lens.openPage(server.fixtureUrl('heavy/images-only.html'));
    const tabId = await lens.tabIdOf(page);
    const { p, progress } = await popupFor(tabId);
    await ask(p, 'What is in the harbour?');
    await finalState(p, 60_000);
    const message = (await p.textContent('[data-testid="no-text"]')) ?? '';
    assert.match(message, /^This page has no text to read/);
    assert.equal(await p.$('[data-testid="answer"]'), null);
    assert.equal(await p.$('[data-testid="error"]'), null);
    const phases = [...new Set((await progress()).map((e) => e.phase))];
    assert.deepEqual(phases, ['extract'], 'the page was read, and nothing more: no model load, no indexing, no reading');
    assert.equal(await page.$('mark[data-lens-answer]'), null);
    // nothing broken: the question box is usable again, and asking again gives the same clear message
    assert.equal(await p.isEnabled('#question'), true);
    assert.equal(await p.isEnabled('#ask'), true);
    await p.click('#ask');
    await p.waitForFunction(() => document.querySelectorAll('[data-testid="no-text"]').length === 1 && !document.querySelector('#ask-progress'));
    await p.close();
    await page.close();
  });

  for (const name of Object.keys(LANGS) as Array<keyof typeof LANGS>) {
    test(`a page in ${name}: the popup says the model reads English, and still answers`, async () => {
      const page = await lens.openPage(`${server.url}/heavy/${LANGS[name]}.html`);
      const tabId = await lens.tabIdOf(page);
      const { p } = await popupFor(tabId);
      await ask(p, 'When was the bridge completed?');
      await finalState(p);
      const notice = await p.waitForSelector('[data-testid="language-notice"]', { timeout: 5_000 });
      const text = (await notice.textContent()) ?? '';
      assert.match(text, /The model reads English/);
      // Arabic script serves several languages: the notice says "not English" without naming one
      if (name === 'Arabic') {
        assert.equal(await notice.getAttribute('data-language'), 'arabic');
        assert.match(text, /This page does not seem to be in English\./);
      } else {
        assert.equal(await notice.getAttribute('data-language'), name);
        assert.match(text, new RegExp(`This page seems to be in ${name}\\.`));
      }
      assert.ok(await p.$('[data-testid="answer"]'), 'answers are still offered');
      if (name === 'French') await p.screenshot({ path: join(screenshotDir(), 'popup-language-notice.png'), fullPage: true });
      await p.close();
      await page.close();
    });
  }

  /**
   * Waits until the background reports `phases` (progress events) for the popup's attempt `n`, then stops the
   * service worker, as Chrome does when it likes. (Not the harness's killServiceWorker: that waits to see the
   * worker gone, but the popup's retry starts it again at once.) The CDP session is opened beforehand so the stop
   * follows the progress event closely.
   */
  async function killDuring(p: Page, attempt: number, phases: string[]): Promise<void> {
    const blank = await lens.context.newPage();
    const cdp = await lens.context.newCDPSession(blank);
    await cdp.send('ServiceWorker.enable');
    await p.waitForFunction(
      ([n, wanted]) => {
        const status = document.querySelector('#ask-status') as HTMLElement | null;
        const seen = (globalThis as unknown as { lensProgress: Array<{ requestId: string; phase: string }> }).lensProgress;
        return status?.dataset.attempt === String(n) && seen.some((e) => e.requestId === status.dataset.requestId && wanted.includes(e.phase));
      },
      [attempt, phases] as const,
      { timeout: 60_000, polling: 10 },
    );
    await cdp.send('ServiceWorker.stopAllWorkers');
    assert.equal(await p.$('[data-testid="answer"], [data-testid="no-answer"]'), null, 'the service worker was stopped before the answer came');
    await blank.close();
  }

  /**
   * A 300,000-character page in a tab whose CPU is slowed down 8 times: the content script takes seconds to read
   * it, so a stop of the service worker while it does lands in the middle of the answer.
   */
  async function slowPage(): Promise<{ page: Page; tabId: number }> {
    // the previous test may have left the worker stopped: an extension page wakes it, for the tab lookup
    const ext = await lens.openExtensionPage('src/options/options.html');
    const page = await lens.openPage(server.url + '/heavy/medium.html');
    const tabId = await lens.tabIdOf(page);
    await ext.close();
    const cdp = await lens.context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 8 });
    return { page, tabId };
  }

  test('the service worker stopped mid-answer: the popup asks again by itself and the answer comes', async () => {
    const { page, tabId } = await slowPage();
    const { p } = await popupFor(tabId);
    await ask(p, 'Who was the lighthouse keeper of Port Elwood?');
    await killDuring(p, 1, ['extract']);
    await finalState(p);
    assert.equal(await p.$('[data-testid="error"]'), null);
    assert.ok(await p.$('[data-testid="answer"]'), 'the retried question is answered');
    assert.equal(await p.getAttribute('#ask-result', 'data-attempts'), '2', 'the answer came from the second attempt');
    await p.close();
    await page.close();
  });

  test('stopped again during the retry: "Lens was restarted by the browser", and "Ask again" answers', async () => {
    const { page, tabId } = await slowPage();
    const { p } = await popupFor(tabId);
    await ask(p, 'Who was the lighthouse keeper of Port Elwood?');
    await killDuring(p, 1, ['extract']);
    await killDuring(p, 2, ['extract']);
    await finalState(p);
    const message = (await p.textContent('[data-testid="restarted"]')) ?? '';
    assert.match(message, /Lens was restarted by the browser/);
    assert.match(message, /Ask again/);
    assert.equal(await p.$('#ask-progress'), null, 'no spinner is left running');
    assert.equal(await p.isEnabled('#question'), true);
    await p.screenshot({ path: join(screenshotDir(), 'popup-restarted.png'), fullPage: true });
    await p.click('[data-testid="retry"]');
    await p.waitForSelector('[data-testid="answer"]', { timeout: 120_000 });
    assert.equal(await p.$('[data-testid="restarted"]'), null);
    await p.close();
    await page.close();
  });
});
