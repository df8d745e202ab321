// The model supply chain in Chromium. The registry pins each model to a commit and the sha256 of its weights, or
// marks it "pin": "first-install" (its branch is resolved through the hub's API at the first install, and this
// profile keeps the hub's hashes at that commit: tests/e2e/first-install.test.ts), and a download is checked
// against the pins before anything is stored:
// - a changed upstream file (the hub serves other bytes and vouches for them with its own headers) is refused,
//   naming the file and both hashes, with nothing stored; the unchanged file installs (so the check is the pin);
// - the release build (dist/chrome, real upstream hashes) refuses the fake hub's random-weight files of an entry
//   pinned by Lens, and installs a first-install entry from the hub's own answer (no registry hash involved).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { modelWeights } from '../../src/shared/model-files.js';
import { REGISTRY, pinTier, unpinnedWeights, type RegistryEntry } from '../../src/shared/registry.js';
import { CHROME_BUILD, chromiumUnavailable, type LensChromium } from './harness/chromium.js';
import { hubCommit, hubFilePath, hubRevision } from './harness/models.js';
import { hubSession } from './harness/session.js';
import { cachedUrls, card, installedRecord } from './harness/store.js';

const skip = chromiumUnavailable();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The weight file of an entry (its first ONNX file, or its checkpoint). */
function weightPath(entry: RegistryEntry): string {
  const w = modelWeights(entry.files.map((f) => f.path));
  assert.ok(w, `${entry.id} has weights`);
  return w.kind === 'onnx' ? w.paths[0] : w.path;
}

type Reply = { ok: true; value: unknown } | { ok: false; error: string };
const download = (page: Page, modelId: string): Promise<Reply> => page.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/download', modelId: id }), modelId);

async function assertNothingStored(lens: LensChromium, id: string): Promise<void> {
  assert.equal(await installedRecord(lens, id), undefined, 'no record');
  assert.deepEqual(await cachedUrls(lens), [], 'nothing in Cache Storage');
}

/** The QA model (ONNX on the hub) and the compact QA model (model.safetensors): one weight format each. */
const CHANGED = ['mobilebert-squad2', 'compact-bert-squad'].map((id) => REGISTRY.find((m) => m.id === id)).filter((m): m is RegistryEntry => m !== undefined);

describe('a changed upstream file is refused (a build pinned to the fake hub\'s files)', { skip }, () => {
  const session = hubSession();

  for (const entry of CHANGED) {
    const path = weightPath(entry);
    test(`${entry.id}: ${path} changed on the hub, with matching Content-Length and X-Linked-Etag: refused, nothing stored; unchanged it installs`, async () => {
      const pinned = readFileSync(hubFilePath(session.hubDir, { repo: entry.repo, revision: hubRevision(entry), path }));
      // the hub's change, as the fake hub makes it ('replaced': one byte differs)
      const changed = Buffer.from(pinned);
      changed[changed.length >> 1] ^= 0x01;
      session.server.hubFaults.set(`${entry.repo}/resolve/${hubRevision(entry)}/${path}`, 'replaced');
      let reply: Reply;
      try {
        reply = await download(session.options, entry.id);
      } finally {
        session.server.hubFaults.clear();
      }
      assert.equal(reply.ok, false, 'the download is refused');
      const error = reply.ok ? '' : reply.error;
      assert.ok(error.includes(`${path} of ${entry.repo} failed verification`), error);
      assert.ok(error.includes(`its sha256 is ${sha256(changed)}`), `the actual hash is named: ${error}`);
      assert.ok(error.includes(`the registry pins ${sha256(pinned)} for revision ${entry.revision}`), `the pinned hash is named: ${error}`);
      await assertNothingStored(session.lens, entry.id);

      // the control: the same download with the hub's unchanged file is verified and installed
      const ok = await download(session.options, entry.id);
      assert.equal(ok.ok, true, JSON.stringify(ok));
      const record = await installedRecord(session.lens, entry.id);
      assert.equal(record?.source, 'hub');
      const removed = await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/remove', modelId: id }), entry.id);
      assert.equal(removed.ok, true);
      await assertNothingStored(session.lens, entry.id);
    });
  }

  test('the options page shows the refusal on the model\'s card', async () => {
    const entry = CHANGED[0];
    const path = weightPath(entry);
    session.server.hubFaults.set(`${entry.repo}/resolve/${hubRevision(entry)}/${path}`, 'replaced');
    try {
      await session.options.click(`${card(entry.id)} [data-testid="download"]`);
      await session.options.waitForSelector(`${card(entry.id)} [data-testid="model-error"]`, { timeout: 30_000 });
    } finally {
      session.server.hubFaults.clear();
    }
    assert.match((await session.options.textContent(`${card(entry.id)} [data-testid="model-error"]`)) ?? '', new RegExp(`${path.replace('.', '\\.')} of .* failed verification: its sha256 is [0-9a-f]{64}, the registry pins [0-9a-f]{64}`, 'i'));
    assert.equal(await session.options.getAttribute(card(entry.id), 'data-state'), 'absent');
    await assertNothingStored(session.lens, entry.id);
  });
});

