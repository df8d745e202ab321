// The built extension loads in both browsers, and the harness around it works: fake hub (its files, and its API
// in the real hub's shape), article pages, service-worker kill and restart, request recording, tab ids.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { hubRevisionPlan } from '../../src/shared/first-install.js';
import { REGISTRY, pinTier, registryEntry } from '../../src/shared/registry.js';
import { chromiumUnavailable, launchChromium, screenshotDir, type LensChromium } from './harness/chromium.js';
import { firefoxUnavailable, launchFirefox } from './harness/firefox.js';
import { hubCommit, hubFiles, hubRevision, prepareHub } from './harness/models.js';
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
  it('serves every registry file with Content-Length, and .onnx, .safetensors and .bin files with the LFS headers', async () => {
    for (const f of await hubFiles()) {
      const res = await fetch(`${server.hubUrl}/${f.repo}/resolve/${f.revision}/${f.path}`);
      assert.equal(res.status, 200, f.path);
      assert.equal(res.headers.get('content-length'), String(f.bytes), f.path);
      assert.equal((await res.arrayBuffer()).byteLength, f.bytes);
      if (/\.(onnx|safetensors|bin)$/.test(f.path)) {
        assert.equal(res.headers.get('x-linked-etag'), `"${f.sha256}"`);
        assert.equal(res.headers.get('x-linked-size'), String(f.bytes));
      }
    }
    const missing = await fetch(`${server.hubUrl}/csarron/mobilebert-uncased-squad-v2/resolve/main/nope.bin`);
    assert.equal(missing.status, 404);
  });

  type Sibling = { rfilename: string; size?: number; blobId?: string; lfs?: { sha256: string; size: number; pointerSize: number } };
  const api = async (repo: string, ref: string, blobs = true) => {
    const res = await fetch(`${server.hubUrl}/api/models/${repo}/revision/${encodeURIComponent(ref)}${blobs ? '?blobs=true' : ''}`);
    return { status: res.status, json: (await res.json()) as { id?: string; sha?: string; siblings?: Sibling[]; error?: string } };
  };

  it('answers /api/models/{repo}/revision/{ref}?blobs=true as the real hub does: the commit, each file\'s size and git blob id, the LFS sha256 of the weights', async () => {
    const files = await hubFiles();
    for (const entry of REGISTRY) {
      const commit = hubRevision(entry);
      const refs = pinTier(entry) === 'first-install' ? [commit, entry.branch ?? 'main'] : [commit];
      for (const ref of refs) {
        const { status, json } = await api(entry.repo, ref);
        assert.equal(status, 200, `${entry.repo}@${ref}`);
        assert.equal(json.id, entry.repo);
        assert.equal(json.sha, commit, `${ref} resolves to ${commit}`);
        const mine = files.filter((f) => f.repo === entry.repo && f.revision === commit);
        assert.deepEqual(json.siblings?.map((x) => x.rfilename).sort(), mine.map((f) => f.path).sort(), 'every file at the commit is listed');
        for (const f of mine) {
          const sib = json.siblings?.find((x) => x.rfilename === f.path) as Sibling;
          assert.equal(sib.size, f.bytes, f.path);
          if (/\.(onnx|safetensors|bin)$/.test(f.path)) {
            assert.deepEqual({ sha256: sib.lfs?.sha256, size: sib.lfs?.size }, { sha256: f.sha256, size: f.bytes }, `${f.path} is an LFS file with its sha256`);
            const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${f.sha256}\nsize ${f.bytes}\n`;
            assert.equal(sib.blobId, createHash('sha1').update(`blob ${pointer.length}\0${pointer}`).digest('hex'), 'its blob is the LFS pointer');
          } else {
            const bytes = Buffer.from(await (await fetch(`${server.hubUrl}/${f.repo}/resolve/${commit}/${f.path}`)).arrayBuffer());
            assert.equal(sib.lfs, undefined, `${f.path} is not in LFS`);
            assert.equal(sib.blobId, createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex'), `${f.path}'s git blob id`);
          }
        }
        // the extension's own reading of the answer accepts it, at that commit, with a hash for every file
        if (pinTier(entry) === 'first-install') {
          const plan = hubRevisionPlan(entry, json);
          assert.equal(plan.revision, commit);
          assert.ok(plan.files.every((f) => f.sha256 !== undefined || f.gitBlob !== undefined), JSON.stringify(plan.files));
        }
      }
    }
    const sentiment = REGISTRY.find((m) => pinTier(m) === 'first-install');
    if (sentiment) {
      assert.equal(hubCommit(sentiment.repo, sentiment.branch ?? 'main'), hubRevision(sentiment));
      const plain = await api(sentiment.repo, sentiment.branch ?? 'main', false);
      assert.ok(plain.json.siblings?.every((x) => Object.keys(x).join() === 'rfilename'), 'without ?blobs=true only the names, as the real hub');
      assert.deepEqual([(await api(sentiment.repo, 'no-such-branch')).status, (await api(sentiment.repo, 'no-such-branch')).json.error], [404, 'Invalid rev id: no-such-branch']);
    }
    assert.equal((await api('nobody/nothing', 'main')).status, 404);
  });

  it('a \'replaced\' file is vouched for by the API; a moved branch resolves to a new commit serving one changed weights file', async (t) => {
    const entry = REGISTRY.find((m) => pinTier(m) === 'first-install');
    if (!entry) return t.skip('no first-install entry');
    const branch = entry.branch ?? 'main';
    const commit = hubRevision(entry);
    const weights = entry.files.map((f) => f.path).find((p) => /\.(bin|safetensors|onnx)$/.test(p)) as string;
    const original = Buffer.from(await (await fetch(`${server.hubUrl}/${entry.repo}/resolve/${commit}/${weights}`)).arrayBuffer());
    const lfsOf = async (ref: string) => (await api(entry.repo, ref)).json.siblings?.find((x) => x.rfilename === weights)?.lfs?.sha256;
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    server.hubFaults.set(`${entry.repo}/resolve/${commit}/${weights}`, 'replaced');
    try {
      const served = Buffer.from(await (await fetch(`${server.hubUrl}/${entry.repo}/resolve/${commit}/${weights}`)).arrayBuffer());
      assert.notEqual(sha(served), sha(original));
      assert.equal(await lfsOf(branch), sha(served), 'the API lists the replaced bytes');
    } finally {
      server.hubFaults.clear();
    }
    assert.equal(await lfsOf(branch), sha(original));
    const moved = await server.moveBranch(entry.repo, branch);
    try {
      assert.equal((await api(entry.repo, branch)).json.sha, moved);
      assert.equal(await server.branchCommit(entry.repo, branch), moved);
      const next = Buffer.from(await (await fetch(`${server.hubUrl}/${entry.repo}/resolve/${moved}/${weights}`)).arrayBuffer());
      assert.equal(next.length, original.length);
      assert.notEqual(sha(next), sha(original));
      assert.equal(await lfsOf(moved), sha(next));
      assert.equal(await lfsOf(commit), sha(original), 'the old commit is unchanged');
    } finally {
      server.resetBranches();
    }
    assert.equal((await api(entry.repo, branch)).json.sha, commit);
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
