// The download plan of each verification tier (src/shared/first-install.ts): what is fetched at which commit and
// what each file must hash to. The extension's downloads against a fake hub serving the same API are in tests/e2e.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { devicePinPlan, gitBlobId, hubRevisionPlan, pinFits, pinText, registryPlan, sha256Hex, type DevicePin } from '../src/shared/first-install.js';
import { REGISTRY, parseRegistry, type RegistryEntry } from '../src/shared/registry.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const WEIGHTS_SHA = 'ab'.repeat(32);
const [entry] = parseRegistry({
  models: [
    {
      id: 'sst2',
      name: 'SST-2',
      task: 'classify',
      repo: 'owner/mobilebert_sst2',
      pin: 'first-install',
      branch: 'main',
      license: 'Apache-2.0',
      description: 'd',
      files: [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'tokenizer.json', optional: true }, { path: 'pytorch_model.bin', size: 98_000_000, approx: true }],
    },
  ],
});

/** The hub's answer to /api/models/{repo}/revision/main?blobs=true, in its real shape. */
const hubAnswer = (siblings: unknown[], sha: unknown = COMMIT) => ({ id: entry.repo, sha, siblings });
const SIBLINGS = [
  { rfilename: '.gitattributes', size: 1477, blobId: 'c7d9f3332a950355d5a77d85000f05e6f45435ea' },
  { rfilename: 'config.json', size: 700, blobId: '1111111111111111111111111111111111111111' },
  { rfilename: 'vocab.txt', size: 231508, blobId: '2222222222222222222222222222222222222222' },
  { rfilename: 'pytorch_model.bin', size: 98_765_432, blobId: '3333333333333333333333333333333333333333', lfs: { sha256: WEIGHTS_SHA, size: 98_765_432, pointerSize: 134 } },
];

test('a first install: the branch\'s commit, the weights checked against the hub\'s LFS sha256, small files against their git blob id', () => {
  const plan = hubRevisionPlan(entry, hubAnswer(SIBLINGS));
  assert.equal(plan.revision, COMMIT);
  assert.deepEqual(plan.firstInstall, { branch: 'main' });
  assert.deepEqual(plan.files, [
    { path: 'config.json', size: 700, gitBlob: '1111111111111111111111111111111111111111', by: 'hub-git' },
    { path: 'vocab.txt', size: 231508, gitBlob: '2222222222222222222222222222222222222222', by: 'hub-git' },
    // tokenizer.json is optional and not in the repository: not fetched
    { path: 'pytorch_model.bin', size: 98_765_432, sha256: WEIGHTS_SHA, by: 'hub-lfs' },
  ]);
});

test('a first install refuses, before any file is fetched, what it could not verify', () => {
  const without = (name: string) => SIBLINGS.filter((s) => s.rfilename !== name);
  const cases: Array<[unknown, RegExp]> = [
    [hubAnswer(SIBLINGS, 'main'), /names no full commit hash \(sha: "main"\)/],
    [hubAnswer(SIBLINGS, COMMIT.slice(0, 7)), /names no full commit hash/],
    [{ sha: COMMIT }, /lists no files/],
    [[], /is not a JSON object/],
    [hubAnswer(without('vocab.txt')), /the hub lists no vocab\.txt in owner\/mobilebert_sst2 at commit 0123456 \(main\)/],
    // weights that are not in LFS (or whose LFS record has no sha256) have no content hash from the hub
    [hubAnswer([...without('pytorch_model.bin'), { rfilename: 'pytorch_model.bin', size: 10, blobId: '3'.repeat(40) }]), /the hub gives no LFS sha256 for pytorch_model\.bin .*refused/],
    [hubAnswer([...without('pytorch_model.bin'), { rfilename: 'pytorch_model.bin', size: 10, lfs: { sha256: 'nope', size: 10 } }]), /no LFS sha256 for pytorch_model\.bin/],
    [hubAnswer([...without('config.json'), { rfilename: 'config.json', size: 700 }]), /no git blob id and size for config\.json/],
  ];
  for (const [json, message] of cases) assert.throws(() => hubRevisionPlan(entry, json), message, JSON.stringify(json).slice(0, 80));
});

test('file names from the hub never become object keys', () => {
  const plan = hubRevisionPlan(entry, hubAnswer([...SIBLINGS, { rfilename: '__proto__', size: 1, blobId: '4'.repeat(40) }, { rfilename: 'constructor', size: 1 }]));
  assert.equal(plan.files.length, 3);
  assert.equal(({} as Record<string, unknown>).size, undefined);
});

test('after the first install: the recorded commit and every file\'s recorded sha256, for as long as the pin fits the entry', () => {
  const pin: DevicePin = { repo: entry.repo, branch: 'main', commit: COMMIT, files: [{ path: 'config.json', sha256: 'cd'.repeat(32), size: 700 }, { path: 'vocab.txt', sha256: 'ef'.repeat(32), size: 231508 }, { path: 'pytorch_model.bin', sha256: WEIGHTS_SHA, size: 98_765_432 }], pinnedAt: 1 };
  assert.ok(pinFits(entry, pin));
  const plan = devicePinPlan(entry, pin);
  assert.equal(plan.revision, COMMIT);
  assert.equal(plan.firstInstall, undefined, 'nothing new to record');
  assert.deepEqual(plan.files.map((f) => [f.path, f.sha256, f.by]), [['config.json', 'cd'.repeat(32), 'device'], ['vocab.txt', 'ef'.repeat(32), 'device'], ['pytorch_model.bin', WEIGHTS_SHA, 'device']]);
  // the registry now names another repository or branch: the pin is not this entry's
  assert.equal(pinFits(entry, { ...pin, repo: 'other/repo' }), false);
  assert.equal(pinFits(entry, { ...pin, branch: 'dev' }), false);
  assert.equal(pinFits(entry, undefined), false);
  // a required file the pin has no hash for cannot be vouched for
  assert.throws(() => devicePinPlan(entry, { ...pin, files: pin.files.slice(1) }), /pinned on this device at commit 0123456 without config\.json/);
  assert.match(pinText(entry, pin), /^pinned on this device at first install, commit 0123456$/);
  assert.match(pinText(entry, undefined), /^pinned on this device at first install \(branch main is resolved/);
});

test('an entry pinned by Lens: the registry\'s commit and hashes', () => {
  const pinned = REGISTRY.find((m) => m.pin === undefined) as RegistryEntry;
  const plan = registryPlan(pinned);
  assert.equal(plan.revision, pinned.revision);
  const weights = plan.files.find((f) => f.sha256 !== undefined);
  assert.equal(weights?.by, 'registry');
  assert.match(pinText(pinned, undefined), new RegExp(`^pinned by Lens \\(commit ${pinned.revision?.slice(0, 7)}`));
});

test('git blob ids and sha256 as git and the hub compute them', async () => {
  const hello = new TextEncoder().encode('hello');
  assert.equal(await gitBlobId(hello), 'b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0');
  assert.equal(await gitBlobId(new Uint8Array(0)), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  assert.equal(await sha256Hex(hello), createHash('sha256').update('hello').digest('hex'));
});