/** Release entries pinned by Lens (the real upstream sha256 of their weights; a checkpoint one first), and one installed on first use. */
const PINNED = REGISTRY.find((m) => pinTier(m) === 'registry' && unpinnedWeights(m).length === 0 && modelWeights(m.files.map((f) => f.path))?.kind === 'checkpoint') ?? REGISTRY.find((m) => pinTier(m) === 'registry' && unpinnedWeights(m).length === 0);
const FIRST_INSTALL = REGISTRY.find((m) => pinTier(m) === 'first-install');

describe('the release build (dist/chrome) holds the real upstream pins', { skip }, () => {
  const session = hubSession({ extensionDir: () => CHROME_BUILD });

  test('the fake hub\'s random-weight file is not the pinned upstream file: refused, nothing stored', { skip: PINNED ? false : 'no registry entry pins its weights' }, async () => {
    const entry = PINNED as RegistryEntry;
    const path = weightPath(entry);
    const pin = entry.files.find((f) => f.path === path)?.sha256 as string;
    const reply = await download(session.options, entry.id);
    assert.equal(reply.ok, false);
    const error = reply.ok ? '' : reply.error;
    // an exact size in the registry may refuse it first (by its Content-Length); an approximate one leaves it to the hash
    if (entry.files.find((f) => f.path === path)?.approx) {
      assert.ok(error.includes(`its sha256 is ${sha256(readFileSync(hubFilePath(session.hubDir, { repo: entry.repo, revision: hubRevision(entry), path })))}`), error);
      assert.ok(error.includes(`the registry pins ${pin}`), error);
    } else {
      assert.match(error, new RegExp(`${path.replace('.', '\\.')} of .*(failed verification|the registry expects)`));
    }
    await assertNothingStored(session.lens, entry.id);
  });

  test('a first-install entry needs no hash from the registry: its branch is resolved once through the hub\'s API, its files fetched at that commit', { skip: FIRST_INSTALL ? false : 'no registry entry is "pin": "first-install"' }, async () => {
    const entry = FIRST_INSTALL as RegistryEntry;
    const commit = hubCommit(entry.repo, entry.branch ?? 'main');
    session.server.clearRequests();
    const reply = await download(session.options, entry.id);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const hub = session.server.requests.filter((r) => r.server === 'hub' && r.method === 'GET').map((r) => new URL(r.url).pathname + new URL(r.url).search);
    assert.deepEqual(hub.filter((u) => u.includes('/api/')), [`/hub/api/models/${entry.repo}/revision/${entry.branch}?blobs=true`], 'one API call, for the branch, with the blobs (hashes)');
    const files = hub.filter((u) => !u.includes('/api/'));
    assert.ok(files.length > 0 && files.every((u) => u.startsWith(`/hub/${entry.repo}/resolve/${commit}/`)), `every file at the resolved commit, none at the branch: ${JSON.stringify(files)}`);
    assert.ok(hub.indexOf(hub.find((u) => u.includes('/api/')) as string) === 0, 'the commit is resolved before any file is fetched');
    assert.equal((await installedRecord(session.lens, entry.id))?.source, 'hub');
    const removed = await session.options.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/remove', modelId: id }), entry.id);
    assert.equal(removed.ok, true);
    await assertNothingStored(session.lens, entry.id);
  });
});
