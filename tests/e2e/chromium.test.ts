// The extension as a user meets it, in Debian's Chromium with the built dist/chrome loaded: first-run consent
// and download from a fake hub, asking a SQuAD article page, highlights, selections, the context menu's
// actions, zero-shot classification, a killed service worker, offline use, a restricted page. Models are
// tiny random-weight MobileBERTs (answers are arbitrary spans; what is checked is that the whole path holds).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { registryEntry } from '../../src/shared/registry.js';
import { ROOT } from '../helpers/cli.js';
import { NO_SHARED_DATA, SQUAD_DIR } from '../helpers/shared-data.js';
import { launchChromium, screenshotDir, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { DECOY_TEXT, FOOTER_TEXT, startTestServer, type TestServer } from './harness/server.js';

const BUILD = join(ROOT, 'dist', 'chrome', 'manifest.json');
const skip = !existsSync(BUILD) ? 'skipped: no dist/chrome (run npm run build)' : !existsSync('/usr/bin/chromium') ? 'skipped: /usr/bin/chromium not installed (apt-get install chromium)' : NO_SHARED_DATA;

interface Question { question: string; article: number; answers: string[] }

function questionsOf(article: number): Question[] {
  return readFileSync(join(SQUAD_DIR, 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Question)
    .filter((q) => q.article === article);
}

/** What the page has highlighted: the marks' text, joined, and whether all of them lie inside <main>. */
function highlightIn(page: Page): Promise<{ text: string; marks: number; inMain: boolean }> {
  return page.evaluate(() => {
    const marks = [...document.querySelectorAll('mark[data-lens-answer]')];
    return { text: marks.map((m) => m.textContent ?? '').join(''), marks: marks.length, inMain: marks.every((m) => m.closest('main') !== null) };
  });
}

describe('the extension in Chromium', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let article: Page;
  let tabId: number;
  const shots = () => screenshotDir();
  const requests: string[] = [];

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    lens.context.on('request', (r) => requests.push(r.url()));
    // the worker's own fetches (model downloads) are reported through the same context in Chromium
    await lens.serviceWorker();
    // the hub setting, through the options page as a user would
    const options = await lens.openExtensionPage('src/options/options.html');
    await options.fill('#hub-url', server.hubUrl);
    await options.click('#save-hub');
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
    await options.close();
    article = await lens.openPage(server.articleUrl(0));
    tabId = await lens.tabIdOf(article);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  async function popup(query = ''): Promise<Page> {
    const page = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}${query}`);
    // the toolbar popup's size, so screenshots show what users see
    await page.setViewportSize({ width: 400, height: 600 });
    return page;
  }

  /** A screenshot in the light and the dark colour scheme. */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots(), `${name}.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(shots(), `${name}-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  }

  test('first run: the popup asks before downloading, shows progress, can cancel, then installs', async () => {
    const p = await popup();
    await p.waitForSelector('[data-testid="consent"]');
    const consent = await p.textContent('[data-testid="consent"]');
    assert.match(consent ?? '', /MobileBERT SQuAD 2\.0/);
    assert.match(consent ?? '', /csarron\/mobilebert-uncased-squad-v2/);
    assert.equal(server.requests.filter((r) => r.server === 'hub').length, 0, 'nothing is downloaded before consent');

    // slow hub: the progress bar is seen moving, and the download can be cancelled
    server.hubBytesPerSecond = 400_000;
    await p.click('[data-testid="download"]');
    await p.waitForSelector('[data-testid="downloading"]');
    await p.waitForFunction(() => {
      const bar = document.querySelector('[data-testid="downloading"] progress, [data-testid="downloading"] [role="progressbar"]');
      const v = bar && Number(bar.getAttribute('value') ?? bar.getAttribute('aria-valuenow'));
      return typeof v === 'number' && v > 0;
    });
    await shoot(p, 'popup-download');
    await p.click('[data-testid="cancel-download"]');
    await p.waitForSelector('[data-testid="consent"]');
    const list = await p.evaluate(() => chrome.runtime.sendMessage({ type: 'models/list' }));
    assert.equal(list.value.models.find((m: { id: string }) => m.id === 'mobilebert-squad2').state.kind, 'absent', 'a cancelled download leaves nothing installed');

    server.hubBytesPerSecond = 0;
    await p.click('[data-testid="download"]');
    await p.waitForSelector('#question', { state: 'visible', timeout: 60_000 });
    const hubFiles = server.requests.filter((r) => r.server === 'hub').map((r) => r.url);
    assert.ok(hubFiles.some((u) => u.endsWith(`/csarron/mobilebert-uncased-squad-v2/resolve/${registryEntry('mobilebert-squad2').revision}/model.onnx`)), 'the model came from the HF URL layout');
    await p.close();
  });

  test('ask the page: answers listed, the best one highlighted in the main content; another answer moves the highlight', async () => {
    const q = questionsOf(0)[0];
    const p = await popup();
    await p.fill('#question', q.question);
    await p.click('#ask');
    await p.waitForSelector('[data-testid="answer"], [data-testid="no-answer"]', { timeout: 60_000 });
    const answers = await p.$$eval('[data-testid="answer"]', (els) => els.map((e) => e.querySelector('.answer-text')?.textContent ?? e.textContent ?? ''));
    assert.ok(answers.length >= 2, `at least two answers (got ${answers.length})`);
    // the article's <h1> is its headline: the popup says it was read with the article
    assert.equal(await p.textContent('[data-testid="reading"]'), 'Read: the article, with its headline', 'the popup says what was read');
    // a long article: the read budget covers part of it, said as passages and a share of the page
    assert.match((await p.textContent('[data-testid="ask-meta"]')) ?? '', /^Read \d+ passages, (\d{1,2}|<1)% of the page · /);
    // a random-weight model may abstain; the possible answers are still offered and can be marked by a click
    if (await p.$('[data-testid="no-answer"]')) await p.click('[data-testid="answer"][data-index="0"]');
    await article.waitForSelector('mark[data-lens-answer]');
    const hl = await highlightIn(article);
    assert.ok(answers[0].includes(hl.text) && hl.text.length > 0, `highlight "${hl.text}" is the first answer "${answers[0]}"`);
    assert.ok(hl.inMain, 'the highlight lies in the main content');
    const pageText = await article.evaluate(() => document.querySelector('main')?.textContent ?? '');
    for (const a of answers) assert.ok(!DECOY_TEXT.includes(a.replace(/^"|"$/g, '')) || pageText.includes(a), 'no answer from hidden text');
    await shoot(p, 'popup-answers');

    await p.click('[data-testid="answer"][data-index="1"]');
    await article.waitForFunction((want) => [...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent).join('') !== '' && want.includes([...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent).join('')), answers[1]);
    const hl2 = await highlightIn(article);
    assert.ok(answers[1].includes(hl2.text) && hl2.inMain, `second highlight "${hl2.text}" is answer 2 "${answers[1]}"`);
    assert.equal(await p.getAttribute('[data-testid="answer"][data-index="1"]', 'aria-pressed'), 'true');
    await article.bringToFront();
    await article.screenshot({ path: join(shots(), 'page-highlight.png') });
    assert.ok(!(await article.textContent('main'))?.includes(FOOTER_TEXT));
    await p.close();
  });

  test('highlight to answer: with text selected, the answer comes from the selection and is marked inside it', async () => {
    const selected = await article.evaluate(() => {
      const para = document.querySelectorAll('main p')[2];
      const range = document.createRange();
      range.selectNodeContents(para);
      const sel = getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      return sel?.toString() ?? '';
    });
    const p = await popup();
    await p.waitForSelector('#question', { state: 'visible' });
    await p.waitForFunction(() => /selection/i.test(document.querySelector('#scope')?.textContent ?? ''));
    await p.fill('#question', 'what is this about?');
    await p.click('#ask');
    await p.waitForSelector('[data-testid="answer"]', { timeout: 60_000 });
    if (await p.$('[data-testid="no-answer"]')) await p.click('[data-testid="answer"][data-index="0"]');
    await article.waitForSelector('mark[data-lens-answer]');
    const best = await p.$eval('[data-testid="answer"][data-index="0"]', (e) => e.querySelector('.answer-text')?.textContent ?? e.textContent ?? '');
    const inside = await article.evaluate(() => {
      const para = document.querySelectorAll('main p')[2];
      const marks = [...document.querySelectorAll('mark[data-lens-answer]')];
      return { text: marks.map((m) => m.textContent).join(''), inPara: marks.length > 0 && marks.every((m) => para.contains(m)) };
    });
    assert.ok(inside.inPara, 'the highlight is inside the selected paragraph');
    assert.ok(selected.includes(inside.text) && best.includes(inside.text), `"${inside.text}" is the answer and part of the selection`);
    await p.close();
    await article.evaluate(() => getSelection()?.removeAllRanges());
  });

  test('classify: zero-shot with custom labels (consent, download, labels remembered)', async () => {
    const p = await popup('&view=classify');
    // Sentiment is the default mode (tests/e2e/classify-modes.test.ts covers it); this test is about zero-shot
    await p.check('#mode-zero-shot');
    await p.waitForSelector('[data-testid="consent"]');
    assert.match((await p.textContent('[data-testid="consent"]')) ?? '', /MobileBERT MNLI/);
    await p.click('[data-testid="download"]');
    await p.waitForSelector('#classify-text', { state: 'visible', timeout: 60_000 });
    // replace the candidate labels with our own
    while (await p.$('[data-testid="label-chip"] button')) await p.click('[data-testid="label-chip"] button');
    for (const label of ['sports', 'politics', 'science']) {
      await p.fill('#label-input', label);
      await p.press('#label-input', 'Enter');
    }
    await p.fill('#classify-text', 'The Broncos beat the Panthers 24-10 to win the Super Bowl.');
    await p.click('#classify');
    await p.waitForSelector('[data-testid="score-row"]', { timeout: 60_000 });
    const rows = await p.$$eval('[data-testid="score-row"]', (els) => els.map((e) => ({ label: e.getAttribute('data-label'), score: Number(e.getAttribute('data-score')) })));
    assert.deepEqual(rows.map((r) => r.label).sort(), ['politics', 'science', 'sports']);
    assert.ok(Math.abs(rows.reduce((s, r) => s + r.score, 0) - 1) < 1e-4, 'single-label scores sum to 1');
    await shoot(p, 'popup-classify');
    await p.close();
    const again = await popup('&view=classify');
    await again.waitForSelector('[data-testid="label-chip"]');
    assert.equal(await again.isChecked('#mode-zero-shot'), true, 'the mode is remembered');
    const kept = await again.$$eval('[data-testid="label-chip"]', (els) => els.map((e) => e.getAttribute('data-label')));
    assert.deepEqual(kept, ['sports', 'politics', 'science'], 'the labels are remembered');
    await again.close();
  });

  test('context menu: "Classify this selection" shows an in-page card; "Ask about this selection…" opens the question UI', async () => {
    const sw = await lens.serviceWorker();
    const text = await article.evaluate(() => document.querySelectorAll('main p')[1].textContent?.slice(0, 200) ?? '');
    await sw.evaluate(([id, selectionText]) => (globalThis as unknown as { lens: { handleMenuClick(i: unknown, t: unknown): Promise<void> } }).lens.handleMenuClick({ menuItemId: 'lens-classify-selection', selectionText }, { id }), [tabId, text] as const);
    const card = await article.waitForFunction(() => {
      const host = document.getElementById('lens-card-host');
      return host?.dataset.state === 'result' ? host.shadowRoot?.textContent ?? '' : false;
    });
    const cardText = String(await card.jsonValue());
    await article.screenshot({ path: join(shots(), 'page-classify-card.png') });
    for (const label of ['sports', 'politics', 'science']) assert.ok(cardText.includes(label), `card shows ${label}`);

    // "Ask…" opens the toolbar popup where the browser allows it, else a small window: either way an
    // extension context showing popup.html for this tab comes up
    await sw.evaluate((id) => (globalThis as unknown as { lens: { handleMenuClick(i: unknown, t: unknown): Promise<void> } }).lens.handleMenuClick({ menuItemId: 'lens-ask-selection', selectionText: 'x' }, { id }), tabId);
    const contexts = await sw.evaluate(() =>
      (globalThis as unknown as { chrome: { runtime: { getContexts(f: object): Promise<Array<{ contextType: string; documentUrl?: string }>> } } }).chrome.runtime.getContexts({}),
    );
    const ui = contexts.filter((c) => c.documentUrl?.includes('src/popup/popup.html'));
    assert.ok(ui.length > 0, `the question UI is open (contexts: ${JSON.stringify(contexts)})`);
  });

  test('after the service worker is killed, the next question is answered from the cached model, with no download', async () => {
    await lens.killServiceWorker();
    server.clearRequests();
    const p = await popup();
    await p.fill('#question', questionsOf(0)[1].question);
    await p.click('#ask');
    await p.waitForSelector('[data-testid="answer"], [data-testid="no-answer"]', { timeout: 60_000 });
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), [], 'no request to the hub');
    await p.close();
  });

  test('offline: with the hub gone, questions and classification still work', async () => {
    await server.stopHub();
    await lens.killServiceWorker();
    const p = await popup();
    await p.fill('#question', questionsOf(0)[2].question);
    await p.click('#ask');
    await p.waitForSelector('[data-testid="answer"], [data-testid="no-answer"]', { timeout: 60_000 });
    await p.close();
    const c = await popup('&view=classify');
    await c.fill('#classify-text', 'Offline, the labels still come back.');
    await c.click('#classify');
    await c.waitForSelector('[data-testid="score-row"]', { timeout: 60_000 });
    await c.close();
    assert.equal(server.hubOnline, false);
    await server.startHub();
  });

  test('a page extensions cannot read gets a clear message', async () => {
    const internal = await lens.context.newPage();
    await internal.goto('chrome://version').catch(() => undefined);
    await internal.bringToFront();
    // the tab's chrome:// URL is hidden from the extension (no "tabs" permission): find it as the active tab
    const sw = await lens.serviceWorker();
    const id = await sw.evaluate(async () => {
      const tabs = await (globalThis as unknown as { chrome: { tabs: { query(q: object): Promise<Array<{ id: number }>> } } }).chrome.tabs.query({ active: true, lastFocusedWindow: true });
      return tabs[0]?.id ?? -1;
    });
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${id}`);
    await p.waitForSelector('[data-testid="restricted"]');
    assert.match((await p.textContent('[data-testid="restricted"]')) ?? '', /can't read this page/);
    await p.close();
    await internal.close();
  });

  test('every request went to the local test server only', () => {
    const foreign = requests.filter((u) => !/^(chrome-extension|chrome|data|blob|about):/.test(u) && !u.startsWith('http://127.0.0.1:'));
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((u) => u.startsWith(server.url)), 'requests were recorded');
  });
});
