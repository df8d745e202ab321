// The Lens reader (issue 18) as a user meets it: a tab showing a PDF is offered the reader, which opens in the same
// tab, reads the PDF in reading order (two columns, running headers and page numbers left out) and answers like a
// web page, marking the answer in the text layer of its page. PDFs are made by the tests (tests/helpers/pdf-fixtures.ts)
// and served from 127.0.0.1; models are tiny random-weight MobileBERTs (answers are arbitrary spans: what is checked is
// that the whole path holds). The browsers' own PDF viewers cannot be driven: the offer is tested on a tab Chromium
// shows a PDF in (its viewer, by address and by Content-Type), and everything after that in the reader.
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Page as FirefoxPage } from 'puppeteer-core';
import type { AskReply, ContentReplies, ContentRequest, ExtractReply, Reply } from '../../src/shared/protocol.js';
import { MAX_READ_CHARS } from '../../src/shared/protocol.js';
import { DEFAULT_SETTINGS } from '../../src/shared/settings-values.js';
import { ENCRYPTED_SENTENCE, TWO_COLUMN, corruptPdf, encryptedPdf, imageOnlyPdf, longPdf, longPdfFact, notAPdf, pdfTextForTest, twoColumnPdf } from '../helpers/pdf-fixtures.js';
import { applyColorScheme, chromiumUnavailable, screenshotDir } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { firefoxUnavailable, launchFirefox, type LensFirefox } from './harness/firefox.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { hubSession } from './harness/session.js';

const PDF = 'application/pdf';
const SCANNED = 'This PDF has no text layer (it is scanned); Lens cannot read images.';
const normal = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Serves the test PDFs from the site: by .pdf addresses, and one PDF behind an address that does not say so. */
async function servePdfs(server: TestServer): Promise<void> {
  const paper = await twoColumnPdf();
  server.files.set('/docs/paper.pdf', { type: PDF, body: paper });
  server.files.set('/docs/report', { type: PDF, body: paper });
  server.files.set('/docs/scanned.pdf', { type: PDF, body: await imageOnlyPdf() });
  server.files.set('/docs/locked.pdf', { type: PDF, body: await encryptedPdf('harbour') });
  server.files.set('/docs/broken.pdf', { type: PDF, body: await corruptPdf() });
  server.files.set('/docs/not-a.pdf', { type: PDF, body: notAPdf() });
}

