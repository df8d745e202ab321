// What a new user gets, in Chromium with a fresh profile and the fake hub: each thing the popup offers (Ask, and the
// Classify tab's Sentiment and Zero-shot modes) installs from the hub with one consent click, shows its progress
// through the download (and, for a model published as a checkpoint, the build and int8 steps), then answers. The
// consent card says how the model is verified ("pinned by Lens" / "pinned on this device at first install"), its
// licence and the score its publisher reports; the Classify tab then shows the current mode's model facts.
// Screenshots of both classify modes with their models installed (test-results/screenshots/fresh-profile-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { modelWeights } from '../../src/shared/model-files.js';
import { pinTier, registryEntry, type RegistryEntry } from '../../src/shared/registry.js';
import { DEFAULT_SETTINGS } from '../../src/shared/settings-values.js';
import { chromiumUnavailable, launchChromium, screenshotBothSchemes, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { hubRevision, prepareHub } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { setHub } from './harness/store.js';

const QA = registryEntry(DEFAULT_SETTINGS.qaModelId);
const SENTIMENT = registryEntry(DEFAULT_SETTINGS.sentimentModelId);
const ZERO_SHOT = registryEntry(DEFAULT_SETTINGS.zeroShotModelId);
const BUILD_LABEL = 'Building the model from its weights…';
const OPTIMIZE_LABEL = 'Optimizing for this device (int8)…';
/**
 * Slow enough that the popup's progress bar is seen moving (the background sends progress at most every 200 ms):
 * the tiny models are about 5 MB (QA, Sentiment) and 0.8 MB (Zero-shot), so 2 to 3 s each.
 */
const hubSpeed = (entry: RegistryEntry) => (entry.files.some((f) => f.path.endsWith('_quantized.onnx')) ? 400_000 : 2_000_000);

interface ProgressSample {
  label: string;
  done: number;
  total: number | null;
}

/** The reported score as a person reads it, e.g. "90.4% accuracy on GLUE SST-2 dev, reported by its model card". */
const reported = (entry: RegistryEntry) => (entry.reported ? `${(entry.reported.value * 100).toFixed(1)}% ${entry.reported.metric} on ${entry.reported.dataset}, reported by ${entry.reported.source}` : undefined);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a fresh profile: Ask, Sentiment and Zero-shot each install with one consent and answer', { skip: chromiumUnavailable(), timeout: 600_000 }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let tabId: number;
  let article: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    await (await setHub(lens, server.hubUrl)).close();
    article = await lens.openPage(server.fixtureUrl('plain.html'));
    tabId = await lens.tabIdOf(article);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  async function popup(view: 'ask' | 'classify'): Promise<Page> {
    const p = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}&view=${view}`);
    await p.setViewportSize({ width: 400, height: 600 });
    return p;
  }

  const shoot = screenshotBothSchemes;

  /** The hub requests for an entry's repository: its API calls and its files. */
  const repoRequests = (entry: RegistryEntry) => {
    const paths = server.requests.filter((r) => r.server === 'hub').map((r) => new URL(r.url).pathname);
    return { api: paths.filter((p) => p.startsWith(`/hub/api/models/${entry.repo}/`)), files: paths.filter((p) => p.startsWith(`/hub/${entry.repo}/resolve/`)) };
  };

  /** The consent card's facts, checked against the registry: tier, licence, reported score. */
  async function assertConsent(p: Page, panel: string, entry: RegistryEntry): Promise<void> {
    const consent = `${panel} [data-testid="consent"]`;
    await p.waitForSelector(consent);
    assert.match((await p.textContent(`${consent} .consent-title`)) ?? '', new RegExp(escape(entry.name)), `the consent is for ${entry.name}`);
    const pin = `${consent} [data-testid="consent-pin"]`;
    assert.equal(await p.getAttribute(pin, 'data-tier'), pinTier(entry));
    const pinText = (await p.textContent(pin)) ?? '';
    if (pinTier(entry) === 'first-install') assert.match(pinText, /^pinned on this device at first install/, pinText);
    else assert.match(pinText, new RegExp(`^pinned by Lens \\(commit ${entry.revision?.slice(0, 7)}`), pinText);
    assert.equal((await p.textContent(`${consent} [data-testid="consent-license"]`))?.trim(), entry.license);
    const score = reported(entry);
    if (score) assert.equal((await p.textContent(`${consent} [data-testid="consent-reported"]`))?.trim(), score);
    else assert.equal(await p.$(`${consent} [data-testid="consent-reported"]`), null, 'no score where the publisher reports none');
  }

  /**
   * One click on the consent's Download, then the form: returns what the gate's progress bar showed meanwhile
   * (each distinct label, bytes done and total), recorded from before the click.
   */
  async function installWithOneClick(p: Page, panel: string, form: string, entry: RegistryEntry): Promise<ProgressSample[]> {
    server.hubBytesPerSecond = hubSpeed(entry);
    await p.evaluate((sel) => {
      const seen: ProgressSample[] = [];
      (globalThis as unknown as { lensProgress: ProgressSample[] }).lensProgress = seen;
      const root = document.querySelector(sel);
      if (!root) throw new Error(`no ${sel}`);
      // (no named function in here: the test runner's transform would wrap it in a helper the page lacks)
      new MutationObserver(() => {
        const bar = root.querySelector<HTMLElement>('[data-testid="download-progress"]');
        if (!bar) return;
        const s = { label: bar.querySelector('.progress-text')?.textContent ?? '', done: Number(bar.dataset.done ?? NaN), total: bar.dataset.total === undefined ? null : Number(bar.dataset.total) };
        const last = seen.at(-1);
        if (!last || last.label !== s.label || last.done !== s.done || last.total !== s.total) seen.push(s);
      }).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    }, panel);
    await p.click(`${panel} [data-testid="download"]`);
    await p.waitForSelector(form, { state: 'visible', timeout: 240_000 });
    server.hubBytesPerSecond = 0;
    assert.equal(await p.$(`${panel} [data-testid="consent"]`), null, 'no second consent');
    assert.equal(await p.$(`${panel} [data-testid="download-error"]`), null);
    return p.evaluate(() => (globalThis as unknown as { lensProgress: ProgressSample[] }).lensProgress);
  }

  /** The bar counted the download's bytes up (more than one step, never past the total). */
  function assertDownloadProgress(samples: ProgressSample[]): void {
    const downloading = samples.filter((s) => s.label === 'Downloading');
    assert.ok(downloading.length >= 2, `the progress bar moved during the download: ${JSON.stringify(samples)}`);
    assert.ok(downloading.every((s) => s.done > 0 && s.total !== null && s.done <= s.total), JSON.stringify(downloading));
    assert.ok(downloading.at(-1)!.done > downloading[0].done, 'bytes counted up');
  }

  test(`Ask: ${QA.name} (pinned by Lens) installs with one consent, with progress, and answers`, async () => {
    const p = await popup('ask');
    await assertConsent(p, '#panel-ask', QA);
    assert.equal(repoRequests(QA).files.length, 0, 'nothing is downloaded before consent');
    const progress = await installWithOneClick(p, '#panel-ask', '#question', QA);
    assertDownloadProgress(progress);
    assert.deepEqual(repoRequests(QA).api, [], 'a model pinned by Lens needs no API call');
    assert.ok(repoRequests(QA).files.every((f) => f.startsWith(`/hub/${QA.repo}/resolve/${hubRevision(QA)}/`)));

    await p.fill('#question', 'what grows in the orchards?');
    await p.click('#ask');
    await p.waitForSelector('[data-testid="answer"], [data-testid="no-answer"]', { timeout: 60_000 });
    assert.ok((await p.$$('[data-testid="answer"]')).length > 0, 'answers are listed');
    await p.close();
  });

  async function classify(p: Page, text: string): Promise<Array<{ label: string; score: number }>> {
    await p.fill('#classify-text', text);
    await p.click('#classify');
    await p.waitForSelector('[data-testid="score-row"]', { timeout: 120_000 });
    return p.$$eval('[data-testid="score-row"]', (els) => els.map((e) => ({ label: e.getAttribute('data-label') ?? '', score: Number(e.getAttribute('data-score')) })));
  }

  /** The Classify tab's line about the current mode's model: name, licence, reported score, where it came from. */
  async function assertModelFacts(p: Page, entry: RegistryEntry): Promise<void> {
    await p.waitForSelector('[data-testid="classify-model-facts"]', { state: 'visible' });
    const facts = (await p.textContent('[data-testid="classify-model-facts"]')) ?? '';
    for (const part of [entry.name, entry.license, entry.repo, reported(entry)]) if (part) assert.ok(facts.includes(part), `"${part}" in the model facts: ${facts}`);
  }

  test(`Sentiment: ${SENTIMENT.name} (${pinTier(SENTIMENT)}) installs with one consent: download, build and int8 in one progress bar; it answers with its labels`, async () => {
    const p = await popup('classify');
    await p.waitForSelector('#classify-mode');
    assert.equal(await p.$eval('#classify-mode', (el) => el.querySelector<HTMLInputElement>('input:checked')?.value), 'sentiment', 'Sentiment is the default mode');
    await assertConsent(p, '#panel-classify', SENTIMENT);
    await shoot(p, 'fresh-profile-consent-sentiment');
    assert.deepEqual(repoRequests(SENTIMENT), { api: [], files: [] }, 'nothing is asked of the hub before consent');
    const progress = await installWithOneClick(p, '#panel-classify', '#classify-text', SENTIMENT);
    assertDownloadProgress(progress);
    const labels = progress.map((s) => s.label);
    if (modelWeights(SENTIMENT.files.map((f) => f.path))?.kind === 'checkpoint') {
      assert.ok(labels.includes(BUILD_LABEL) && labels.includes(OPTIMIZE_LABEL) && labels.indexOf(BUILD_LABEL) < labels.indexOf(OPTIMIZE_LABEL) && labels.indexOf('Downloading') < labels.indexOf(BUILD_LABEL), `one bar through download, build and int8: ${JSON.stringify(labels)}`);
    }
    const requests = repoRequests(SENTIMENT);
    if (pinTier(SENTIMENT) === 'first-install') assert.deepEqual(requests.api, [`/hub/api/models/${SENTIMENT.repo}/revision/${SENTIMENT.branch}`], 'the branch is resolved once');
    assert.ok(requests.files.length > 0 && requests.files.every((f) => f.startsWith(`/hub/${SENTIMENT.repo}/resolve/${hubRevision(SENTIMENT)}/`)), JSON.stringify(requests.files));

    await assertModelFacts(p, SENTIMENT);
    const rows = await classify(p, 'A gorgeous, witty and deeply moving film.');
    assert.deepEqual(rows.map((r) => r.label).sort(), [...(SENTIMENT.labels ?? ['negative', 'positive'])].sort());
    assert.ok(Math.abs(rows.reduce((s, r) => s + r.score, 0) - 1) < 1e-4, 'the scores sum to 1');
    await shoot(p, 'fresh-profile-classify-sentiment');
    await p.close();
  });

  test(`Zero-shot: ${ZERO_SHOT.name} (${pinTier(ZERO_SHOT)}) installs with one consent, with progress, and answers with the user's labels`, async () => {
    const p = await popup('classify');
    await p.waitForSelector('#classify-text', { state: 'visible' });
    await p.check('#mode-zero-shot');
    await assertConsent(p, '#panel-classify', ZERO_SHOT);
    await shoot(p, 'fresh-profile-consent-zero-shot');
    const progress = await installWithOneClick(p, '#panel-classify', '#classify-text', ZERO_SHOT);
    assertDownloadProgress(progress);
    assert.deepEqual(repoRequests(ZERO_SHOT).api, [], 'a model pinned by Lens needs no API call');
    await assertModelFacts(p, ZERO_SHOT);
    const rows = await classify(p, 'Book a cheap flight to Lisbon and a hotel by the sea.');
    const chips = await p.$$eval('[data-testid="label-chip"]', (els) => els.map((e) => e.getAttribute('data-label') ?? ''));
    assert.ok(chips.length >= 2, 'labels to sort into');
    assert.deepEqual(rows.map((r) => r.label).sort(), [...chips].sort(), 'a score per label');
    await shoot(p, 'fresh-profile-classify-zero-shot');

    // back to Sentiment: installed, so its form and its own model facts at once
    await p.check('#mode-sentiment');
    await p.waitForSelector('#classify-text', { state: 'visible' });
    assert.equal(await p.$('#panel-classify [data-testid="consent"]'), null);
    await assertModelFacts(p, SENTIMENT);
    await p.close();
  });
});
