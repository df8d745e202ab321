// The registry's sha256 pins: their form is checked when the registry is read, and which entries' weights are
// not pinned (a hub download of those is refused; the extension's side is tested in tests/e2e/supply-chain.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REGISTRY, parseRegistry, unpinnedWeights } from '../src/shared/registry.js';

const HASH = 'ab'.repeat(32);
const entry = (files: Array<{ path: string; sha256?: string }>) => ({ id: 'a', name: 'A', task: 'qa', repo: 'o/r', revision: '0123abc', license: 'MIT', description: 'd', files });

test('a sha256 in the registry must be 64 lowercase hex digits', () => {
  assert.equal(parseRegistry({ models: [entry([{ path: 'model.onnx', sha256: HASH }])] })[0].files[0].sha256, HASH);
  for (const bad of [HASH.toUpperCase(), HASH.slice(1), `sha256:${HASH}`, '', 42]) {
    assert.throws(() => parseRegistry({ models: [entry([{ path: 'model.onnx', sha256: bad as string }])] }), /the sha256 of model\.onnx must be 64 lowercase hex digits/, JSON.stringify(bad));
  }
});

test('unpinned weights: the ONNX files or model.safetensors without a sha256; other files do not count', () => {
  const [onnx] = parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'model.onnx' }])] });
  assert.deepEqual(unpinnedWeights(onnx), ['model.onnx']);
  const [pinned] = parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'model.onnx', sha256: HASH }])] });
  assert.deepEqual(unpinnedWeights(pinned), [], 'the tokenizer and config files need no pin');
  const [two] = parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'model.onnx', sha256: HASH }, { path: 'onnx/model_quantized.onnx' }])] });
  assert.deepEqual(unpinnedWeights(two), ['onnx/model_quantized.onnx'], 'every ONNX file listed is downloaded, so each needs its pin');
  const [checkpoint] = parseRegistry({ models: [entry([{ path: 'config.json' }, { path: 'model.safetensors' }])] });
  assert.deepEqual(unpinnedWeights(checkpoint), ['model.safetensors']);
});

test('the release registry pins the weights of the default QA model and of the compact QA model', () => {
  for (const id of ['mobilebert-squad2', 'compact-bert-squad']) {
    const m = REGISTRY.find((e) => e.id === id);
    assert.ok(m, id);
    assert.deepEqual(unpinnedWeights(m), [], `${id} is downloadable from the hub`);
    // pinned files belong to a full commit hash (a 7-hex short one could, in principle, come to match a second commit)
    assert.match(m.revision, /^[0-9a-f]{40}$/);
  }
});
