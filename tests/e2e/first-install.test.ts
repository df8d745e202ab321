// A "pin": "first-install" model (the registry names its repository and branch, no commit and no hash) in Chromium,
// against the fake hub and its API (/api/models/{repo}/revision/{ref}?blobs=true):
// - the first install resolves the branch to a commit through the API, fetches every file at that commit and checks
//   it against the API's hashes (the LFS sha256 of the weights, the git blob id of small files): a file that is
//   not what the API lists is refused, and an API that does not answer stops it, with nothing stored or pinned;
// - once installed, the profile records the commit and each file's sha256 (devicePins), the options card says
//   "pinned on this device at first install, commit abc1234", the weights (pytorch_model.bin) are built into ONNX
//   and not kept, and the model answers;
// - removed and downloaded again, it is held to that record, without asking the API: a changed upstream file the
//   hub now vouches for is refused naming both hashes and "this device pinned", the unchanged one installs from the
//   same commit, and a branch moved upstream to a new commit is not followed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { modelWeights } from '../../src/shared/model-files.js';
import { REGISTRY, pinTier, type RegistryEntry } from '../../src/shared/registry.js';
import { chromiumUnavailable, type LensChromium } from './harness/chromium.js';
import { hubCommit, hubFilePath } from './harness/models.js';
import { changedBytes, type HubSibling } from './harness/server.js';
import { hubSession } from './harness/session.js';
import { cachedUrls, card, devicePins, installedRecord } from './harness/store.js';

const ENTRY = REGISTRY.find((m) => pinTier(m) === 'first-install');
const skip = chromiumUnavailable() || (ENTRY ? false : 'skipped: models/registry.json has no "pin": "first-install" entry');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

type Reply = { ok: true; value: unknown } | { ok: false; error: string };
const download = (page: Page, modelId: string): Promise<Reply> => page.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/download', modelId: id }), modelId);

async function remove(page: Page, modelId: string): Promise<void> {
  const reply = await page.evaluate((id) => chrome.runtime.sendMessage({ type: 'models/remove', modelId: id }), modelId);
  assert.equal(reply.ok, true, JSON.stringify(reply));
}

async function assertNothingStored(lens: LensChromium, id: string): Promise<void> {
  assert.equal(await installedRecord(lens, id), undefined, 'no record');
  assert.deepEqual(await cachedUrls(lens), [], 'nothing in Cache Storage');
}

