// The popup's Classify tab in its two modes, in Chromium with the built extension and the fake hub: Sentiment
// (the fine-tuned SST-2 classifier, published as pytorch_model.bin only and built on the device, pinned on the
// device at its first install; its own labels, no label editor) and Zero-shot (the NLI model, labels the user chooses), each with its own consent and download; the
// mode is remembered across popups and used by the context menu. Screenshots of both modes, light and dark. Also
// the options page's QA model choice (download size, speed). Models are tiny random-weight models: what is
// checked is which model answers with which labels, not what it says.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { REGISTRY, registryEntry } from '../../src/shared/registry.js';
import { DEFAULT_SETTINGS } from '../../src/shared/settings-values.js';
import { chromiumUnavailable, launchChromium, screenshotBothSchemes, screenshotDir, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { setHub } from './harness/store.js';

const SENTIMENT = registryEntry(DEFAULT_SETTINGS.sentimentModelId);
const ZERO_SHOT = registryEntry(DEFAULT_SETTINGS.zeroShotModelId);
/** the labels the fake hub writes into the sentiment model's config.json id2label (the registry's, else its default) */
const SENTIMENT_LABELS = SENTIMENT.labels ?? ['negative', 'positive'];
const CUSTOM_LABELS = ['travel', 'cooking', 'finance'];
const SENTENCE = 'A gorgeous, witty and deeply moving film.';

interface Row {
  label: string;
  score: number;
}

interface ExtApi {
  chrome: { storage: { local: { get(key: string): Promise<Record<string, { classifyMode?: string } | undefined>> } } };
}

describe('the popup classifies in Sentiment and Zero-shot mode', { skip: chromiumUnavailable(), timeout: 600_000 }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let tabId: number;
  let page: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    await lens.serviceWorker();
    await (await setHub(lens, server.hubUrl)).close();
    page = await lens.openPage(server.fixtureUrl('plain.html'));
    tabId = await lens.tabIdOf(page);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  async function popup(): Promise<Page> {
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}&view=classify`);
    // the toolbar popup's size, so screenshots show what users see
    await p.setViewportSize({ width: 400, height: 600 });
    return p;
  }

  const shoot = screenshotBothSchemes;

  const checkedMode = (p: Page) => p.$eval('#classify-mode', (el) => el.querySelector<HTMLInputElement>('input[name="classify-mode"]:checked')?.value ?? null);
  const rowsOf = (p: Page): Promise<Row[]> => p.$$eval('[data-testid="score-row"]', (els) => els.map((e) => ({ label: e.getAttribute('data-label') ?? '', score: Number(e.getAttribute('data-score')) })));

  async function classify(p: Page, text: string): Promise<Row[]> {
    await p.fill('#classify-text', text);
    await p.click('#classify');
    await p.waitForSelector('[data-testid="score-row"]', { timeout: 120_000 });
    return rowsOf(p);
  }

  /** Consent for this model's download, then the download (the form opens once it is installed). */
  async function download(p: Page, name: string, shot?: string): Promise<void> {
    // the Ask panel (hidden) has its own gate: look inside the Classify panel only
    await p.waitForSelector('#panel-classify [data-testid="consent"]');
    assert.match((await p.textContent('#panel-classify [data-testid="consent"]')) ?? '', new RegExp(name.replace(/[()]/g, '\\$&')), `the consent is for ${name}`);
    if (shot) await shoot(p, shot);
    await p.click('#panel-classify [data-testid="download"]');
    await p.waitForSelector('#classify-text', { state: 'visible', timeout: 240_000 });
  }

  test('Sentiment (the default): its own consent and download, then the model\'s own labels and no label editor', async () => {
    const p = await popup();
    await p.waitForSelector('#classify-mode');
    assert.equal(await checkedMode(p), 'sentiment', 'Sentiment is the default mode');
    assert.equal(server.requests.filter((r) => r.server === 'hub').length, 0, 'nothing is downloaded before consent');
    await download(p, SENTIMENT.name, 'popup-classify-sentiment-consent');
    assert.ok(server.requests.some((r) => r.server === 'hub' && r.url.includes(`/${SENTIMENT.repo}/resolve/`)), 'the sentiment model came from its hub repo');
    assert.equal(await p.isVisible('#labels-group'), false, 'no label editor in Sentiment mode');
    assert.equal(await p.isVisible('#multi-label'), false);

    const rows = await classify(p, SENTENCE);
    assert.deepEqual(rows.map((r) => r.label).sort(), [...SENTIMENT_LABELS].sort(), 'scores for the model\'s own labels');
    assert.ok(Math.abs(rows.reduce((s, r) => s + r.score, 0) - 1) < 1e-4, 'the scores sum to 1');
    assert.ok(rows.every((r, i) => i === 0 || r.score <= rows[i - 1].score), 'best first');
    assert.match((await p.textContent('[data-testid="classify-meta"]')) ?? '', /^Sentiment · /);
    assert.match((await p.textContent('#classify-mode-hint')) ?? '', new RegExp(SENTIMENT_LABELS.join(', ')), 'the mode says which labels the model has');
    await shoot(p, 'popup-classify-sentiment');
    await p.close();
  });

  test('Zero-shot: switching asks for the NLI model\'s own download; custom labels, single- and multi-label', async () => {
    const p = await popup();
    await p.waitForSelector('#classify-text', { state: 'visible' });
    await p.check('#mode-zero-shot');
    await download(p, ZERO_SHOT.name);
    assert.equal(await p.isVisible('#labels-group'), true, 'the label editor shows in Zero-shot mode');
    while (await p.$('[data-testid="label-chip"] button')) await p.click('[data-testid="label-chip"] button');
    for (const label of CUSTOM_LABELS) {
      await p.fill('#label-input', label);
      await p.press('#label-input', 'Enter');
    }
    await p.uncheck('#multi-label');
    const rows = await classify(p, 'Book a cheap flight to Lisbon and a hotel by the sea.');
    assert.deepEqual(rows.map((r) => r.label).sort(), [...CUSTOM_LABELS].sort(), 'scores for the labels chosen');
    assert.ok(Math.abs(rows.reduce((s, r) => s + r.score, 0) - 1) < 1e-4, 'single-label scores sum to 1');
    assert.match((await p.textContent('[data-testid="classify-meta"]')) ?? '', /^Zero-shot · /);
    await shoot(p, 'popup-classify-zero-shot');

    await p.check('#multi-label');
    await p.click('#classify');
    await p.waitForFunction(() => /each label on its own/.test(document.querySelector('[data-testid="classify-meta"]')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const multi = await rowsOf(p);
    assert.deepEqual(multi.map((r) => r.label).sort(), [...CUSTOM_LABELS].sort());
    assert.ok(multi.every((r) => r.score >= 0 && r.score <= 1), 'multi-label: each label scored on its own');
    await p.uncheck('#multi-label');
    await p.close();
  });

  test('the mode is remembered across popups, with each mode\'s own settings; the context menu uses it', async () => {
    const p = await popup();
    await p.waitForSelector('#classify-text', { state: 'visible' });
    assert.equal(await checkedMode(p), 'zero-shot', 'the popup opens in the mode last picked');
    assert.deepEqual(await p.$$eval('[data-testid="label-chip"]', (els) => els.map((e) => e.getAttribute('data-label'))), CUSTOM_LABELS, 'the labels are remembered');
    const stored = await p.evaluate(() => (globalThis as unknown as ExtApi).chrome.storage.local.get('settings'));
    assert.equal(stored.settings?.classifyMode, 'zero-shot');

    // back to Sentiment: installed already, so the form is there at once, without the label editor
    await p.check('#mode-sentiment');
    await p.waitForSelector('#classify-text', { state: 'visible' });
    assert.equal(await p.isVisible('#labels-group'), false);
    assert.equal(await p.$('#panel-classify [data-testid="consent"]'), null, 'no second download');
    await p.waitForFunction(async () => {
      const s = await (globalThis as unknown as ExtApi).chrome.storage.local.get('settings');
      return s.settings?.classifyMode === 'sentiment';
    });
    await p.close();

    const again = await popup();
    await again.waitForSelector('#classify-text', { state: 'visible' });
    assert.equal(await checkedMode(again), 'sentiment');
    // arrow keys move between the mode radios, as in any radio group
    await again.focus('#mode-sentiment');
    await again.keyboard.press('ArrowRight');
    assert.equal(await checkedMode(again), 'zero-shot', 'ArrowRight picks Zero-shot');
    await again.keyboard.press('ArrowLeft');
    assert.equal(await checkedMode(again), 'sentiment');
    await again.waitForFunction(async () => {
      const s = await (globalThis as unknown as ExtApi).chrome.storage.local.get('settings');
      return s.settings?.classifyMode === 'sentiment';
    });
    await again.close();

    // "Classify this selection" runs the remembered mode: the sentiment model's labels in the page's card
    const sw = await lens.serviceWorker();
    await sw.evaluate(([id, selectionText]) => (globalThis as unknown as { lens: { handleMenuClick(i: unknown, t: unknown): Promise<void> } }).lens.handleMenuClick({ menuItemId: 'lens-classify-selection', selectionText }, { id }), [tabId, SENTENCE] as const);
    const card = await page.waitForFunction(() => {
      const host = document.getElementById('lens-card-host');
      return host?.dataset.state === 'result' ? (host.shadowRoot?.textContent ?? '') : false;
    });
    const cardText = String(await card.jsonValue());
    for (const label of SENTIMENT_LABELS) assert.ok(cardText.includes(label), `the card shows ${label}: ${cardText}`);
    for (const label of CUSTOM_LABELS) assert.ok(!cardText.includes(label), `not the zero-shot label ${label}`);
  });

  test('options: the QA model choice lists each QA model with its download size and speed', async () => {
    const options = await lens.openExtensionPage('src/options/options.html');
    await options.setViewportSize({ width: 900, height: 900 });
    await options.waitForSelector('[data-testid="qa-choice"]');
    const choices = await options.$$eval('[data-testid="qa-choice"]', (els) =>
      els.map((e) => ({ id: e.getAttribute('data-model-id'), checked: e.querySelector('input')?.checked, text: e.textContent ?? '' })),
    );
    const qa = REGISTRY.filter((m) => m.task === 'qa');
    assert.deepEqual(choices.map((c) => c.id), qa.map((m) => m.id));
    assert.ok(qa.length >= 2, 'MobileBERT and a compact alternative');
    assert.deepEqual(choices.filter((c) => c.checked).map((c) => c.id), [DEFAULT_SETTINGS.qaModelId], 'the default is chosen');
    for (const c of choices) {
      assert.match(c.text, /Download about \d[\d.]* (MB|kB)/, `${c.id} shows its size`);
      assert.match(c.text, /≈ \d[\d.]* ms per 384-token window, measured on |Speed not measured yet/, `${c.id} shows its speed`);
    }
    const section = await options.$('#defaults-section');
    for (const scheme of ['light', 'dark'] as const) {
      await options.emulateMedia({ colorScheme: scheme });
      await section?.screenshot({ path: join(screenshotDir(), `options-default-models-${scheme}.png`) });
    }
    await options.emulateMedia({ colorScheme: 'light' });
    // picking the compact model is saved; the popup would use it from its next opening
    const compact = qa.find((m) => m.id !== DEFAULT_SETTINGS.qaModelId);
    if (compact) {
      await options.check(`#qa-model-${compact.id}`);
      await options.waitForFunction(() => /Saved/.test(document.querySelector('#defaults-status')?.textContent ?? ''));
      const s = await options.evaluate(() => (globalThis as unknown as { chrome: { storage: { local: { get(k: string): Promise<{ settings?: { qaModelId?: string } }> } } } }).chrome.storage.local.get('settings'));
      assert.equal(s.settings?.qaModelId, compact.id);
    }
    await options.close();
  });
});
