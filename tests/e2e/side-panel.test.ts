// The side panel. Chromium: the real side panel, opened by the popup's "Open side panel" button (a click: the user
// gesture chrome.sidePanel.open needs) and driven over CDP (./harness/side-panel.ts: Playwright does not attach to
// it). It follows the active tab of its window: asked on one tab, another tab shows its own (empty) history, back
// on the first the question is listed; a click on it marks its answer in the page again, or says the page has
// changed; a #hash change keeps the history, another URL clears it. axe-clean with a history, light and dark, and
// a screenshot. Firefox: the sidebar opens from the popup's button and answers a question about a tab. Both
// builds' manifests carry their browser's panel. Models are tiny random-weight models from the fake hub: answers
// are arbitrary spans, what is checked is the path.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Page as FirefoxPage } from 'puppeteer-core';
import { e2eBuild } from './harness/build.js';
import { chromiumUnavailable, launchChromium, screenshotDir, type LensChromium } from './harness/chromium.js';
import { firefoxUnavailable, launchFirefox, type LensFirefox } from './harness/firefox.js';
import { prepareHub } from './harness/models.js';
import { SidePanel } from './harness/side-panel.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { setHub } from './harness/store.js';

const PANEL_PATH = 'src/popup/popup.html?panel=1';
const BLOCKING = new Set(['serious', 'critical']);