describe('a model pinned on this device at its first install, in Chromium (fake hub and its API)', { skip, timeout: 600_000 }, () => {
  const session = hubSession();
  const entry = ENTRY as RegistryEntry;
  const branch = entry.branch ?? 'main';
  const commit = hubCommit(entry.repo, branch);
  const short = commit.slice(0, 7);
  const weights = (() => {
    const w = modelWeights(entry.files.map((f) => f.path));
    assert.ok(w, `${entry.id} has weights`);
    return w.kind === 'onnx' ? w.paths[0] : w.path;
  })();
  const apiPath = `/hub/api/models/${entry.repo}/revision/${branch}`;
  const hubFile = (path: string) => readFileSync(hubFilePath(session.hubDir, { repo: entry.repo, revision: commit, path }));
  /** the hub's requests since the last clearRequests(): the API's, and the files' paths under /hub/ */
  const hubRequests = () => {
    const paths = session.server.requests.filter((r) => r.server === 'hub' && r.method === 'GET').map((r) => new URL(r.url).pathname);
    return { api: paths.filter((p) => p.startsWith('/hub/api/')), files: paths.filter((p) => !p.startsWith('/hub/api/')) };
  };
  /** what the hub's API says now about a file at the branch's commit (asked from Node, not by the extension) */
  const apiSays = async (path: string): Promise<{ sha: string; file?: HubSibling }> => {
    const res = await fetch(`${session.server.hubUrl}/api/models/${entry.repo}/revision/${branch}?blobs=true`);
    assert.equal(res.status, 200);
    const json = (await res.json()) as { sha: string; siblings: HubSibling[] };
    return { sha: json.sha, file: json.siblings.find((s) => s.rfilename === path) };
  };

  test('before a first install the API is the only voucher: a weights file or a small file that is not what it lists is refused, an API error stops it; nothing stored, nothing pinned', async () => {
    const cases: Array<[string, string, RegExp | string]> = [
      [`${entry.repo}/resolve/${commit}/${weights}`, 'corrupt', `${weights} of ${entry.repo} failed verification: its sha256 is ${sha256((() => {
        const b = Buffer.from(hubFile(weights));
        b[b.length >> 1] ^= 0xff;
        return b;
      })())}, the hub's API gives ${sha256(hubFile(weights))} for commit ${short}`],
      [`${entry.repo}/resolve/${commit}/config.json`, 'corrupt', new RegExp(`config\\.json of ${entry.repo} failed verification: its git blob id is [0-9a-f]{40}, the hub's API gives git blob ${createHash('sha1').update(`blob ${hubFile('config.json').length}\0`).update(hubFile('config.json')).digest('hex')} for commit ${short}`)],
      [apiPath.slice('/hub/'.length), 'missing', new RegExp(`resolving ${entry.repo} at ${branch} failed: HTTP 404`)],
      [apiPath.slice('/hub/'.length), 'error', new RegExp(`resolving ${entry.repo} at ${branch} failed: HTTP 500`)],
    ];
    for (const [key, fault, message] of cases) {
      session.server.hubFaults.set(key, fault as 'corrupt' | 'missing' | 'error');
      session.server.clearRequests();
      let reply: Reply;
      try {
        reply = await download(session.options, entry.id);
      } finally {
        session.server.hubFaults.clear();
      }
      assert.equal(reply.ok, false, `${fault} ${key}: refused`);
      const error = reply.ok ? '' : reply.error;
      if (typeof message === 'string') assert.ok(error.includes(message), `${fault} ${key}: ${error}`);
      else assert.match(error, message);
      assert.equal(hubRequests().api.length, 1, 'the API was asked once');
      await assertNothingStored(session.lens, entry.id);
      assert.equal((await devicePins(session.lens))[entry.id], undefined, 'nothing is pinned by a failed install');
    }
  });

  test(`first install from the options page: commit and hashes recorded on this device; ${weights} built into ONNX, not kept; the card says which commit; it answers`, async () => {
    await session.options.reload();
    const cardSel = card(entry.id);
    await session.options.waitForSelector(`${cardSel} [data-testid="model-pin"]`);
    assert.match((await session.options.textContent(`${cardSel} [data-testid="model-pin"]`)) ?? '', /pinned on this device at first install/, 'the tier is shown before the install');
    session.server.clearRequests();
    await session.options.click(`${cardSel} [data-testid="download"]`);
    await session.options.waitForSelector(`${cardSel}[data-state="installed"]`, { timeout: 120_000 });

    const { api, files } = hubRequests();
    assert.deepEqual(api, [apiPath], 'the branch was resolved once');
    assert.ok(files.length > 0 && files.every((p) => p.startsWith(`/hub/${entry.repo}/resolve/${commit}/`)), `every file came from the resolved commit: ${JSON.stringify(files)}`);

    const pin = (await devicePins(session.lens))[entry.id];
    assert.ok(pin, 'the first install is recorded in devicePins');
    assert.equal(pin.repo, entry.repo);
    assert.equal(pin.branch, branch);
    assert.equal(pin.commit, commit, 'the commit the API resolved the branch to');
    const pinned = new Map(pin.files.map((f) => [f.path, f]));
    assert.deepEqual(pinned.get(weights), { path: weights, sha256: sha256(hubFile(weights)), size: hubFile(weights).length }, `the sha256 and size of ${weights}`);
    for (const f of entry.files.filter((x) => !x.optional)) assert.equal(pinned.get(f.path)?.sha256, sha256(hubFile(f.path)), `${f.path} is pinned to the bytes the hub served`);

    const record = await installedRecord(session.lens, entry.id);
    assert.equal(record?.source, 'hub');
    assert.equal(record?.revision, commit, 'the install record names the commit');
    const paths = record?.files.map((f) => f.path) ?? [];
    assert.equal(record?.files.find((f) => f.path === 'onnx/model.onnx')?.derived, 'onnx', `onnx/model.onnx was built on the device: ${JSON.stringify(paths)}`);
    assert.equal(record?.files.find((f) => f.path === 'onnx/model_quantized.onnx')?.derived, 'int8');
    assert.ok(!paths.includes(weights), `${weights} is not kept once built`);
    assert.ok(!(await cachedUrls(session.lens)).some((u) => u.endsWith(`/${weights}`)), `${weights} is gone from Cache Storage`);

    await session.options.waitForFunction(
      ([sel, text]) => document.querySelector(sel)?.textContent?.includes(text) ?? false,
      [`${cardSel} [data-testid="model-pin"]`, `pinned on this device at first install, commit ${short}`] as const,
    );
    if (entry.reported) assert.match((await session.options.textContent(`${cardSel} [data-testid="model-reported"]`)) ?? '', new RegExp(`${(entry.reported.value * 100).toFixed(1).replace('.', '\\.')}% ${entry.reported.metric} on ${entry.reported.dataset}`));

    const reply = await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'classify/run', requestId: crypto.randomUUID(), mode: 'sentiment', text: 'A gorgeous, witty and deeply moving film.' }));
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.equal(reply.value.modelId, entry.id);
    if (entry.labels) assert.deepEqual((reply.value.scores as Array<{ label: string }>).map((s) => s.label).sort(), [...entry.labels].sort());
  });

  test(`removed; ${weights} then changes upstream at that commit and the hub's API vouches for it: the re-download is refused against this device's pin, without asking the API; unchanged, it installs again from the same commit`, async () => {
    const before = (await devicePins(session.lens))[entry.id];
    assert.ok(before, 'installed by the test before');
    await remove(session.options, entry.id);
    await assertNothingStored(session.lens, entry.id);
    assert.deepEqual((await devicePins(session.lens))[entry.id], before, 'the pin outlives the model');

    const original = hubFile(weights);
    const changed = changedBytes(original);
    session.server.hubFaults.set(`${entry.repo}/resolve/${commit}/${weights}`, 'replaced');
    let reply: Reply;
    try {
      // the premise: the hub stands behind the changed file (a first install now would take it)
      const says = await apiSays(weights);
      assert.equal(says.sha, commit);
      assert.equal(says.file?.lfs?.sha256, sha256(changed), 'the API lists the changed bytes');
      session.server.clearRequests();
      reply = await download(session.options, entry.id);
    } finally {
      session.server.hubFaults.clear();
    }
    assert.equal(reply.ok, false, 'refused');
    const error = reply.ok ? '' : reply.error;
    assert.ok(error.includes(`${weights} of ${entry.repo} failed verification: its sha256 is ${sha256(changed)}, this device pinned ${sha256(original)} at its first install (commit ${short})`), error);
    assert.deepEqual(hubRequests().api, [], 'the API is not asked once the model is pinned on this device');
    await assertNothingStored(session.lens, entry.id);
    assert.deepEqual((await devicePins(session.lens))[entry.id], before, 'the pin is unchanged');

    session.server.clearRequests();
    const ok = await download(session.options, entry.id);
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const { api, files } = hubRequests();
    assert.deepEqual(api, []);
    assert.ok(files.length > 0 && files.every((p) => p.startsWith(`/hub/${entry.repo}/resolve/${commit}/`)), JSON.stringify(files));
    assert.equal((await installedRecord(session.lens, entry.id))?.revision, commit);
  });

  test('the branch moves upstream to a new commit with other weights: a re-download still fetches the pinned commit, and the API is not asked', async () => {
    await remove(session.options, entry.id);
    const moved = await session.server.moveBranch(entry.repo, branch, weights);
    try {
      assert.notEqual(moved, commit);
      const says = await apiSays(weights);
      assert.equal(says.sha, moved, 'the hub resolves the branch to the new commit');
      assert.notEqual(says.file?.lfs?.sha256, sha256(hubFile(weights)), 'whose weights differ');
      session.server.clearRequests();
      const reply = await download(session.options, entry.id);
      assert.equal(reply.ok, true, JSON.stringify(reply));
      const { api, files } = hubRequests();
      assert.deepEqual(api, [], 'the API is not asked');
      assert.ok(files.length > 0 && files.every((p) => p.startsWith(`/hub/${entry.repo}/resolve/${commit}/`)), `the pinned commit, not ${moved}: ${JSON.stringify(files)}`);
      assert.equal((await devicePins(session.lens))[entry.id]?.commit, commit);
      assert.equal((await installedRecord(session.lens, entry.id))?.revision, commit);
    } finally {
      session.server.resetBranches();
    }
    await remove(session.options, entry.id);
  });
});
