// Accessibility of the popup and the options page in Chromium: an axe-core audit (no serious or critical
// violations) in the light and the dark colour scheme, in the popup's main states (consent, failed download,
// downloading, ready, answers, classify result); the whole Ask flow from the keyboard (Tab order, Enter to ask,
// arrow keys through the answers) with the answer announced in a live region; and, without network, the consent
// explains how to import a model folder instead. Models are tiny random-weight models from the fake hub: what
// is checked is the UI around the answers, not what they say.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { e2eBuild } from './harness/build.js';
import { applyColorScheme, chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { setHub } from './harness/store.js';

const BLOCKING = new Set(['serious', 'critical']);

/** The serious and critical axe violations of the page as it is now, in both colour schemes. */
async function audit(p: Page, state: string): Promise<void> {
  const backgrounds = new Set<string>();
  for (const scheme of ['light', 'dark'] as const) {
    await applyColorScheme(p, scheme);
    // the scheme really applies (the audit of "dark" checks dark colours)
    assert.equal(await p.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), scheme === 'dark');
    backgrounds.add(await p.evaluate(() => getComputedStyle(document.body).backgroundColor));
    const { violations } = await new AxeBuilder({ page: p }).analyze();
    const blocking = violations
      .filter((v) => BLOCKING.has(v.impact ?? ''))
      .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('; ')}`);
    assert.deepEqual(blocking, [], `${state}, ${scheme}: no serious or critical violations`);
  }
  assert.equal(backgrounds.size, 2, `${state}: light and dark look different`);
  await p.emulateMedia({ colorScheme: 'light' });
}

const focusedId = (p: Page) => p.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('data-testid') || document.activeElement?.tagName || '');
const focusedAnswer = (p: Page) => p.evaluate(() => (document.activeElement?.matches('[data-testid="answer"]') ? Number(document.activeElement.getAttribute('data-index')) : -1));

describe('accessibility: axe audit, keyboard, live regions', { skip: chromiumUnavailable(), timeout: 600_000 }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let tabId: number;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    await lens.serviceWorker();
    // closed again: an open options page would be focused instead of opened by the consent's Settings button
    await (await setHub(lens, server.hubUrl)).close();
    const page = await lens.openPage(server.fixtureUrl('plain.html'));
    tabId = await lens.tabIdOf(page);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  async function popup(view: 'ask' | 'classify' = 'ask'): Promise<Page> {
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}&view=${view}`);
    await p.setViewportSize({ width: 400, height: 600 });
    return p;
  }

  test('options page: no serious or critical violations, light and dark', async () => {
    const options = await lens.openExtensionPage('src/options/options.html');
    await options.setViewportSize({ width: 900, height: 900 });
    await options.waitForSelector('[data-testid="qa-choice"]');
    await audit(options, 'options');
    await options.close();
  });

  test('consent, failed download (offline: how to import a folder instead), download: no violations', async () => {
    const p = await popup();
    await p.waitForSelector('#panel-ask [data-testid="consent"]');
    assert.match((await p.textContent('#panel-ask [data-testid="import-hint"]')) ?? '', /Offline\? .*Import folder…/, 'the consent says how to do without the download');
    await audit(p, 'popup consent');

    await server.stopHub();
    try {
      await p.click('#panel-ask [data-testid="download"]');
      await p.waitForSelector('#panel-ask [data-testid="download-error"]', { timeout: 60_000 });
      const hint = (await p.textContent('#panel-ask [data-testid="import-hint"]')) ?? '';
      assert.match(hint, /^No network, or the hub refuses\? Copy the model's folder .*config\.json.*ONNX file, model\.safetensors or pytorch_model\.bin.*Settings.*Import folder…/, hint);
      await audit(p, 'popup download failed');
      // the hint's Settings button opens the options page, where the folder is imported
      const opened = lens.context.waitForEvent('page', { predicate: (pg) => pg.url().includes('/src/options/options.html'), timeout: 10_000 });
      await p.click('#panel-ask [data-testid="open-import"]');
      await (await opened).close();
    } finally {
      await server.startHub();
    }

    // a slow hub, to see the download in progress; cancelled, then downloaded at full speed
    server.hubBytesPerSecond = 20_000;
    await p.click('#panel-ask [data-testid="download"]');
    await p.waitForSelector('#panel-ask [data-testid="download-progress"]');
    await audit(p, 'popup downloading');
    await p.click('#panel-ask [data-testid="cancel-download"]');
    await p.waitForSelector('#panel-ask [data-testid="consent"]', { timeout: 30_000 });
    server.hubBytesPerSecond = 0;
    await p.click('#panel-ask [data-testid="download"]');
    await p.waitForSelector('#question', { state: 'visible', timeout: 120_000 });
    await audit(p, 'popup ready');
    await p.close();
  });

  test('keyboard: Tab order, Enter asks, the answer is announced, arrow keys move through the answers', async () => {
    const p = await popup();
    await p.waitForSelector('#question', { state: 'visible' });
    await p.waitForFunction(() => document.activeElement?.id === 'question');

    // the Tab order from the top: the selected tab (only one tab is in the Tab order), Settings, the question
    await p.keyboard.press('Shift+Tab');
    assert.equal(await focusedId(p), 'open-options');
    await p.keyboard.press('Shift+Tab');
    assert.equal(await focusedId(p), 'tab-ask');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Tab');
    assert.equal(await focusedId(p), 'question', 'Tab from the tabs reaches the question');

    const live = p.locator('[data-testid="ask-announce"]');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    assert.equal(await live.getAttribute('role'), 'status');
    await p.keyboard.type('Who planted the glass orchards?');
    await p.keyboard.press('Enter');
    await p.waitForSelector('[data-testid="answer"]', { timeout: 120_000 });
    const answers = await p.$$eval('[data-testid="answer"] .answer-text', (els) => els.map((e) => (e.textContent ?? '').replace(/^“|”$/g, '')));
    assert.ok(answers.length >= 2, `several answers to move through (got ${answers.length})`);

    // the live region says what the screen shows: the best answer, or that the model found none
    const said = (await live.textContent()) ?? '';
    if (await p.$('[data-testid="no-answer"]')) assert.equal(said, `No answer on this page. ${answers.length} possible answers listed.`);
    else assert.ok(said.startsWith(`${answers.length} answers. Best: ${answers[0]}, `) && /\d% confidence\./.test(said), said);
    await audit(p, 'popup answers');

    // ArrowDown from the question goes to the answers, then between them; Up/Home/End as in a list
    await p.focus('#question');
    await p.keyboard.press('ArrowDown');
    const start = await focusedAnswer(p);
    assert.ok(start >= 0, 'ArrowDown from the question focuses an answer');
    await p.keyboard.press('Home');
    assert.equal(await focusedAnswer(p), 0);
    await p.keyboard.press('ArrowDown');
    assert.equal(await focusedAnswer(p), 1, 'ArrowDown moves to the next answer');
    await p.keyboard.press('End');
    assert.equal(await focusedAnswer(p), answers.length - 1);
    await p.keyboard.press('ArrowDown');
    assert.equal(await focusedAnswer(p), answers.length - 1, 'the last answer stays focused');
    await p.keyboard.press('Home');
    await p.keyboard.press('ArrowUp');
    assert.equal(await focusedId(p), 'question', 'ArrowUp from the first answer goes back to the question');

    // Enter on an answer marks it in the page; the answers are one stop in the Tab order, at the marked one
    await p.keyboard.press('ArrowDown');
    await p.keyboard.press('Home');
    await p.keyboard.press('ArrowDown');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.querySelector('[data-testid="answer"][data-index="1"]')?.getAttribute('aria-pressed') === 'true');
    await p.focus('#question');
    await p.keyboard.press('Tab');
    assert.equal(await focusedId(p), 'ask');
    await p.keyboard.press('Tab');
    assert.equal(await focusedAnswer(p), 1, 'Tab reaches the marked answer');
    await p.keyboard.press('Tab');
    assert.equal(await focusedAnswer(p), -1, 'the next Tab leaves the answers');
    await p.close();
  });

  test('classify from the keyboard: arrow keys switch to the Classify tab; consent, result, announced; no violations', async () => {
    const p = await popup();
    await p.waitForSelector('#question', { state: 'visible' });
    await p.focus('#tab-ask');
    await p.keyboard.press('ArrowRight');
    assert.equal(await p.getAttribute('#tab-classify', 'aria-selected'), 'true');
    assert.equal(await focusedId(p), 'tab-classify');
    await p.waitForSelector('#panel-classify [data-testid="consent"]');
    await audit(p, 'popup classify consent');
    await p.focus('#panel-classify [data-testid="download"]');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#classify-text', { state: 'visible', timeout: 120_000 });
    await p.focus('#classify-text');
    await p.keyboard.type('A gorgeous, witty and deeply moving film.');
    await p.keyboard.press('Enter');
    await p.waitForSelector('[data-testid="score-row"]', { timeout: 120_000 });
    const top = await p.$eval('[data-testid="score-row"]', (e) => e.getAttribute('data-label') ?? '');
    assert.match((await p.textContent('[data-testid="classify-announce"]')) ?? '', new RegExp(`^Result: ${top} \\d+%`), 'the best label is announced');
    await audit(p, 'popup classify result');
    await p.close();

    // the options page again, now with installed models (their badges, Remove buttons)
    const options = await lens.openExtensionPage('src/options/options.html');
    await options.setViewportSize({ width: 900, height: 900 });
    await options.waitForSelector('[data-testid="model"][data-state="installed"]');
    await audit(options, 'options with installed models');
  });
});
