// Which weights a model folder or registry entry brings (an ONNX file, or a model.safetensors checkpoint the
// extension builds its ONNX file from), what is refused (PyTorch pickles), and which installs end with the
// on-device build and int8 steps. File names only: the extension's Chromium tests do the installs themselves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILT_ONNX_PATH, CHECKPOINT_FILE, checkModelFolder, isPickleFile, modelWeights } from '../src/shared/model-files.js';
import { CHECKPOINT_FILE as ENGINE_CHECKPOINT_FILE } from '../src/engine/graph/index.js';
import { REGISTRY, labelName, makesInt8OnDevice, onDeviceInt8Source, parseRegistry } from '../src/shared/registry.js';

const TOKENIZER = ['config.json', 'vocab.txt', 'tokenizer_config.json'];

test('the checkpoint file the extension builds from is the one the engine reads; the built file is where the engine looks first', () => {
  assert.equal(CHECKPOINT_FILE, ENGINE_CHECKPOINT_FILE);
  assert.equal(BUILT_ONNX_PATH, 'onnx/model.onnx');
});

test('a folder\'s weights: ONNX files first (a checkpoint beside them is not used), else model.safetensors', () => {
  assert.deepEqual(modelWeights([...TOKENIZER, 'model.onnx']), { kind: 'onnx', paths: ['model.onnx'] });
  assert.deepEqual(modelWeights([...TOKENIZER, 'model.safetensors', 'onnx/model_quantized.onnx']), { kind: 'onnx', paths: ['onnx/model_quantized.onnx'] });
  assert.deepEqual(modelWeights([...TOKENIZER, 'model.safetensors', 'pytorch_model.bin']), { kind: 'checkpoint', path: 'model.safetensors' });
  assert.equal(modelWeights([...TOKENIZER, 'pytorch_model.bin', 'tf_model.h5']), undefined);
});

test('a folder import is checked by its file names before anything is read', () => {
  assert.deepEqual(checkModelFolder([...TOKENIZER, 'model.safetensors', 'pytorch_model.bin']), { kind: 'checkpoint', path: 'model.safetensors' });
  assert.equal(checkModelFolder(['config.json', 'tokenizer.json', 'onnx/model.onnx']).kind, 'onnx');
  assert.throws(
    () => checkModelFolder([...TOKENIZER, 'pytorch_model.bin']),
    /this folder is not a model folder: its weights are only in pytorch_model\.bin: Lens needs model\.safetensors \(or an ONNX file\); PyTorch pickle files are never loaded, as opening them can run code$/,
  );
  assert.throws(() => checkModelFolder(TOKENIZER), /not a model folder: no model\.safetensors and no ONNX file \(onnx\/model\.onnx or model\.onnx\)$/);
  assert.throws(() => checkModelFolder(['model.safetensors']), /not a model folder: no config\.json, no vocab\.txt or tokenizer\.json$/);
  for (const p of ['pytorch_model.bin', 'pytorch_model-00001-of-00002.bin', 'sub/model.pt', 'weights.pth', 'model.ckpt', 'x.pkl']) assert.ok(isPickleFile(p), p);
  for (const p of ['model.safetensors', 'vocab.txt', 'tf_model.h5', 'model.onnx']) assert.ok(!isPickleFile(p), p);
});

test('registry: model.safetensors is a source of weights (also for "int8": "on-device"); pickles, both formats, no weights and bad modelType are refused', () => {
  const entry = { id: 'a', name: 'A', task: 'classify', repo: 'o/r', revision: '0123abc', license: 'MIT', description: 'd', files: [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'model.safetensors' }] };
  assert.equal(parseRegistry({ models: [entry] }).length, 1);
  assert.equal(parseRegistry({ models: [{ ...entry, int8: 'on-device', modelType: 'bert' }] })[0].modelType, 'bert');
  const refused: Array<[object, RegExp]> = [
    [{ ...entry, files: [{ path: 'config.json' }, { path: 'pytorch_model.bin' }] }, /entry a: pytorch_model\.bin is a PyTorch pickle, which Lens never loads; list model\.safetensors or an ONNX file/],
    [{ ...entry, files: [{ path: 'config.json' }, { path: 'vocab.txt' }] }, /entry a: no weights: list model\.safetensors or an ONNX file/],
    [{ ...entry, files: [...entry.files, { path: 'onnx/model.onnx' }] }, /entry a: lists model\.safetensors and onnx\/model\.onnx; list one or the other/],
    [{ ...entry, files: [{ path: 'vocab.txt' }, { path: 'model.safetensors' }] }, /entry a: model\.safetensors needs config\.json/],
    [{ ...entry, modelType: 'roberta' }, /entry a: "modelType" must be "mobilebert" or "bert" \(got "roberta"\)/],
  ];
  for (const [bad, message] of refused) assert.throws(() => parseRegistry({ models: [bad] }), message);
});

test('an install that built its ONNX file always makes the int8 file; one that brought ONNX only where the registry asks', () => {
  const checkpointEntry = REGISTRY.find((m) => m.files.some((f) => f.path === CHECKPOINT_FILE));
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

test('registry: revisions are commit hashes (a branch is refused); speed is checked; generic LABEL_n names get the registry\'s names', () => {
  const entry = { id: 'a', name: 'A', task: 'classify', repo: 'o/r', revision: '0123abc', license: 'MIT', description: 'd', labels: ['negative', 'positive'], files: [{ path: 'config.json' }, { path: 'vocab.txt' }, { path: 'model.safetensors' }] };
  assert.equal(parseRegistry({ models: [{ ...entry, revision: '6d49c30d06c6042041039f6fe076b011f0c2053c' }] }).length, 1);
  for (const revision of ['main', 'v1.0', '0123ab', '6D49C30', '6d49c30d06c6042041039f6fe076b011f0c2053']) {
    assert.throws(() => parseRegistry({ models: [{ ...entry, revision }] }), /entry a: "revision" must be a commit hash/, revision);
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