interface Manifest {
  permissions?: string[];
  side_panel?: { default_path?: string };
  sidebar_action?: { default_panel?: string; default_title?: string; default_icon?: Record<string, string> };
  commands?: Record<string, { suggested_key?: { default?: string } }>;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

/** What the panel shows: its tab, the page line, the history's questions. */
interface PanelState {
  tabId: string;
  title: string;
  history: string[];
  historyHidden: boolean;
}

function panelState(): PanelState {
  const section = document.querySelector<HTMLElement>('#ask-history');
  return {
    tabId: document.documentElement.dataset.tabId ?? '',
    title: document.querySelector('#page-title')?.textContent ?? '',
    history: [...document.querySelectorAll('[data-testid="history-entry"] .history-question')].map((e) => (e.textContent ?? '').replace(/^Question: /, '')),
    historyHidden: section?.hidden ?? true,
  };
}

/** The marks of the answer in a page. */
const marksIn = (page: Page) => page.evaluate(() => [...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent ?? '').join(''));

describe('the side panel in Chromium', { skip: chromiumUnavailable(), timeout: 600_000 }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let buildDir: string;
  let article: Page;
  let other: Page;
  let articleId: number;
  let otherId: number;
  let panel: SidePanel;
  const question = 'Who planted the glass orchards?';

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    buildDir = await e2eBuild('chrome');
    lens = await launchChromium({ extensionDir: buildDir });
    await lens.serviceWorker();
    await (await setHub(lens, server.hubUrl)).close();
    article = await lens.openPage(server.fixtureUrl('plain.html'));
    articleId = await lens.tabIdOf(article);
    other = await lens.openPage(server.fixtureUrl('layout.html'));
    otherId = await lens.tabIdOf(other);
    // the QA model, installed once through the popup's consent
    const popup = await lens.openExtensionPage(`src/popup/popup.html?tab=${articleId}`);
    await popup.click('#panel-ask [data-testid="download"]');
    await popup.waitForSelector('#question', { state: 'visible', timeout: 120_000 });
    await popup.close();
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  const state = () => panel.evaluate(panelState);
  const onTab = (tabId: number, what: string) =>
    panel.waitForExpression(`document.documentElement.dataset.tabId === '${tabId}'`, what).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; the panel shows ${JSON.stringify(await state())}; tabs: article ${articleId}, other ${otherId}`);
    });
  const historyCount = (n: number, what: string) => panel.waitForExpression(`document.querySelectorAll('[data-testid="history-entry"]').length === ${n}`, what);

  test('the Chrome manifest has the side panel, its permission and its shortcut; no Firefox sidebar', () => {
    const m = manifestOf(buildDir);
    assert.equal(m.side_panel?.default_path, PANEL_PATH);
    assert.ok(m.permissions?.includes('sidePanel'));
    assert.equal(m.commands?.['open-side-panel']?.suggested_key?.default, 'Alt+Shift+K');
    assert.equal(m.sidebar_action, undefined);
  });

  test('"Open side panel" in the popup opens the panel, which follows the active tab of its window', async () => {
    // no user gesture in the service worker: Chrome refuses (why the popup's button and the shortcut open it)
    const sw = await lens.serviceWorker();
    const refused = await sw.evaluate(async (tabId) => {
      const { chrome } = globalThis as unknown as { chrome: { sidePanel: { open(o: object): Promise<void> }; tabs: { get(id: number): Promise<{ windowId: number }> } } };
      try {
        await chrome.sidePanel.open({ windowId: (await chrome.tabs.get(tabId)).windowId });
        return '';
      } catch (err) {
        return String(err);
      }
    }, articleId);
    assert.match(refused, /user gesture/);
    assert.equal(await SidePanel.isOpen(lens, lens.extensionOrigin + PANEL_PATH), false);

    const opener = await lens.openExtensionPage(`src/popup/popup.html?tab=${articleId}`);
    await opener.waitForSelector('#open-panel', { state: 'visible' });
    await opener.click('#open-panel');
    await opener.waitForFunction(() => document.querySelector<HTMLElement>('#open-panel')?.dataset.opened === 'true' || Boolean(document.querySelector<HTMLElement>('#open-panel')?.dataset.error));
    assert.equal(await opener.getAttribute('#open-panel', 'data-error'), null, 'chrome.sidePanel.open succeeded');
    panel = await SidePanel.find(lens, lens.extensionOrigin + PANEL_PATH);
    await panel.waitFor(() => document.documentElement.dataset.surface === 'panel', undefined, 'the panel surface');
    // started: its tab known (the popup page, in front now)
    await panel.waitFor(() => document.documentElement.dataset.tabId !== undefined, undefined, 'a tab');
    assert.equal(await panel.evaluate(() => document.querySelector<HTMLElement>('#open-panel')?.hidden), true, 'no "Open side panel" in the panel itself');

    // the popup page is the active tab now (an extension page: nothing to read); the article tab brought forward is followed
    await article.bringToFront();
    await onTab(articleId, 'the article tab');
    assert.equal((await state()).title, 'The Glass Orchards of Vellmark');
    await panel.waitFor(() => document.querySelector<HTMLElement>('#scope')?.hidden === false && document.querySelector<HTMLElement>('[data-testid="restricted"]') === null, undefined, 'the article readable (from the popup page, which is not)');
    await other.bringToFront();
    await onTab(otherId, 'the other tab');
    assert.match((await state()).title, /Lighthouse Keepers of Orrin Point/);
    await article.bringToFront();
    await onTab(articleId, 'the article tab again');
    await opener.close();
  });

  test('asked in the panel: answered and marked; another tab has its own (empty) history; back, the question is listed', async () => {
    await panel.fill('#question', question);
    await panel.press('Enter');
    await panel.waitFor(() => document.querySelector('[data-testid="answer"], [data-testid="no-answer"]') !== null, undefined, 'an answer', 120_000);
    // a random-weight model may abstain: its possible answers are still marked by a click
    if (await panel.evaluate(() => document.querySelector('[data-testid="no-answer"]') !== null)) await panel.click('[data-testid="answer"][data-index="0"]');
    await article.waitForSelector('mark[data-lens-answer]');
    await historyCount(1, 'one history entry');
    assert.deepEqual((await state()).history, [question]);
    assert.equal(await panel.evaluate(() => document.querySelector('[data-testid="history-entry"]')?.tagName), 'BUTTON');

    await other.bringToFront();
    await onTab(otherId, 'the other tab');
    const there = await state();
    assert.deepEqual(there.history, [], 'the other tab has no history');
    assert.equal(there.historyHidden, true);
    assert.equal(await panel.evaluate(() => document.querySelector('#ask-result')?.childElementCount), 0, "the article's answer is not shown for the other tab");

    await article.bringToFront();
    await onTab(articleId, 'the article tab');
    await historyCount(1, "the article's history");
    assert.deepEqual((await state()).history, [question]);

    // the toolbar popup shows the tab's history too
    const popup = await lens.openExtensionPage(`src/popup/popup.html?tab=${articleId}`);
    await popup.waitForSelector('[data-testid="history-entry"]');
    assert.match((await popup.textContent('[data-testid="history-entry"]')) ?? '', new RegExp(question.replace('?', '\\?')));
    await popup.close();
  });

  test('a click on a history entry marks its answer in the page again; the panel is axe-clean with a history', async () => {
    await article.bringToFront();
    await onTab(articleId, 'the article tab');
    await historyCount(1, "the article's history");
    const best = await panel.evaluate(() => document.querySelector('[data-testid="history-entry"] .history-answer-text')?.textContent?.replace(/^“|”$/g, '') ?? '');
    assert.ok(best.length > 0, 'the entry shows its best answer');
    // the page's marks cleared (as the next question clears them)
    await panel.evaluate((id) => (globalThis as unknown as { chrome: { tabs: { sendMessage(t: number, m: object, o: object): Promise<unknown> } } }).chrome.tabs.sendMessage(id, { type: 'content/clear' }, { frameId: 0 }), articleId);
    assert.equal(await marksIn(article), '');

    await panel.click('[data-testid="history-entry"]');
    await panel.waitFor(() => document.querySelector<HTMLElement>('[data-testid="history-note"]')?.dataset.state, undefined, 'the note');
    assert.equal(await panel.evaluate(() => document.querySelector<HTMLElement>('[data-testid="history-note"]')?.dataset.state), 'marked', await panel.evaluate(() => document.querySelector('[data-testid="history-note"]')?.textContent));
    await article.waitForSelector('mark[data-lens-answer]');
    const marked = await marksIn(article);
    assert.ok(marked.length > 0 && best.includes(marked), `the mark "${marked}" is the entry's answer "${best}"`);

    // a second question (about the same reading): its answers above, two entries below, newest first
    await panel.fill('#question', 'When were they planted?');
    await panel.press('Enter');
    await historyCount(2, 'two history entries');
    await panel.waitFor(() => document.querySelector('[data-testid="answer"], [data-testid="no-answer"]') !== null, undefined, 'an answer', 60_000);
    assert.deepEqual((await state()).history, ['When were they planted?', question]);

    for (const scheme of ['light', 'dark'] as const) {
      await panel.colorScheme(scheme);
      const blocking = (await panel.axe()).filter((v) => BLOCKING.has(v.impact ?? '')).map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
      assert.deepEqual(blocking, [], `side panel with a history, ${scheme}: no serious or critical violations`);
      writeFileSync(join(screenshotDir(), scheme === 'light' ? 'side-panel-history.png' : 'side-panel-history-dark.png'), await panel.screenshot());
    }
    await panel.colorScheme('light');
  });

  test('the page changed since: the entry says its answer cannot be marked', async () => {
    // the text the answer was read from is replaced (the marks go with it)
    await article.evaluate(() => document.querySelectorAll('p').forEach((p) => (p.textContent = `${p.textContent ?? ''} Rewritten.`)));
    await panel.evaluate(() => {
      const note = document.querySelector<HTMLElement>('[data-testid="history-note"]');
      if (note) delete note.dataset.state;
    });
    await panel.click('[data-testid="history-entry"]');
    await panel.waitFor(() => document.querySelector<HTMLElement>('[data-testid="history-note"]')?.dataset.state, undefined, 'the note');
    const note = await panel.evaluate(() => ({ state: document.querySelector<HTMLElement>('[data-testid="history-note"]')?.dataset.state, text: document.querySelector('[data-testid="history-note"]')?.textContent ?? '' }));
    assert.equal(note.state, 'failed', note.text);
    assert.match(note.text, /page has changed since this question was asked/);
    assert.equal(await marksIn(article), '');
  });

  test('a #hash change and a restarted service worker keep the history; going to another URL clears it, in the panel and in storage.session', async () => {
    const stored = async () => {
      const sw = await lens.serviceWorker();
      return sw.evaluate(async (key) => Object.keys(await (globalThis as unknown as { chrome: { storage: { session: { get(k: string): Promise<Record<string, unknown>> } } } }).chrome.storage.session.get(key)).length, `history:${articleId}`);
    };
    assert.equal(await stored(), 1);
    await article.evaluate(() => (location.hash = 'further-reading'));
    await article.waitForFunction(() => location.hash === '#further-reading');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual((await state()).history, ['When were they planted?', question], 'kept across the hash change');
    assert.equal(await stored(), 1);

    // kept in storage.session: a service worker stopped and started again still has it. (Stopped through the
    // panel's own DevTools session: the harness's killServiceWorker borrows a tab, which the panel would follow,
    // and its requests would start the worker again.)
    await panel.send('ServiceWorker.enable');
    await panel.send('ServiceWorker.stopAllWorkers');
    for (let i = 0; await lens.isServiceWorkerRunning(); i++) {
      assert.ok(i < 100, 'the service worker stops');
      await new Promise((r) => setTimeout(r, 100));
    }
    const listed = await panel.evaluate(
      (tabId) => (globalThis as unknown as { chrome: { runtime: { sendMessage(m: object): Promise<{ ok: boolean; value: { entries: Array<{ question: string }> } }> } } }).chrome.runtime.sendMessage({ type: 'history/list', tabId }),
      articleId,
    );
    assert.deepEqual(listed.value.entries.map((e) => e.question), ['When were they planted?', question], 'the history outlives the worker');

    await article.goto(server.fixtureUrl('nomain.html'));
    await panel.waitForExpression(`document.querySelector('#page-title')?.textContent?.includes('Salt Roads of Kestrel Bay')`, 'the new page');
    await historyCount(0, 'no history');
    assert.equal((await state()).historyHidden, true);
    assert.equal(await stored(), 0, 'the history is gone from storage.session');
    assert.equal((await state()).tabId, String(articleId), 'still the same tab');
  });

  test('a tab showing a PDF: the panel and the popup offer the Lens reader instead of a dead end', async () => {
    // a .pdf address is a PDF for tab/info (src/background/pdf-tab.ts) whatever the server answers: nothing is opened here
    const pdf = await lens.openPage(server.fixtureUrl('report.pdf'));
    const pdfId = await lens.tabIdOf(pdf);
    await pdf.bringToFront();
    await onTab(pdfId, 'the PDF tab');
    await panel.waitForExpression(`document.querySelector('[data-testid="pdf-offer"]')?.textContent?.includes('This tab shows a PDF.')`, 'the PDF offer');
    assert.equal(await panel.evaluate(() => document.querySelector('[data-testid="open-reader"]')?.textContent), 'Open in Lens reader');
    assert.equal(await panel.evaluate(() => document.querySelector<HTMLInputElement>('#question')?.disabled), true, 'no question about the viewer itself');
    const popup = await lens.openExtensionPage(`src/popup/popup.html?tab=${pdfId}`);
    await popup.waitForSelector('[data-testid="open-reader"]');
    assert.equal(await popup.getAttribute('[data-testid="pdf-offer"]', 'data-openable'), 'true');
    await popup.close();
    await pdf.close();
  });
});

