// No page can tell that Lens is installed by loading the extension's files: the builds list no
// web_accessible_resources (the content script is one self-contained file, not a loader that imports
// web-accessible chunks), and a web page that probes every file of the package at chrome-extension://<id>/…
// (and, in Firefox, moz-extension://<uuid>/…) with fetch, <script>, <img> and <link> gets nothing. The same
// fetch from the extension's own page succeeds, so the probe itself works and the test can fail.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import { CHROME_BUILD, chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { FIREFOX_BUILD, firefoxUnavailable, launchFirefox, type LensFirefox } from './harness/firefox.js';
import { DEFAULT_HUB_DIR } from './harness/models.js';
import { startTestServer, type TestServer } from './harness/server.js';

/** Every file of a build, as paths relative to its root. */
function packageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

interface Manifest {
  web_accessible_resources?: unknown[];
  content_scripts?: Array<{ js?: string[] }>;
}
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

interface ProbeResult {
  url: string;
  /** which probes got the resource: 'fetch', 'script', 'img', 'link' */
  loaded: string[];
}

/**
 * Page code (a string: tsx would add helpers the page lacks to functions defined here) that probes each URL: it is
 * fetched and loaded as <script src>, <img src> and <link rel=stylesheet>; a probe "loaded" when fetch resolved or
 * the element fired load (an error, or nothing within 3 s, is not loaded). Resolves to ProbeResult[].
 */
const probe = (urls: string[]) => `(async (urls) => {
  function element(tag, attr, url, extra) {
    return new Promise((resolve) => {
      const el = document.createElement(tag);
      function done(ok) { el.remove(); resolve(ok); }
      el.onload = () => done(true);
      el.onerror = () => done(false);
      setTimeout(() => done(false), 3000);
      Object.assign(el, extra);
      el[attr] = url;
      document.head.append(el);
    });
  }
  return Promise.all(urls.map(async (url) => {
    const loaded = [];
    if (await fetch(url).then(() => true, () => false)) loaded.push('fetch');
    if (await element('script', 'src', url, {})) loaded.push('script');
    if (await element('img', 'src', url, {})) loaded.push('img');
    if (await element('link', 'href', url, { rel: 'stylesheet' })) loaded.push('link');
    return { url, loaded };
  }));
})(${JSON.stringify(urls)})`;

/** Extension-page code: which of the URLs its own fetch gets (the control). Resolves to string[]. */
const fetchAll = (urls: string[]) => `(async (urls) => (await Promise.all(urls.map(async (url) => ((await fetch(url).then((r) => r.ok, () => false)) ? url : '')))).filter(Boolean))(${JSON.stringify(urls)})`;

