// The release check: every entry of models/registry.json installs on a fresh profile. An entry pinned by Lens has a
// full commit hash and the sha256 of its weights; a "first-install" entry names a branch and carries no hashes of
// its own. parseRegistry refuses anything else, so a bad entry fails this test, the build (vite imports the
// registry) and the extension's start alike. The extension's side of the tiers is tested in tests/e2e.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelWeights, weightFiles } from '../src/shared/model-files.js';
import { REGISTRY, parseRegistry, pinTier, unpinnedWeights } from '../src/shared/registry.js';

const HASH = 'ab'.repeat(32);
const COMMIT = '6d49c30d06c6042041039f6fe076b011f0c2053c';
const entry = (files: Array<{ path: string; sha256?: string }>, extra: Record<string, unknown> = {}) => ({ id: 'a', name: 'A', task: 'qa', repo: 'o/r', revision: COMMIT, license: 'MIT', description: 'd', files, ...extra });

test('release check: every registry entry could install on a fresh profile', () => {
  assert.ok(REGISTRY.length >= 4);
  for (const m of REGISTRY) {
    const weights = modelWeights(m.files.map((f) => f.path));
    assert.ok(weights, `${m.id} lists weights`);
    if (pinTier(m) === 'registry') {
      assert.match(m.revision ?? '', /^[0-9a-f]{40}$/, `${m.id}: a full commit hash`);
      for (const path of weightFiles(m.files.map((f) => f.path))) assert.match(m.files.find((f) => f.path === path)?.sha256 ?? '', /^[0-9a-f]{64}$/, `${m.id}: sha256 of ${path}`);
    } else {
      assert.equal(m.revision, undefined, `${m.id}: a first-install entry's commit is resolved per profile`);
      assert.ok(m.branch, `${m.id}: names the branch to resolve`);
      assert.ok(m.files.every((f) => f.sha256 === undefined), `${m.id}: the hub's hashes, not the registry's`);
    }
  }
});

test('release registry: Ask, Sentiment and Zero-shot models, the sentiment one licensed with a reported accuracy', () => {
  const byTask = (task: string) => REGISTRY.filter((m) => m.task === task);
  assert.ok(byTask('qa').length >= 1 && byTask('classify').length >= 1 && byTask('zero-shot').length >= 1);
  const mnli = REGISTRY.find((m) => m.repo === 'Xenova/mobilebert-uncased-mnli');
  assert.equal(mnli?.revision, '8b0ea66ab7b190bba77418ba03b67d69cfc9a1ee');
  assert.deepEqual(mnli && unpinnedWeights(mnli), []);
  const sentiment = REGISTRY.find((m) => m.task === 'classify');
  assert.equal(sentiment?.license, 'Apache-2.0');
  assert.equal(sentiment?.reported?.value, 0.9037);
});

test('a sha256 in the registry must be 64 lowercase hex digits', () => {
  assert.equal(parseRegistry({ models: [entry([{ path: 'model.onnx', sha256: HASH }])] })[0].files[0].sha256, HASH);
  for (const bad of [HASH.toUpperCase(), HASH.slice(1), `sha256:${HASH}`, '', 42]) {
    assert.throws(() => parseRegistry({ models: [entry([{ path: 'model.onnx', sha256: bad as string }])] }), /the sha256 of model\.onnx must be 64 lowercase hex digits/, JSON.stringify(bad));
  }
});

test('an entry pinned by Lens without the sha256 of each weights file is refused: no profile could install it', () => {
  assert.throws(() => parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'model.onnx' }])] }), /entry a: no sha256 for model\.onnx at revision 6d49c30d.*no profile could install it.*"pin": "first-install"/);
  assert.throws(() => parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'model.onnx', sha256: HASH }, { path: 'onnx/model_quantized.onnx' }])] }), /no sha256 for onnx\/model_quantized\.onnx/, 'every ONNX file listed is downloaded, so each needs its pin');
  assert.throws(() => parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'pytorch_model.bin' }])] }), /no sha256 for pytorch_model\.bin/);
  const shards = [{ path: 'pytorch_model-00001-of-00002.bin', sha256: HASH }, { path: 'pytorch_model-00002-of-00002.bin' }];
  assert.throws(() => parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'pytorch_model.bin.index.json', sha256: HASH }, ...shards])] }), /no sha256 for pytorch_model-00002-of-00002\.bin/, 'every shard is weights');
  const [pinned] = parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'model.onnx', sha256: HASH }])] });
  assert.deepEqual(unpinnedWeights(pinned), [], 'the tokenizer and config files need no pin');
  assert.equal(pinTier(pinned), 'registry');
});

test('"pin": "first-install": a branch to resolve, no revision, no hashes of its own', () => {
  const files = [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'pytorch_model.bin' }];
  const [ok] = parseRegistry({ models: [entry(files, { revision: undefined, pin: 'first-install', branch: 'main' })] });
  assert.equal(pinTier(ok), 'first-install');
  assert.equal(ok.branch, 'main');
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    [{ pin: 'first-install', branch: 'main' }, /a "first-install" entry names a "branch", not a "revision"/],
    [{ revision: undefined, pin: 'first-install' }, /needs a "branch" to resolve/],
    [{ revision: undefined, pin: 'first-install', branch: '../x' }, /needs a "branch" to resolve/],
    [{ revision: undefined, pin: 'first-install', branch: '-x' }, /needs a "branch" to resolve/],
    [{ revision: undefined, pin: 'later', branch: 'main' }, /"pin" must be "first-install"/],
    [{ branch: 'main' }, /"branch" belongs to "pin": "first-install" entries/],
  ];
  for (const [extra, message] of refused) assert.throws(() => parseRegistry({ models: [entry(files, extra)] }), message, JSON.stringify(extra));
  assert.throws(() => parseRegistry({ models: [entry([...files.slice(0, 2), { path: 'pytorch_model.bin', sha256: HASH }], { revision: undefined, pin: 'first-install', branch: 'main' })] }), /takes its hashes from the hub at the first install; pytorch_model\.bin has a sha256 of its own/);
});

test('"reported" scores are checked', () => {
  const files = [{ path: 'model.onnx', sha256: HASH }];
  const reported = { metric: 'accuracy', value: 0.9, dataset: 'SST-2 dev', source: 'its model card' };
  assert.deepEqual(parseRegistry({ models: [entry(files, { reported })] })[0].reported, reported);
  for (const bad of [{ ...reported, value: 90.37 }, { ...reported, dataset: '' }, { value: 0.5 }]) {
    assert.throws(() => parseRegistry({ models: [entry(files, { reported: bad })] }), /"reported" must be/);
  }
});