describe('the sidebar in Firefox', { skip: firefoxUnavailable(), timeout: 600_000 }, () => {
  let fx: LensFirefox;
  let server: TestServer;
  let buildDir: string;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    buildDir = await e2eBuild('firefox');
    fx = await launchFirefox({ extensionDir: buildDir });
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  test('the Firefox manifest has the sidebar and its shortcut, and no sidePanel permission', () => {
    const m = manifestOf(buildDir);
    assert.equal(m.sidebar_action?.default_panel, PANEL_PATH);
    assert.ok(m.sidebar_action?.default_title);
    assert.ok(m.sidebar_action?.default_icon?.['16']);
    assert.equal(m.side_panel, undefined);
    assert.ok(!m.permissions?.includes('sidePanel'));
    assert.ok(m.commands?._execute_sidebar_action?.suggested_key?.default);
    assert.equal(m.commands?.['open-side-panel'], undefined);
  });

  test('the sidebar opens from the popup and answers a question about the tab', async () => {
    const options = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    await options.locator('#hub-url').fill(server.hubUrl);
    await options.locator('#save-hub').click();
    await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
    const article = await fx.openPage(server.fixtureUrl('plain.html'));
    await article.waitForSelector('p');
    const tabId = await options.evaluate(async (u: string) => {
      const tabs = await (globalThis as unknown as { browser: { tabs: { query(q: object): Promise<Array<{ id: number; url: string }>> } } }).browser.tabs.query({});
      return tabs.find((t) => t.url === u)?.id ?? -1;
    }, server.fixtureUrl('plain.html'));
    assert.ok(tabId >= 0);

    // the popup as a page for the article: its button opens the sidebar (a click: sidebarAction.open needs user input)
    const popup: FirefoxPage = await fx.openExtensionPage(`src/popup/popup.html?tab=${tabId}`, '#open-panel:not([hidden])');
    await popup.locator('#open-panel').click();
    await popup.waitForFunction(() => document.querySelector<HTMLElement>('#open-panel')?.dataset.opened === 'true' || Boolean(document.querySelector<HTMLElement>('#open-panel')?.dataset.error), { timeout: 15_000 });
    assert.equal(await popup.$eval('#open-panel', (e) => e.getAttribute('data-error')), null, 'sidebarAction.open succeeded');
    // the sidebar is an extension view of this window: reached from the popup page (same origin)
    const SIDEBAR = "browser.extension.getViews({ type: 'sidebar' })[0]";
    const inSidebar = (expr: string, timeout = 15_000) => popup.waitForFunction(`(() => { const sb = ${SIDEBAR}; return Boolean(sb && (${expr})); })()`, { timeout });
    await inSidebar(`sb.document.documentElement.dataset.surface === 'panel'`);

    // the sidebar follows the window's active tab: the article, once it is in front again
    await article.bringToFront();
    await inSidebar(`sb.document.documentElement.dataset.tabId === '${tabId}'`);
    // the one-time model consent, then a question, typed into the sidebar's form
    await inSidebar(`sb.document.querySelector('#panel-ask [data-testid="download"]')`, 30_000);
    await popup.evaluate(`${SIDEBAR}.document.querySelector('#panel-ask [data-testid="download"]').click()`);
    await inSidebar(`!sb.document.querySelector('#ask-form').hidden && !sb.document.querySelector('#question').disabled`, 240_000);
    await popup.evaluate(`(() => { const d = ${SIDEBAR}.document; d.querySelector('#question').value = 'Who planted the glass orchards?'; d.querySelector('#ask-form').requestSubmit(); })()`);
    await inSidebar(`sb.document.querySelector('[data-testid="answer"], [data-testid="no-answer"]')`, 120_000);
    await inSidebar(`sb.document.querySelectorAll('[data-testid="history-entry"]').length === 1`);
    const answers = Number(await popup.evaluate(`${SIDEBAR}.document.querySelectorAll('[data-testid="answer"]').length`));
    assert.ok(answers >= 1, 'answers listed in the sidebar');
    // marked in the page (a random-weight model may abstain: then its first possible answer, by a click)
    await popup.evaluate(`(() => { const d = ${SIDEBAR}.document; if (d.querySelector('[data-testid="no-answer"]')) d.querySelector('[data-testid="answer"][data-index="0"]').click(); })()`);
    await article.waitForSelector('mark[data-lens-answer]', { timeout: 15_000 });
  });
});