describe('the Lens reader in Chromium', { skip: chromiumUnavailable() }, () => {
  const session = hubSession();
  let reader: Page;
  let readerTab: number;

  before(async () => {
    await servePdfs(session.server);
    const downloaded = (await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }))) as Reply<unknown>;
    assert.equal(downloaded.ok, true, JSON.stringify(downloaded));
  });

  /** A content request to the reader page of a tab, sent as the background sends it. */
  async function readerRequest<R extends ContentRequest>(tabId: number, request: R): Promise<ContentReplies[R['type']]> {
    const reply = (await session.options.evaluate(([id, req]) => chrome.runtime.sendMessage({ type: 'reader/content', tabId: id, request: req }), [tabId, request] as const)) as Reply<ContentReplies[R['type']]>;
    if (!reply.ok) throw new Error(reply.error);
    return reply.value;
  }

  async function ask(tabId: number, question: string, scope: 'page' | 'selection' = 'page'): Promise<Reply<AskReply>> {
    return (await session.options.evaluate(([id, q, s]) => chrome.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: id, question: q, scope: s }), [tabId, question, scope] as const)) as Reply<AskReply>;
  }

  async function openReader(path: string): Promise<{ page: Page; tabId: number }> {
    const page = await session.lens.openExtensionPage(`src/reader/reader.html?url=${encodeURIComponent(session.server.url + path)}`);
    await page.setViewportSize({ width: 1000, height: 900 });
    return { page, tabId: await session.lens.tabIdOf(page) };
  }

  /** The answer marks in the reader: their pages and text. */
  const marksIn = (page: Page) =>
    page.$$eval('mark[data-lens-answer]', (ms) => ms.map((m) => ({ page: Number(m.closest('.page')?.getAttribute('data-page')), text: m.textContent ?? '' })));

  test('a tab showing a PDF is offered the reader, found by its address and by its Content-Type', async () => {
    for (const path of ['/docs/paper.pdf', '/docs/report']) {
      const tab = await session.lens.context.newPage();
      // Chromium shows the PDF in its own viewer, which no extension may enter
      await tab.goto(session.server.url + path).catch(() => undefined);
      const tabId = await session.lens.tabIdOf(tab);
      const info = (await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'tab/info', tabId: id }), tabId)) as Reply<{ readable: boolean; pdf?: { url: string; openable: boolean } }>;
      assert.ok(info.ok);
      assert.equal(info.value.readable, false, path);
      assert.deepEqual(info.value.pdf, { url: session.server.url + path, openable: true }, path);
      await tab.close();
    }
    const page = await session.lens.openPage(session.server.articleUrl(0)).catch(() => undefined);
    if (page) {
      const info = (await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'tab/info', tabId: id }), await session.lens.tabIdOf(page))) as Reply<{ pdf?: unknown }>;
      assert.ok(info.ok && info.value.pdf === undefined, 'a web page is not taken for a PDF');
      await page.close();
    }
  });

  test('"Open in Lens reader" in the popup opens the PDF in the reader, in the same tab', async () => {
    reader = await session.lens.context.newPage();
    await reader.setViewportSize({ width: 1000, height: 900 });
    await reader.goto(`${session.server.url}/docs/paper.pdf`).catch(() => undefined);
    readerTab = await session.lens.tabIdOf(reader);
    const popup = await session.lens.openExtensionPage(`src/popup/popup.html?tab=${readerTab}`);
    await popup.click('[data-testid="open-reader"]');
    await reader.waitForURL(/src\/reader\/reader\.html\?url=/);
    await reader.waitForSelector('[data-testid="read-done"]', { timeout: 30_000 });
    assert.equal(await reader.textContent('#doc-title'), TWO_COLUMN.title, 'the PDF’s own title');
    assert.equal(await reader.textContent('#page-count'), `/ ${TWO_COLUMN.pages}`);
    await popup.close();
    const info = (await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'tab/info', tabId: id }), readerTab)) as Reply<{ readable: boolean; url: string }>;
    assert.ok(info.ok && info.value.readable, 'the reader tab is readable');
    assert.equal(info.value.url, `${session.server.url}/docs/paper.pdf`, 'the popup names the PDF, not the reader page');
  });

  // Chromium lets an unpacked extension read file:// URLs (the user switches it on for a store install): the reader
  // reads a PDF from disk through that access. Without it, the offer says how to allow it (tests/pdf-tab.test.ts).
  test('a PDF from disk opens in the reader through the extension’s file access', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lens-pdf-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'notes.pdf');
    writeFileSync(file, await twoColumnPdf());
    const tab = await session.lens.context.newPage();
    await tab.goto(pathToFileURL(file).href).catch(() => undefined);
    const tabId = await session.lens.tabIdOf(tab);
    const popup = await session.lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    await popup.waitForSelector('[data-testid="pdf-offer"][data-openable="true"]');
    await popup.click('[data-testid="open-reader"]');
    await tab.waitForURL(/src\/reader\/reader\.html\?url=file/);
    await tab.waitForSelector('[data-testid="read-done"]');
    const read = await readerRequest(tabId, { type: 'content/extract', scope: 'page' });
    assert.ok(read.text.includes(TWO_COLUMN.varn.sentence));
    assert.equal(read.url, pathToFileURL(file).href);
    await popup.close();
    await tab.close();
  });

  test('the text layer lies over the drawn text: each line as wide as pdf.js measured it in the PDF', async () => {
    const [first] = await pdfTextForTest(await twoColumnPdf());
    await reader.evaluate(() => document.querySelector('.page[data-page="1"]')?.scrollIntoView());
    await reader.waitForSelector('.page[data-page="1"] .textLayer span');
    const scale = (await reader.$eval('.page[data-page="1"]', (p) => p.getBoundingClientRect().width)) / first!.width;
    const spans = await reader.$$eval('.page[data-page="1"] .textLayer span', (els) => els.map((e) => ({ text: e.textContent ?? '', width: e.getBoundingClientRect().width })));
    const lines = first!.items.filter((i) => i.str.trim().length > 10);
    assert.ok(lines.length > 20);
    for (const item of lines) {
      const span = spans.find((s) => s.text === item.str);
      assert.ok(span, `"${item.str}" is in the text layer`);
      const want = item.width * scale;
      assert.ok(Math.abs(span.width - want) / want < 0.03, `"${item.str}": ${span.width.toFixed(1)} px wide in the text layer, ${want.toFixed(1)} px on the page`);
    }
  });

  test('the PDF is read in reading order: title first, left column before right, hyphens joined, headers and page numbers left out', async () => {
    const page = await readerRequest(readerTab, { type: 'content/extract', scope: 'page' });
    assert.ok(page.text.startsWith(TWO_COLUMN.title), 'the title comes first');
    assert.ok(page.text.includes(TWO_COLUMN.hyphenJoined), 'the line-end hyphen is joined');
    assert.ok(!page.text.includes('Journal of Quiet Testing'), 'the running header is left out');
    for (const fact of TWO_COLUMN.facts) assert.ok(page.text.includes(fact.sentence), fact.sentence);
    for (let p = 0; p < TWO_COLUMN.pages; p++) {
      const on = TWO_COLUMN.facts.filter((f) => f.page === p);
      const at = (column: string, place: string) => page.text.indexOf(on.find((f) => f.column === column && f.place === place)!.sentence);
      assert.ok(at('left', 'bottom') < at('right', 'top'), `page ${p + 1}: the left column is read before the right`);
    }
    assert.equal(page.pageStarts?.length, TWO_COLUMN.pages);
    assert.ok(page.pageStarts![1]! <= page.text.indexOf(TWO_COLUMN.varn.sentence) && page.text.indexOf(TWO_COLUMN.varn.sentence) < page.pageStarts![2]!, 'the Varn sentence is on page 2');
    assert.equal(page.reading.note, `the PDF (${TWO_COLUMN.pages} pages)`);
  });

  test('asked in the popup: answers say their page, the best is marked in its page’s text layer, another answer moves there', async () => {
    const popup = await session.lens.openExtensionPage(`src/popup/popup.html?tab=${readerTab}`);
    await popup.setViewportSize({ width: 400, height: 600 });
    await popup.fill('#question', 'When was the Varn lighthouse completed?');
    await popup.click('#ask');
    await popup.waitForSelector('[data-testid="answer"]', { timeout: 60_000 });
    const answers = await popup.$$eval('[data-testid="answer"]', (els) => els.map((e) => ({ text: e.querySelector('.answer-text')?.textContent ?? '', page: Number(e.querySelector('[data-testid="answer-page"]')?.getAttribute('data-page')) })));
    assert.ok(answers.length >= 2, `at least two answers (got ${answers.length})`);
    for (const a of answers) assert.ok(a.page >= 1 && a.page <= TWO_COLUMN.pages, `each answer says its page (${JSON.stringify(a)})`);
    if (await popup.$('[data-testid="no-answer"]')) await popup.click('[data-testid="answer"][data-index="0"]');
    await reader.waitForSelector('mark[data-lens-answer]');
    const check = async (i: number) => {
      const marks = await marksIn(reader);
      const want = answers[i]!.page;
      // an answer says the page it starts on; one that runs over a page break is marked on the next page too
      assert.ok(marks.length > 0 && marks[0]!.page === want && marks.every((m) => m.page === want || m.page === want + 1), `answer ${i} is marked from page ${want} (${JSON.stringify(marks)})`);
      const marked = normal(marks.map((m) => m.text).join(' '));
      assert.ok(normal(answers[i]!.text).replace(/\s/g, '').includes(marked.replace(/\s/g, '')), `the mark "${marked}" is answer ${i} ${answers[i]!.text}`);
      const inView = await reader.$eval('mark[data-lens-answer]', (m) => {
        const r = m.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight;
      });
      assert.ok(inView, 'the reader scrolled to the answer');
    };
    await check(0);
    await reader.screenshot({ path: join(screenshotDir(), 'reader-answer.png') });
    await popup.screenshot({ path: join(screenshotDir(), 'popup-pdf-answers.png') });
    const first = (await marksIn(reader)).map((m) => m.text).join(' ');
    await popup.click('[data-testid="answer"][data-index="1"]');
    await reader.waitForFunction((was) => [...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent).join(' ') !== was, first);
    await check(1);
    await popup.close();
  });

  test('a selection in the reader: asking answers from it, and the context menu classifies it in a card', async () => {
    // select the Varn sentence's spans on page 2 as a user would drag over them
    await reader.evaluate(() => document.querySelector('.page[data-page="2"]')?.scrollIntoView());
    await reader.waitForSelector('.page[data-page="2"] .textLayer span');
    await readerRequest(readerTab, { type: 'content/clear' });
    await reader.evaluate((sentence) => {
      // from the start of the span the sentence begins in to the end of the sentence in the span it ends in
      const spans = [...document.querySelectorAll<HTMLElement>('.page[data-page="2"] .textLayer span')].filter((s) => (s.textContent ?? '').trim());
      const i = spans.findIndex((s) => sentence.startsWith(s.textContent!));
      const head = spans[i]?.textContent ?? '';
      const tail = sentence.slice(head.length).trim();
      const last = spans[i + 1];
      if (i < 0 || !last || !last.textContent!.startsWith(tail)) throw new Error('the sentence is not in the text layer');
      const range = document.createRange();
      range.setStart(spans[i]!.firstChild!, 0);
      range.setEnd(last.firstChild!, tail.length);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
    }, TWO_COLUMN.varn.sentence);
    const info = (await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'tab/info', tabId: id }), readerTab)) as Reply<{ selectionLength: number }>;
    assert.ok(info.ok && info.value.selectionLength > 0, 'the popup sees the selection');
    const reply = await ask(readerTab, 'Who was the engineer?', 'selection');
    if (!reply.ok) assert.fail(reply.error);
    assert.equal(reply.value.reading.kind, 'selection');
    const best = reply.value.answers[0];
    assert.ok(best, 'an answer');
    assert.ok(TWO_COLUMN.varn.sentence.includes(best.text), `the answer "${best.text}" is from the selection`);
    if (reply.value.abstained) await session.options.evaluate(([id, snap, s, e]) => chrome.runtime.sendMessage({ type: 'qa/highlight', tabId: id, snapshotId: snap, start: s, end: e }), [readerTab, reply.value.snapshotId, best.start, best.end] as const);
    await reader.waitForFunction((t) => [...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent).join(' ').replace(/\s/g, '') === t.replace(/\s/g, ''), best.text);

    // "Classify this selection": the sentiment model, then the card in the reader
    const sentiment = (await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/download', modelId: id }), DEFAULT_SETTINGS.sentimentModelId)) as Reply<unknown>;
    assert.ok(sentiment.ok, JSON.stringify(sentiment));
    const sw = await session.lens.serviceWorker();
    await sw.evaluate(([id, text]) => (globalThis as unknown as { lens: { handleMenuClick(i: unknown, t: unknown): Promise<void> } }).lens.handleMenuClick({ menuItemId: 'lens-classify-selection', selectionText: text }, { id }), [readerTab, TWO_COLUMN.varn.sentence] as const);
    const card = await reader.waitForFunction(() => {
      const host = document.getElementById('lens-card-host');
      return host?.dataset.state === 'result' ? (host.shadowRoot?.textContent ?? '') : false;
    });
    assert.match(String(await card.jsonValue()), /positive|negative/i);
    await reader.evaluate(() => {
      getSelection()?.removeAllRanges();
      document.getElementById('lens-card-host')?.remove();
    });
  });

  test('the reader passes axe (light and dark), its controls reachable by keyboard', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await applyColorScheme(reader, scheme);
      const { violations } = await new AxeBuilder({ page: reader }).analyze();
      assert.deepEqual(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], scheme);
    }
    await reader.emulateMedia({ colorScheme: 'light' });
    await reader.focus('#page-number');
    await reader.keyboard.press('Tab');
    assert.equal(await reader.evaluate(() => document.activeElement?.id), 'next-page');
  });

  test('find, zoom and page navigation', async () => {
    await reader.fill('#find', 'varn lighthouse');
    await reader.waitForFunction(() => /^1 of \d+$/.test(document.querySelector('#find-count')?.textContent ?? ''));
    const found = await reader.$$eval('mark[data-lens-find="current"]', (ms) => ms.map((m) => ({ page: m.closest('.page')?.getAttribute('data-page'), text: m.textContent })));
    assert.equal(normal(found.map((m) => m.text).join(' ')).toLowerCase(), 'varn lighthouse');
    assert.equal(found[0]?.page, '2');
    const width = () => reader.$eval('.page[data-page="1"]', (p) => p.getBoundingClientRect().width);
    await reader.selectOption('#zoom', '1');
    const at100 = await width();
    await reader.selectOption('#zoom', '2');
    assert.ok(Math.abs((await width()) - 2 * at100) < 2, 'zoom 200% doubles the page');
    // the marks come back on the pages drawn again at the new size
    await reader.waitForSelector('mark[data-lens-find="current"]');
    await reader.waitForSelector('mark[data-lens-answer]');
    await reader.fill('#page-number', '3');
    await reader.press('#page-number', 'Enter');
    await reader.waitForFunction(() => {
      const r = document.querySelector('.page[data-page="3"]')!.getBoundingClientRect();
      return r.top < innerHeight / 2 && r.bottom > innerHeight / 2;
    });
    await reader.click('#prev-page');
    await reader.waitForFunction(() => (document.querySelector<HTMLInputElement>('#page-number')?.value ?? '') === '2');
    await reader.selectOption('#zoom', 'fit');
    await reader.fill('#find', '');
  });

  test('a scanned PDF (images only) is said to have no text layer, in the reader and to a question', async () => {
    const { page, tabId } = await openReader('/docs/scanned.pdf');
    await page.waitForFunction((m) => document.querySelector('#status')?.textContent?.includes(m), SCANNED);
    const reply = await ask(tabId, 'What does it say?');
    assert.equal(reply.ok, false);
    assert.equal(!reply.ok && reply.error, SCANNED);
    await page.close();
  });

  test('a password-protected PDF asks for the password, says when it is wrong, and opens with the right one', async () => {
    const { page, tabId } = await openReader('/docs/locked.pdf');
    await page.waitForSelector('#password-form:not([hidden])');
    await page.fill('#password', 'lighthouse');
    await page.click('#password-form button[type="submit"]');
    await page.waitForSelector('#password-error:not([hidden])');
    assert.match((await page.textContent('#password-error')) ?? '', /wrong password/i);
    await page.fill('#password', 'harbour');
    await page.click('#password-form button[type="submit"]');
    await page.waitForSelector('[data-testid="read-done"]');
    const read = await readerRequest(tabId, { type: 'content/extract', scope: 'page' });
    assert.ok(read.text.includes(ENCRYPTED_SENTENCE));
    await page.close();
  });

  test('a damaged PDF and a file that is not a PDF are said so', async () => {
    for (const path of ['/docs/broken.pdf', '/docs/not-a.pdf']) {
      const { page, tabId } = await openReader(path);
      await page.waitForSelector('#status .notice-error');
      assert.match((await page.textContent('#status')) ?? '', /not a PDF Lens can read: it is damaged, or not a PDF at all/, path);
      const reply = await ask(tabId, 'What does it say?');
      assert.ok(!reply.ok && /not a PDF/.test(reply.error), `${path}: a question gets the same answer`);
      await page.close();
    }
  });

  test('a PDF that changed under the same address is read again on Reload', async () => {
    const path = '/docs/changing.pdf';
    session.server.files.set(path, { type: PDF, body: await longPdf(2) });
    const { page, tabId } = await openReader(path);
    await page.waitForSelector('[data-testid="read-done"]');
    const before = await readerRequest(tabId, { type: 'content/extract', scope: 'page' });
    assert.ok(before.text.includes(longPdfFact(1)));
    session.server.files.set(path, { type: PDF, body: await encryptedPdf('') });
    await page.click('#reload');
    await page.waitForSelector('[data-testid="read-done"]');
    const after = await readerRequest(tabId, { type: 'content/extract', scope: 'page' });
    assert.notEqual(after.snapshotId, before.snapshotId, 'another document, another snapshot');
    assert.ok(after.text.includes(ENCRYPTED_SENTENCE) && !after.text.includes(longPdfFact(1)), 'the new PDF is read');
    await page.close();
  });

  test('500 pages: reading shows progress, then every page is read and asked', async () => {
    session.server.files.set('/docs/long.pdf', { type: PDF, body: await longPdf(500) });
    const { page, tabId } = await openReader('/docs/long.pdf');
    await page.waitForFunction(() => /Reading page \d+ of 500/.test(document.querySelector('#status')?.textContent ?? '') || document.querySelector('[data-testid="read-done"]'));
    await page.waitForSelector('[data-testid="read-done"]', { timeout: 120_000 });
    assert.equal(await page.textContent('[data-testid="read-done"]'), 'Read 500 pages.');
    const read = await readerRequest(tabId, { type: 'content/extract', scope: 'page' });
    assert.equal(read.partial, undefined);
    for (const p of [0, 250, 499]) assert.ok(read.text.includes(longPdfFact(p)), `page ${p + 1}'s fact is read`);
    const reply = await ask(tabId, 'How many workers did the copper mine at Esk employ?');
    if (!reply.ok) assert.fail(reply.error);
    assert.ok(reply.value.answers.every((a) => a.page !== undefined && a.page >= 1 && a.page <= 500));
    await page.close();
  });

  test('1,000 pages: read up to the same limit as a long web page, and said so', async () => {
    session.server.files.set('/docs/huge.pdf', { type: PDF, body: await longPdf(1000) });
    const { page, tabId } = await openReader('/docs/huge.pdf');
    await page.waitForSelector('#status .notice-info', { timeout: 180_000 });
    assert.match((await page.textContent('#status')) ?? '', /Read the first 1\.0 million of about 1\.\d million characters \(pages 1–\d+ of 1000\)/);
    const read: ExtractReply = await readerRequest(tabId, { type: 'content/extract', scope: 'page' });
    assert.ok(read.partial && read.partial.read === MAX_READ_CHARS);
    const reply = await ask(tabId, 'How many workers did the tin mine employ?');
    if (!reply.ok) assert.fail(reply.error);
    assert.ok(reply.value.partial, 'the answer says only the start was read');
    await page.close();
  });

  test('the reader sent nothing anywhere but the PDF’s own address', async () => {
    const requests = session.lens.recordRequests();
    const { page } = await openReader('/docs/paper.pdf');
    await page.waitForSelector('[data-testid="read-done"]');
    await page.waitForSelector('.page[data-page="1"] canvas');
    const outside = requests.filter((r) => !r.url.startsWith(session.server.url) && !r.url.startsWith('chrome-extension://') && !r.url.startsWith('data:') && !r.url.startsWith('blob:'));
    assert.deepEqual(outside.map((r) => r.url), []);
    await page.close();
  });
});

