// Which weights a model folder or registry entry brings (an ONNX file, or a checkpoint the extension builds its
// ONNX file from: model.safetensors, pytorch_model.bin whole or sharded), which files of a folder are kept, what
// is refused (pickles Lens has no reader for), and which installs end with the on-device build and int8 steps.
// File names only: the extension's Chromium tests do the installs themselves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILT_ONNX_PATH, checkModelFolder, isCheckpointFile, isUnreadablePickle, modelFolderFiles, modelWeights } from '../src/shared/model-files.js';
import { REGISTRY, labelName, makesInt8OnDevice, onDeviceInt8Source, parseRegistry } from '../src/shared/registry.js';

const TOKENIZER = ['config.json', 'vocab.txt', 'tokenizer_config.json'];

test('the built file is where the engine looks first', () => {
  assert.equal(BUILT_ONNX_PATH, 'onnx/model.onnx');
});

test('a folder\'s weights: ONNX files first, else model.safetensors, else pytorch_model.bin, else a sharded pytorch checkpoint', () => {
  assert.deepEqual(modelWeights([...TOKENIZER, 'model.onnx']), { kind: 'onnx', paths: ['model.onnx'] });
  assert.deepEqual(modelWeights([...TOKENIZER, 'model.safetensors', 'onnx/model_quantized.onnx']), { kind: 'onnx', paths: ['onnx/model_quantized.onnx'] });
  assert.deepEqual(modelWeights([...TOKENIZER, 'model.safetensors', 'pytorch_model.bin']), { kind: 'checkpoint', path: 'model.safetensors', format: 'safetensors' });
  assert.deepEqual(modelWeights([...TOKENIZER, 'pytorch_model.bin', 'tf_model.h5']), { kind: 'checkpoint', path: 'pytorch_model.bin', format: 'pytorch' });
  const shards = ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'];
  assert.deepEqual(modelWeights([...TOKENIZER, 'pytorch_model.bin.index.json', ...shards]), { kind: 'checkpoint', path: 'pytorch_model.bin.index.json', format: 'pytorch-sharded' });
  assert.equal(modelWeights([...TOKENIZER, 'tf_model.h5', 'flax_model.msgpack']), undefined);
});

test('the files a folder keeps: config, tokenizer and the weights it runs; other formats beside them are not read', () => {
  const hubFolder = [...TOKENIZER, 'README.md', 'tf_model.h5', 'training_args.bin', 'model.safetensors', 'pytorch_model.bin', 'onnx/model.onnx', 'onnx/model_fp16.onnx'];
  assert.deepEqual(modelFolderFiles(hubFolder), [...TOKENIZER, 'onnx/model.onnx']);
  assert.deepEqual(modelFolderFiles(hubFolder.filter((p) => !p.startsWith('onnx/'))), [...TOKENIZER, 'model.safetensors']);
  assert.deepEqual(modelFolderFiles([...TOKENIZER, 'training_args.bin', 'pytorch_model.bin']), [...TOKENIZER, 'pytorch_model.bin']);
  const shards = ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'];
  assert.deepEqual(modelFolderFiles([...TOKENIZER, 'pytorch_model.bin.index.json', ...shards]), [...TOKENIZER, 'pytorch_model.bin.index.json', ...shards]);
  for (const p of ['model.safetensors', 'pytorch_model.bin', 'pytorch_model.bin.index.json', shards[0]]) assert.ok(isCheckpointFile(p), p);
  for (const p of ['config.json', 'onnx/model.onnx', 'training_args.bin']) assert.ok(!isCheckpointFile(p), p);
});

test('a folder import is checked by its file names before anything is read', () => {
  assert.deepEqual(checkModelFolder([...TOKENIZER, 'model.safetensors', 'pytorch_model.bin']), { kind: 'checkpoint', path: 'model.safetensors', format: 'safetensors' });
  assert.equal(checkModelFolder([...TOKENIZER, 'pytorch_model.bin']).kind, 'checkpoint');
  assert.equal(checkModelFolder(['config.json', 'tokenizer.json', 'onnx/model.onnx']).kind, 'onnx');
  assert.throws(() => checkModelFolder([...TOKENIZER, 'model.pt']), /not a model folder: no model\.safetensors, pytorch_model\.bin or ONNX file \(onnx\/model\.onnx or model\.onnx\); model\.pt is not a transformers checkpoint Lens reads$/);
  assert.throws(() => checkModelFolder([...TOKENIZER, 'pytorch_model-00001-of-00002.bin']), /has PyTorch shards \(pytorch_model-00001-of-00002\.bin\) but no pytorch_model\.bin\.index\.json/);
  assert.throws(() => checkModelFolder(TOKENIZER), /not a model folder: no model\.safetensors, pytorch_model\.bin or ONNX file \(onnx\/model\.onnx or model\.onnx\)$/);
  assert.throws(() => checkModelFolder(['model.safetensors']), /not a model folder: no config\.json, no vocab\.txt or tokenizer\.json$/);
  for (const p of ['sub/model.pt', 'weights.pth', 'model.ckpt', 'x.pkl', 'pytorch_lora.bin']) assert.ok(isUnreadablePickle(p), p);
  for (const p of ['pytorch_model.bin', 'pytorch_model-00001-of-00002.bin', 'model.safetensors', 'vocab.txt', 'tf_model.h5', 'model.onnx']) assert.ok(!isUnreadablePickle(p), p);
});