describe('the builds list no web-accessible resources', () => {
  for (const [browser, dir] of [['chrome', CHROME_BUILD], ['firefox', FIREFOX_BUILD]] as const) {
    const unavailable = browser === 'chrome' ? chromiumUnavailable(dir) : firefoxUnavailable(dir);
    test(`dist/${browser}/manifest.json: no web_accessible_resources; the content script is one packaged file`, { skip: unavailable && /manifest\.json/.test(unavailable) ? unavailable : false }, () => {
      const manifest = manifestOf(dir);
      assert.equal(manifest.web_accessible_resources, undefined, JSON.stringify(manifest.web_accessible_resources));
      const scripts = manifest.content_scripts?.flatMap((c) => c.js ?? []) ?? [];
      assert.ok(scripts.length > 0, 'the manifest lists a content script');
      const files = packageFiles(dir);
      for (const js of scripts) {
        assert.ok(files.includes(js), `${js} is in the package`);
        // a classic script with everything inlined: nothing for it to import from the package at run time
        assert.doesNotMatch(readFileSync(join(dir, js), 'utf8'), /\bimport\s*\(|^\s*import\s|chrome\.runtime\.getURL|browser\.runtime\.getURL/m, `${js} loads nothing else`);
      }
    });
  }
});

describe('a web page probing Chromium\'s chrome-extension:// URLs gets nothing', { skip: chromiumUnavailable() }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let page: PlaywrightPage;

  before(async () => {
    server = await startTestServer({ hubDir: DEFAULT_HUB_DIR });
    lens = await launchChromium();
    page = await lens.openPage(server.fixtureUrl('plain.html'));
    await page.waitForLoadState('load');
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  test('every file of the package, manifest.json, the content script and the icons included, and a file that does not exist', async () => {
    const files = packageFiles(CHROME_BUILD);
    for (const must of ['manifest.json', 'icons/icon-16.png', ...(manifestOf(CHROME_BUILD).content_scripts?.flatMap((c) => c.js ?? []) ?? [])]) assert.ok(files.includes(must), `${must} is probed`);
    const urls = [...files, 'no-such-file.js'].map((f) => `${lens.extensionOrigin}${f}`);
    const results = (await page.evaluate(probe(urls))) as ProbeResult[];
    assert.equal(results.length, urls.length);
    assert.deepEqual(results.filter((r) => r.loaded.length > 0), [], 'no probe got a file of the extension');

    // the control: the extension's own page fetches the very same URLs (all but the missing one)
    const own = await lens.openExtensionPage('src/options/options.html');
    const fetched = await own.evaluate(fetchAll(urls));
    assert.deepEqual(fetched, urls.slice(0, -1), 'the extension page gets every file, so the probe URLs are right');
    await own.close();
  });

  test('the content script still runs in the page, and the background can inject it again by the manifest\'s path', async () => {
    const tabId = await lens.tabIdOf(page);
    const sw = await lens.serviceWorker();
    const reply = (await sw.evaluate(`(async (id) => {
      const ask = () => chrome.tabs.sendMessage(id, { type: 'content/selection-info' });
      let first;
      for (let i = 0; i < 50 && first === undefined; i++) first = await ask().catch(() => new Promise((r) => setTimeout(r, 100)).then(() => undefined));
      const files = chrome.runtime.getManifest().content_scripts.flatMap((c) => c.js);
      const injected = await chrome.scripting.executeScript({ target: { tabId: id }, files });
      return { first, injected: injected.length, second: await ask() };
    })(${tabId})`)) as { first: unknown; injected: number; second: unknown };
    assert.deepEqual(reply.first, { ok: true, value: { selectionLength: 0, title: await page.title(), url: page.url(), contentType: 'text/html' } });
    assert.equal(reply.injected, 1, 'executeScript ran the packaged content script');
    assert.deepEqual(reply.second, reply.first, 'one listener answers after the second injection');
  });
});

describe('a web page probing Firefox\'s moz-extension:// URLs gets nothing', { skip: firefoxUnavailable() }, () => {
  let fx: LensFirefox;
  let server: TestServer;
  let page: PuppeteerPage;

  before(async () => {
    server = await startTestServer({ hubDir: DEFAULT_HUB_DIR });
    // the harness pins the extension's UUID (random per install in real use), so the probe knows it
    fx = await launchFirefox();
    page = await fx.openPage(server.fixtureUrl('plain.html'));
  });

  after(async () => {
    await fx?.close();
    await server?.close();
  });

  test('every file of the package, and the extension page\'s own fetch gets them', async () => {
    const urls = packageFiles(FIREFOX_BUILD).map((f) => fx.extensionUrl(f));
    const results = (await page.evaluate(probe(urls))) as ProbeResult[];
    assert.equal(results.length, urls.length);
    assert.deepEqual(results.filter((r) => r.loaded.length > 0), [], 'no probe got a file of the extension');
    const own = await fx.openExtensionPage('src/options/options.html', '#hub-url');
    assert.deepEqual(await own.evaluate(fetchAll(urls)), urls, 'the extension page gets every file, so the probe URLs are right');
    await own.close();
  });
});