describe('the Lens reader in Firefox ESR', { skip: firefoxUnavailable() }, () => {
  let fx: LensFirefox;
  let server: TestServer;
  let options: FirefoxPage;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    await servePdfs(server);
    fx = await launchFirefox({ extensionDir: await e2eBuild('firefox') });
    options = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    await options.locator('#hub-url').fill(server.hubUrl);
    await options.locator('#save-hub').click();
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
    const downloaded = (await options.evaluate(() => (globalThis as unknown as { browser: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).browser.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }))) as Reply<unknown>;
    assert.equal(downloaded.ok, true, JSON.stringify(downloaded));
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  test('the reader opens a two-column PDF, answers a question and marks the answer on its page', async () => {
    const page = await fx.openExtensionPage(`src/reader/reader.html?url=${encodeURIComponent(`${server.url}/docs/paper.pdf`)}`, '[data-testid="read-done"]');
    const tabId = await page.evaluate(async () => (await (globalThis as unknown as { browser: { tabs: { getCurrent(): Promise<{ id: number }> } } }).browser.tabs.getCurrent()).id);
    const reply = (await options.evaluate(
      (id: number) => (globalThis as unknown as { browser: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).browser.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: id, question: 'When was the Varn lighthouse completed?', scope: 'page' }),
      tabId,
    )) as Reply<AskReply>;
    if (!reply.ok) assert.fail(reply.error);
    const best = reply.value.answers[0];
    assert.ok(best?.page !== undefined, 'the answer says its page');
    if (reply.value.abstained) {
      await options.evaluate(
        (id: number, snap: string, s: number, e: number) => (globalThis as unknown as { browser: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).browser.runtime.sendMessage({ type: 'qa/highlight', tabId: id, snapshotId: snap, start: s, end: e }),
        tabId, reply.value.snapshotId, best.start, best.end,
      );
    }
    await page.waitForSelector('mark[data-lens-answer]');
    const marks = await page.$$eval('mark[data-lens-answer]', (ms) => ms.map((m) => ({ page: Number(m.closest('.page')?.getAttribute('data-page')), text: m.textContent ?? '' })));
    assert.ok(marks.every((m) => m.page === best.page), `marked on page ${best.page}: ${JSON.stringify(marks)}`);
    assert.equal(marks.map((m) => m.text).join('').replace(/\s/g, ''), best.text.replace(/\s/g, ''));
  });
});