test('registry: model.safetensors is a source of weights (also for "int8": "on-device"); pickles, both formats, no weights and bad modelType are refused', () => {
  const entry = { id: 'a', name: 'A', task: 'classify', repo: 'o/r', revision: 'c'.repeat(40), license: 'MIT', description: 'd', files: [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'model.safetensors', sha256: 'ab'.repeat(32) }] };
  assert.equal(parseRegistry({ models: [entry] }).length, 1);
  assert.equal(parseRegistry({ models: [{ ...entry, files: [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'pytorch_model.bin', sha256: 'ab'.repeat(32) }] }] }).length, 1);
  assert.equal(parseRegistry({ models: [{ ...entry, int8: 'on-device', modelType: 'bert' }] })[0].modelType, 'bert');
  const refused: Array<[object, RegExp]> = [
    [{ ...entry, files: [...entry.files, { path: 'model.pt' }] }, /entry a: model\.pt is a pickle Lens has no reader for; list model\.safetensors, pytorch_model\.bin or an ONNX file/],
    [{ ...entry, files: [{ path: 'config.json' }, { path: 'vocab.txt' }] }, /entry a: no weights: list model\.safetensors, pytorch_model\.bin or an ONNX file/],
    [{ ...entry, files: [...entry.files, { path: 'onnx/model.onnx' }] }, /entry a: lists model\.safetensors and onnx\/model\.onnx; list one or the other/],
    [{ ...entry, files: [...entry.files, { path: 'pytorch_model.bin' }] }, /entry a: lists model\.safetensors and pytorch_model\.bin; list one checkpoint/],
    [{ ...entry, files: [{ path: 'vocab.txt' }, { path: 'model.safetensors' }] }, /entry a: model\.safetensors needs config\.json/],
    [{ ...entry, modelType: 'roberta' }, /entry a: "modelType" must be "mobilebert" or "bert" \(got "roberta"\)/],
  ];
  for (const [bad, message] of refused) assert.throws(() => parseRegistry({ models: [bad] }), message);
});

test('an install that built its ONNX file always makes the int8 file; one that brought ONNX only where the registry asks', () => {
  const checkpointEntry = REGISTRY.find((m) => modelWeights(m.files.map((f) => f.path))?.kind === 'checkpoint');
  const zeroShot = REGISTRY.find((m) => m.task === 'zero-shot' && m.int8 === undefined);
  assert.ok(checkpointEntry && zeroShot);
  assert.equal(makesInt8OnDevice(checkpointEntry), true);
  assert.equal(makesInt8OnDevice(zeroShot), false);
  const built = ['config.json', 'vocab.txt', BUILT_ONNX_PATH];
  assert.equal(onDeviceInt8Source(checkpointEntry, built, true), BUILT_ONNX_PATH);
  // a checkpoint folder imported into a model whose registry entry has the hub's int8 file: built, then quantized too
  assert.equal(onDeviceInt8Source(zeroShot, built, true), BUILT_ONNX_PATH);
  assert.equal(onDeviceInt8Source(zeroShot, built), undefined);
});

test('registry: revisions are full commit hashes (a branch or a short hash is refused); speed is checked; generic LABEL_n names get the registry\'s names', () => {
  const entry = { id: 'a', name: 'A', task: 'classify', repo: 'o/r', revision: '6d49c30d06c6042041039f6fe076b011f0c2053c', license: 'MIT', description: 'd', labels: ['negative', 'positive'], files: [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'model.safetensors', sha256: 'ab'.repeat(32) }] };
  assert.equal(parseRegistry({ models: [entry] }).length, 1);
  for (const revision of ['main', 'v1.0', '0123ab', '0123abc', '6D49C30', '6d49c30d06c6042041039f6fe076b011f0c2053', undefined]) {
    assert.throws(() => parseRegistry({ models: [{ ...entry, revision }] }), /entry a: "revision" must be a full 40-hex commit hash/, String(revision));
  }
  assert.equal(parseRegistry({ models: [{ ...entry, speed: { msPerWindow384: 12.5, measuredOn: 'Node' } }] })[0].speed?.msPerWindow384, 12.5);
  for (const speed of [{ msPerWindow384: 0, measuredOn: 'Node' }, { msPerWindow384: 3 }, 'fast']) {
    assert.throws(() => parseRegistry({ models: [{ ...entry, speed }] }), /entry a: "speed" must be/);
  }
  const [parsed] = parseRegistry({ models: [entry] });
  assert.deepEqual(['LABEL_1', 'LABEL_0', 'LABEL_7', 'joy'].map((l) => labelName(parsed, l)), ['positive', 'negative', 'LABEL_7', 'joy']);
  const unnamed = parseRegistry({ models: [{ ...entry, labels: undefined }] })[0];
  assert.equal(labelName(unnamed, 'LABEL_1'), 'LABEL_1');
});
