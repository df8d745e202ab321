// The built extension loads in both browsers, and the harness around it works: fake hub, article pages,
// service-worker kill and restart, request recording, tab ids.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { registryEntry } from '../../src/shared/registry.js';
import { chromiumUnavailable, launchChromium, screenshotDir, type LensChromium } from './harness/chromium.js';
import { firefoxUnavailable, launchFirefox } from './harness/firefox.js';
import { hubFiles, prepareHub } from './harness/models.js';
import { DECOY_TEXT, FOOTER_TEXT, NO_SHARED_DATA, article, startTestServer, type TestServer } from './harness/server.js';

// Extension APIs as seen from inside the browser (tsconfig has no DOM or chrome types). Functions passed to
// evaluate() run in the browser, so each casts globalThis itself rather than calling a helper from this file.
interface ExtGlobals {
  chrome: {
    runtime: { getManifest(): { name: string }; sendMessage(m: unknown): Promise<unknown> };
    tabs: { get(id: number): Promise<{ url?: string }> };
  };
  lensSmokeMarker?: string;
}

let server: TestServer;

before(async () => {
  server = await startTestServer({ hubDir: await prepareHub() });
});
after(() => server.close());

describe('fake hub', () => {
  it('serves every registry file with Content-Length, and .onnx and .safetensors files with the LFS headers', async () => {
    for (const f of await hubFiles()) {
      const res = await fetch(`${server.hubUrl}/${f.repo}/resolve/${f.revision}/${f.path}`);
      assert.equal(res.status, 200, f.path);
      assert.equal(res.headers.get('content-length'), String(f.bytes), f.path);
      assert.equal((await res.arrayBuffer()).byteLength, f.bytes);
      if (f.path.endsWith('.onnx') || f.path.endsWith('.safetensors')) {
        assert.equal(res.headers.get('x-linked-etag'), `"${f.sha256}"`);
        assert.equal(res.headers.get('x-linked-size'), String(f.bytes));
      }
    }
    const missing = await fetch(`${server.hubUrl}/csarron/mobilebert-uncased-squad-v2/resolve/main/nope.bin`);
    assert.equal(missing.status, 404);
  });
});

describe('chromium', { skip: chromiumUnavailable(), timeout: 120_000 }, () => {
  let cr: LensChromium;
  before(async () => {
    const t0 = Date.now();
    cr = await launchChromium();
    console.log(`chromium launched with the extension in ${Date.now() - t0} ms`);
  });
  after(() => cr?.close());

  it('starts the service worker of "MobileBERT Lens"', async () => {
    const sw = await cr.serviceWorker();
    assert.match(cr.extensionId, /^[a-p]{32}$/);
    assert.equal(await sw.evaluate(() => (globalThis as unknown as ExtGlobals).chrome.runtime.getManifest().name), 'MobileBERT Lens');
  });

  it('opens the popup page', async () => {
    const popup = await cr.openExtensionPage('src/popup/popup.html');
    assert.equal(await popup.evaluate(() => (globalThis as unknown as ExtGlobals).chrome.runtime.getManifest().name), 'MobileBERT Lens');
    await popup.screenshot({ path: join(screenshotDir(), 'smoke-popup-chromium.png') });
    await popup.close();
  });

  it('kills the service worker, which restarts on the next message, and records its requests', async () => {
    const requests = cr.recordRequests();
    await (await cr.serviceWorker()).evaluate(() => {
      (globalThis as unknown as ExtGlobals).lensSmokeMarker = 'before kill';
    });
    const t0 = Date.now();
    await cr.killServiceWorker();
    const killMs = Date.now() - t0;
    assert.equal(await cr.isServiceWorkerRunning(), false);

    const popup = await cr.openExtensionPage('src/popup/popup.html');
    const t1 = Date.now();
    // Any runtime message wakes the worker; whether something answers this one does not matter.
    await popup.evaluate(() => (globalThis as unknown as ExtGlobals).chrome.runtime.sendMessage({ type: 'e2e/ping' }).catch(() => undefined));
    const sw = await cr.serviceWorker();
    assert.equal(await sw.evaluate(() => (globalThis as unknown as ExtGlobals).lensSmokeMarker ?? 'fresh'), 'fresh', 'the worker kept its globals: it did not restart');
    console.log(`kill ${killMs} ms, restart on message ${Date.now() - t1} ms`);

    const url = `${server.hubUrl}/Xenova/mobilebert-uncased-mnli/resolve/${registryEntry('mobilebert-mnli').revision}/config.json`;
    assert.equal(await sw.evaluate((u) => fetch(u).then((r) => r.status), url), 200);
    assert.ok(requests.some((r) => r.url === url && r.fromServiceWorker), `no service-worker request to ${url} recorded`);
    await popup.close();
  });

  it('finds the tab id of a page', async () => {
    const page = await cr.openPage(server.fixtureUrl('plain.html'));
    const id = await cr.tabIdOf(page);
    const sw = await cr.serviceWorker();
    assert.equal(await sw.evaluate((tabId) => (globalThis as unknown as ExtGlobals).chrome.tabs.get(tabId).then((t) => t.url), id), server.fixtureUrl('plain.html'));
    await page.close();
  });

  it('serves an article page with the text in <main> and boilerplate around it', { skip: NO_SHARED_DATA }, async () => {
    const a = await article(0);
    const page: Page = await cr.openPage(server.articleUrl(0));
    const main = (await page.locator('main').textContent()) ?? '';
    assert.ok(main.includes(a.title));
    assert.ok(main.includes(a.paragraphs[1].slice(0, 80)));
    assert.ok(!main.includes(FOOTER_TEXT));
    assert.equal((await page.locator('footer').textContent())?.includes(FOOTER_TEXT), true);
    assert.equal(await page.locator('aside.related').isVisible(), true);
    assert.equal(await page.getByText(DECOY_TEXT).isVisible(), false);
    await page.close();
  });
});

describe('firefox', { skip: firefoxUnavailable(), timeout: 120_000 }, () => {
  it('installs the extension and opens its popup page', async () => {
    const t0 = Date.now();
    const ff = await launchFirefox();
    try {
      console.log(`firefox launched with the extension in ${Date.now() - t0} ms`);
      const popup = await ff.openExtensionPage('src/popup/popup.html');
      // page.url() can stay about:blank over BiDi for moz-extension:// pages: ask the document.
      assert.equal(await popup.evaluate(() => (globalThis as unknown as { location: { href: string } }).location.href), ff.extensionUrl('src/popup/popup.html'));
      assert.equal(await popup.evaluate(() => (globalThis as unknown as { browser: ExtGlobals['chrome'] }).browser.runtime.getManifest().name), 'MobileBERT Lens');
    } finally {
      await ff.close();
    }
  });
});
