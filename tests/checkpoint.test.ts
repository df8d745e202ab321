// Checkpoints (config.json + model.safetensors or pytorch_model.bin) built into graphs by the engine, proven against
// Hugging Face's own PyTorch code (../shared/data/hf-reference, hf-reference-pytorch) and against the graphs
// `lens model make` writes directly. The PyTorch reader's own tests are in tests/pytorch.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { directorySource } from '../src/modelgen/model-dir.js';
import { REFERENCE_TOLERANCE, runFixture } from '../src/eval/reference.js';
import { SAFETENSORS_FILE } from '../src/shared/model-files.js';
import { buildOnnxFromCheckpoint, buildOnnxFromCheckpointSync, expectedTensors, parseModelSpec } from '../src/engine/graph/index.js';
import { LensModel, type ModelSource } from '../src/engine/model.js';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../src/engine/safetensors.js';
import { BERT_ARCHS, bertConfigJson } from '../src/modelgen/bert-config.js';
import { ARCHS, hfConfigJson, type ModelTask } from '../src/modelgen/mobilebert-config.js';
import { makeModelFolder } from '../src/modelgen/model-folder.js';
import { randomCheckpoint, randomModel, randomPytorchCheckpoint, randomTensors } from '../src/modelgen/random-model.js';
import { writePytorchCheckpoint } from '../src/modelgen/pytorch-writer.js';
import { bertUncasedVocabLines } from '../src/modelgen/vocab-from-npm.js';
import { lens } from './helpers/cli.js';
import { SHARED_DATA } from './helpers/shared-data.js';

const REFERENCE = join(SHARED_DATA, 'hf-reference');
const NO_REFERENCE: string | false = existsSync(REFERENCE) ? false : `skipped: ${REFERENCE} not found (Hugging Face reference fixtures)`;
const PYTORCH_REFERENCE = join(SHARED_DATA, 'hf-reference-pytorch');
const NO_PYTORCH_REFERENCE: string | false = existsSync(PYTORCH_REFERENCE) ? false : `skipped: ${PYTORCH_REFERENCE} not found (pytorch_model.bin reference fixtures)`;
const FIXTURES = ['bert-qa', 'mobilebert-qa', 'mobilebert-seqcls'];
const QA: ModelTask = { kind: 'qa' };
const SST: ModelTask = { kind: 'classify', labels: ['negative', 'positive'] };

const tmp = await mkdtemp(join(tmpdir(), 'lens-checkpoint-'));
after(() => rm(tmp, { recursive: true, force: true }));

/** A copy of a reference fixture without its ONNX file, with model.safetensors replaced when given. */
async function fixtureCopy(fixture: string, label: string, checkpoint?: Uint8Array): Promise<string> {
  const dir = join(tmp, `${fixture}-${label}`);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(join(REFERENCE, fixture))) {
    if (f !== 'model.onnx') await copyFile(join(REFERENCE, fixture, f), join(dir, f));
  }
  if (checkpoint) await writeFile(join(dir, SAFETENSORS_FILE), checkpoint);
  return dir;
}

async function fixtureFiles(fixture: string): Promise<{ config: unknown; file: SafetensorsFile }> {
  const config = JSON.parse(await readFile(join(REFERENCE, fixture, 'config.json'), 'utf8')) as unknown;
  return { config, file: SafetensorsFile.parse(new Uint8Array(await readFile(join(REFERENCE, fixture, SAFETENSORS_FILE)))) };
}

/** The fixture's tensors re-encoded: each entry may be dropped, renamed, reshaped, changed or given a dtype. */
function rewritten(file: SafetensorsFile, edit: (t: TensorToWrite) => TensorToWrite | undefined): Uint8Array {
  const tensors = file.names().map((name) => edit({ name, shape: file.info(name).shape, data: file.float32(name).slice() }));
  return writeSafetensors(tensors.filter((t): t is TensorToWrite => t !== undefined));
}

describe('Hugging Face reference fixtures (PyTorch logits)', { skip: NO_REFERENCE }, () => {
  for (const fixture of FIXTURES) {
    test(`${fixture}: the graph built from model.safetensors gives PyTorch's logits within 1e-4`, async () => {
      const r = await runFixture(join(REFERENCE, fixture), 'safetensors');
      assert.equal(r.cases, 3);
      assert.ok(r.maxAbsDiff <= REFERENCE_TOLERANCE, `max abs diff ${r.maxAbsDiff}`);
    });

    test(`${fixture}: the PyTorch-exported model.onnx loads in the engine and gives the same`, async () => {
      const r = await runFixture(join(REFERENCE, fixture), 'onnx');
      assert.ok(r.maxAbsDiff <= REFERENCE_TOLERANCE, `max abs diff ${r.maxAbsDiff}`);
    });

    test(`${fixture}: the tensors Lens expects are exactly the checkpoint's, names and count`, async () => {
      const { config, file } = await fixtureFiles(fixture);
      const expected = expectedTensors(parseModelSpec(config, fixture));
      assert.equal(expected.length, file.names().length);
      assert.deepEqual(expected.map((t) => t.name).sort(), file.names().sort());
      for (const t of expected) assert.deepEqual(t.shape, file.info(t.name).shape, t.name);
      assert.deepEqual(buildOnnxFromCheckpointSync(config, file).unused, []);
    });
  }

  test('control: one tensor perturbed by 1% moves the logits far outside the tolerance', async () => {
    const { file } = await fixtureFiles('mobilebert-qa');
    const target = 'mobilebert.encoder.layer.0.attention.self.value.weight';
    const dir = await fixtureCopy('mobilebert-qa', 'perturbed', rewritten(file, (t) => (t.name === target ? { ...t, data: t.data.map((v) => v * 1.01) } : t)));
    await copyFile(join(REFERENCE, 'mobilebert-qa', 'expected.json'), join(dir, 'expected.json'));
    const r = await runFixture(dir, 'safetensors');
    assert.ok(r.maxAbsDiff > REFERENCE_TOLERANCE * 10, `perturbed model still within tolerance (${r.maxAbsDiff})`);
  });

  test('F16 and BF16 checkpoints are widened to F32: logits near PyTorch, and exactly those of the rounded weights', async () => {
    const { config, file } = await fixtureFiles('mobilebert-seqcls');
    for (const [dtype, tolerance] of [['F16', 0.05], ['BF16', 0.5]] as const) {
      const half = rewritten(file, (t) => ({ ...t, dtype }));
      const dir = await fixtureCopy('mobilebert-seqcls', dtype, half);
      const r = await runFixture(dir, 'safetensors');
      assert.ok(r.maxAbsDiff > 0 && r.maxAbsDiff < tolerance, `${dtype}: max abs diff ${r.maxAbsDiff}`);
      // the half-precision file read back as F32 builds the same graph as the widened values written as F32
      const widened = SafetensorsFile.parse(half);
      const asF32 = rewritten(widened, (t) => t);
      assert.deepEqual(buildOnnxFromCheckpointSync(config, half).bytes, buildOnnxFromCheckpointSync(config, asF32).bytes);
    }
  });

  test('extra keys (a position_ids buffer) are accepted and reported; TensorFlow-era gamma/beta names are read', async () => {
    const { config, file } = await fixtureFiles('bert-qa');
    const renamed = rewritten(file, (t) => ({ ...t, name: t.name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta') }));
    const withBuffer = writeSafetensors([
      ...SafetensorsFile.parse(renamed).names().map((name) => ({ name, shape: SafetensorsFile.parse(renamed).info(name).shape, data: SafetensorsFile.parse(renamed).float32(name) })),
      { name: 'bert.embeddings.position_ids', shape: [1, 512], data: Float32Array.from({ length: 512 }, (_, i) => i) },
    ]);
    const built = buildOnnxFromCheckpointSync(config, withBuffer);
    assert.deepEqual(built.unused, ['bert.embeddings.position_ids']);
    assert.deepEqual(built.bytes.length, buildOnnxFromCheckpointSync(config, file).bytes.length);
  });

  test('refused with a message naming what is wrong: missing tensors, wrong shapes, unknown architecture, truncated file', async () => {
    const { config, file } = await fixtureFiles('mobilebert-qa');
    const missing = rewritten(file, (t) => (t.name === 'qa_outputs.bias' || t.name.startsWith('mobilebert.encoder.layer.1.ffn.2.') ? undefined : t));
    assert.throws(() => buildOnnxFromCheckpointSync(config, missing, 'fixture'), /lacks 7 tensors the MobileBertForQuestionAnswering graph needs: .*ffn\.2\.intermediate\.dense\.weight.*qa_outputs\.bias/);
    const reshaped = rewritten(file, (t) => (t.name === 'qa_outputs.weight' ? { ...t, shape: [1, 128], data: t.data } : t));
    assert.throws(() => buildOnnxFromCheckpointSync(config, reshaped), /qa_outputs\.weight is \[1, 128\], expected \[2, 64\]/);
    const other = { ...(config as Record<string, unknown>), architectures: ['DistilBertForQuestionAnswering'] };
    assert.throws(() => buildOnnxFromCheckpointSync(other, file), /architecture DistilBertForQuestionAnswering is not supported; Lens builds MobileBertForQuestionAnswering, .*BertForSequenceClassification/);
    const bytes = new Uint8Array(await readFile(join(REFERENCE, 'mobilebert-qa', SAFETENSORS_FILE)));
    assert.throws(() => buildOnnxFromCheckpointSync(config, bytes.subarray(0, bytes.length - 100)), /truncated/);
    const unsupported = { ...(config as Record<string, unknown>), hidden_act: 'mish', normalization_type: 'batch_norm' };
    assert.throws(() => buildOnnxFromCheckpointSync(unsupported, file), /"normalization_type" "batch_norm" is not supported.*"hidden_act" "mish" is not supported|"hidden_act" "mish" is not supported.*"normalization_type" "batch_norm"/);
  });

  test('lens eval reference: one line per fixture and source (the ONNX file as it is and rebuilt lean), every value within 1e-4, exit 0', () => {
    const r = lens('eval', 'reference', '--data', REFERENCE);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').filter((l) => /max abs diff/.test(l) && !/worst/.test(l));
    assert.equal(lines.length, FIXTURES.length * 3);
    for (const fixture of FIXTURES) {
      for (const [source, graph] of [['safetensors', 'lean'], ['onnx', 'as exported'], ['onnx-lean', 'lean']]) {
        const line = lines.find((l) => l.startsWith(`${fixture} ${source} `));
        assert.ok(line, `no line for ${fixture} ${source}`);
        const m = /^[\w-]+ ([\w-]+) \(([\w ]+) graph\): max abs diff (\d\.\de[-+]\d+)$/.exec(line);
        assert.ok(m, `line format: ${line}`);
        assert.equal(m[2], graph, line);
        assert.ok(Number(m[3]) <= REFERENCE_TOLERANCE, line);
      }
    }
  });

  test('a fixture folder with its ONNX file deleted answers with lens qa and classifies with lens classify --json (labels from id2label)', async () => {
    const qaDir = await fixtureCopy('bert-qa', 'no-onnx');
    const qa = lens('qa', '--model', qaDir, '--text', 'the cat sat on the mat.', '--question', 'where?', '--json');
    assert.equal(qa.code, 0, qa.stderr);
    const answers = (JSON.parse(qa.stdout) as { answers: Array<{ text: string; start: number; end: number }> }).answers;
    assert.ok(answers.length > 0);
    for (const a of answers) assert.equal('the cat sat on the mat.'.slice(a.start, a.end), a.text);

    const clsDir = await fixtureCopy('mobilebert-seqcls', 'no-onnx');
    const cls = lens('classify', '--model', clsDir, '--text', 'a b c', '--json');
    assert.equal(cls.code, 0, cls.stderr);
    const scores = (JSON.parse(cls.stdout) as { scores: Array<{ label: string; score: number }> }).scores;
    assert.deepEqual(scores.map((s) => s.label).sort(), ['negative', 'neutral', 'positive']);
    assert.ok(Math.abs(scores.reduce((s, x) => s + x.score, 0) - 1) < 1e-5);
  });

  test('lens model convert writes onnx/model.onnx (and the int8 file) that gives PyTorch\'s logits', async () => {
    const out = join(tmp, 'converted');
    const r = lens('model', 'convert', '--in', join(REFERENCE, 'mobilebert-seqcls'), '--out', out, '--int8');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /converted MobileBertForSequenceClassification/);
    assert.ok(existsSync(join(out, 'onnx', 'model_quantized.onnx')));
    assert.ok(!existsSync(join(out, SAFETENSORS_FILE)), 'weights live in the ONNX file only');
    await copyFile(join(REFERENCE, 'mobilebert-seqcls', 'expected.json'), join(out, 'expected.json'));
    await copyFile(join(out, 'onnx', 'model.onnx'), join(out, 'model.onnx'));
    const check = await runFixture(out, 'onnx');
    assert.ok(check.maxAbsDiff <= REFERENCE_TOLERANCE, `max abs diff ${check.maxAbsDiff}`);
  });
});

/** A model folder held in memory: config.json, a small vocab, and the given weight files. */
function memorySource(name: string, config: unknown, files: Record<string, Uint8Array | undefined>): ModelSource {
  const all: Record<string, Uint8Array | undefined> = { 'config.json': new TextEncoder().encode(JSON.stringify(config)), 'vocab.txt': uncasedVocab, ...files };
  return { name, read: async (p) => (Object.hasOwn(all, p) ? all[p] : undefined) };
}
const uncasedVocab = new TextEncoder().encode(`${(await bertUncasedVocabLines()).join('\n')}\n`);

describe('pytorch_model.bin reference fixtures (PyTorch logits; hostile files refused)', { skip: NO_PYTORCH_REFERENCE }, () => {
  test('lens eval reference --data hf-reference-pytorch: a diff line per checkpoint within 1e-4, a refusal line per hostile file, exit 0', () => {
    const r = lens('eval', 'reference', '--data', PYTORCH_REFERENCE);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    for (const fixture of ['bert-qa-fp16', 'mobilebert-qa-legacy', 'mobilebert-seqcls-zip']) {
      const m = new RegExp(`^${fixture} pytorch \\(lean graph\\): max abs diff (\\d\\.\\de[-+]\\d+)$`).exec(lines.find((l) => l.startsWith(`${fixture} `)) ?? '');
      assert.ok(m, `a diff line for ${fixture}: ${r.stdout}`);
      assert.ok(Number(m[1]) <= REFERENCE_TOLERANCE, m[0]);
    }
    const refusals = lines.filter((l) => l.startsWith('refused/'));
    assert.equal(refusals.length, 3, r.stdout);
    assert.match(refusals.find((l) => l.startsWith('refused/runs-code.bin')) ?? '', /: refused: .*asks to call posix\.system/);
    assert.match(refusals.find((l) => l.startsWith('refused/proto-key.bin')) ?? '', /: refused: .*"__proto__"/);
    assert.match(refusals.find((l) => l.startsWith('refused/truncated.bin')) ?? '', /: refused: .*truncated/);
    assert.match(lines.at(-1) ?? '', /^3 loads, worst max abs diff .*; 3 of 3 files under refused\/ refused$/);
  });

  test('a copy of the fixtures with a hostile file that is not refused fails the evaluation (the check can fail)', async () => {
    const dir = join(tmp, 'pytorch-reference-copy');
    await mkdir(join(dir, 'refused'), { recursive: true });
    // a perfectly ordinary checkpoint put among the files to refuse
    await copyFile(join(PYTORCH_REFERENCE, 'mobilebert-seqcls-zip', 'pytorch_model.bin'), join(dir, 'refused', 'ordinary.bin'));
    await mkdir(join(dir, 'mobilebert-seqcls-zip'));
    for (const f of await readdir(join(PYTORCH_REFERENCE, 'mobilebert-seqcls-zip'))) await copyFile(join(PYTORCH_REFERENCE, 'mobilebert-seqcls-zip', f), join(dir, 'mobilebert-seqcls-zip', f));
    const r = lens('eval', 'reference', '--data', dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^refused\/ordinary\.bin: NOT refused \(read \d+ tensors without an error\)$/m);
  });

  test('the checkpoints load through every path a safetensors folder does: lens classify and lens model convert', () => {
    const cls = lens('classify', '--model', join(PYTORCH_REFERENCE, 'mobilebert-seqcls-zip'), '--text', 'a b c', '--json');
    assert.equal(cls.code, 0, cls.stderr);
    const out = join(tmp, 'legacy-converted');
    const conv = lens('model', 'convert', '--in', join(PYTORCH_REFERENCE, 'mobilebert-qa-legacy'), '--out', out);
    assert.equal(conv.code, 0, conv.stderr);
    assert.ok(existsSync(join(out, 'onnx', 'model.onnx')));
  });
});

describe('checkpoint loading without the reference data', () => {
  test('a folder with only pytorch_model.bin (zip or legacy) loads through the same builders as its model.safetensors twin', async () => {
    const config = hfConfigJson(ARCHS.tiny, SST);
    const twin = await LensModel.load(memorySource('safetensors', config, { 'model.safetensors': randomCheckpoint(config, 7) }));
    const ids = Int32Array.from([101, 1996, 4937, 2938, 102]);
    const feeds = { input_ids: ids, attention_mask: new Int32Array(ids.length).fill(1), token_type_ids: new Int32Array(ids.length) };
    const want = (await twin.session.run(feeds, 1, ids.length, ['logits'])).logits.data;
    await twin.release();
    for (const format of ['zip', 'legacy'] as const) {
      const model = await LensModel.load(memorySource(format, config, { 'pytorch_model.bin': randomPytorchCheckpoint(config, 7, format) }));
      assert.equal(model.onnxFile, 'pytorch_model.bin');
      const got = (await model.session.run(feeds, 1, ids.length, ['logits'])).logits.data;
      await model.release();
      assert.deepEqual([...got], [...want], `${format}: the same tensors give the same logits`);
    }
    // the CLI: lens model make --format pytorch, then qa/convert from the folder
    const dir = join(tmp, 'pytorch-only');
    const made = lens('model', 'make', '--arch', 'tiny', '--task', 'qa', '--format', 'pytorch', '--out', dir);
    assert.equal(made.code, 0, made.stderr);
    assert.ok(existsSync(join(dir, 'pytorch_model.bin')) && !existsSync(join(dir, 'onnx')));
    const qa = lens('qa', '--model', dir, '--text', 'The cat sat on the mat.', '--question', 'Where?', '--json');
    assert.equal(qa.code, 0, qa.stderr);
    const converted = lens('model', 'convert', '--in', dir, '--out', join(tmp, 'pytorch-converted'));
    assert.equal(converted.code, 0, converted.stderr);
    assert.match(converted.stdout, /mobilebert\.embeddings\.position_ids/, 'the int64 position_ids buffer is recognised and reported unused');
  });

  test('a sharded pytorch checkpoint (pytorch_model.bin.index.json) loads; a shard it lists that is missing is named', async () => {
    const config = hfConfigJson(ARCHS.tiny, SST);
    const tensors = randomTensors(config, 3);
    const half = tensors.length >> 1;
    const shards = ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'];
    const weightMap = Object.fromEntries(tensors.map((t, i) => [t.name, shards[i < half ? 0 : 1]]));
    const files = {
      'pytorch_model.bin.index.json': new TextEncoder().encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap })),
      [shards[0]]: writePytorchCheckpoint(tensors.slice(0, half), { format: 'zip' }),
      [shards[1]]: writePytorchCheckpoint(tensors.slice(half), { format: 'zip' }),
    };
    const model = await LensModel.load(memorySource('sharded', config, files));
    assert.equal(model.onnxFile, 'pytorch_model.bin.index.json');
    await model.release();
    await assert.rejects(LensModel.load(memorySource('sharded', config, { ...files, [shards[1]]: undefined })), /lists pytorch_model-00002-of-00002\.bin, which the model does not have/);
  });

  test('a folder with no weights Lens reads names what it looked for', async () => {
    const dir = join(tmp, 'no-weights');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify(hfConfigJson(ARCHS.tiny, QA)));
    await writeFile(join(dir, 'vocab.txt'), '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n');
    await writeFile(join(dir, 'model.pt'), new Uint8Array([0x80, 2]));
    await assert.rejects(LensModel.load(directorySource(dir)), /has no ONNX file .* and no checkpoint \(model\.safetensors, pytorch_model\.bin, pytorch_model\.bin\.index\.json\)/);
    const r = lens('model', 'convert', '--in', dir, '--out', join(tmp, 'no-weights-out'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has no checkpoint \(model\.safetensors, pytorch_model\.bin/);
  });

  test('the async build yields per layer, reports progress and can be cancelled', async () => {
    const config = bertConfigJson(BERT_ARCHS['bert-tiny'], SST);
    const checkpoint = randomCheckpoint(config, 3);
    const seen: number[] = [];
    const built = await buildOnnxFromCheckpoint(config, checkpoint, { onProgress: (done, total) => seen.push(done / total) });
    assert.deepEqual(built.bytes, buildOnnxFromCheckpointSync(config, checkpoint).bytes);
    assert.deepEqual(seen, [0, 1 / 3, 2 / 3, 1]);
    const controller = new AbortController();
    const cancelled = buildOnnxFromCheckpoint(config, checkpoint, { signal: controller.signal, onProgress: (done) => done === 1 && controller.abort(new Error('stop')) });
    await assert.rejects(cancelled, /stop/);
  });

  /** Every MobileBERT switch transformers honours: built from a checkpoint, run, and the state dict's modules. */
  const variants: Array<[string, Record<string, unknown>, (names: string[]) => void]> = [
    ['layer_norm normalization, gelu', { normalization_type: 'layer_norm', hidden_act: 'gelu' }, (n) => assert.ok(n.includes('mobilebert.embeddings.LayerNorm.bias'))],
    ['no bottleneck (true hidden = hidden)', { use_bottleneck: false, hidden_size: 32 }, (n) => assert.ok(!n.some((x) => x.includes('bottleneck')))],
    ['attention through the bottleneck (shared key/query module kept, unused)', { use_bottleneck_attention: true }, (n) => assert.ok(n.includes('mobilebert.encoder.layer.0.bottleneck.attention.dense.weight'))],
    ['no shared key/query bottleneck', { key_query_shared_bottleneck: false, use_bottleneck_attention: true }, (n) => assert.ok(!n.some((x) => x.includes('bottleneck.attention')))],
    ['one feed-forward network, no trigram, embedding = hidden', { num_feedforward_networks: 1, trigram_input: false, embedding_size: 64 }, (n) => {
      assert.ok(!n.some((x) => x.includes('.ffn.')));
      assert.ok(n.includes('mobilebert.embeddings.embedding_transformation.weight'), 'the module exists even when unused');
    }],
    ['classifier_activation (pooler dense + tanh), gelu_new', { classifier_activation: true, hidden_act: 'gelu_new' }, (n) => assert.ok(n.includes('mobilebert.pooler.dense.weight'))],
  ];
  for (const [what, patch, checkNames] of variants) {
    test(`MobileBERT variant: ${what}`, async () => {
      const config = { ...hfConfigJson(ARCHS.tiny, SST), ...patch };
      const names = expectedTensors(parseModelSpec(config)).map((t) => t.name);
      checkNames(names);
      const checkpoint = randomCheckpoint(config, 11);
      assert.deepEqual(SafetensorsFile.parse(checkpoint).names(), names);
      const model = await LensModel.load({ name: what, read: async (p) => (p === 'config.json' ? new TextEncoder().encode(JSON.stringify(config)) : p === SAFETENSORS_FILE ? checkpoint : p === 'vocab.txt' ? new TextEncoder().encode('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n') : undefined) });
      try {
        const out = await model.session.run({ input_ids: Int32Array.from([2, 1, 1, 3]), attention_mask: Int32Array.from([1, 1, 1, 1]), token_type_ids: Int32Array.from([0, 0, 0, 0]) }, 1, 4, ['logits']);
        assert.equal(out.logits.data.length, 2);
        assert.ok(out.logits.data.every(Number.isFinite));
      } finally {
        await model.release();
      }
    });
  }
});

describe('full-size MobileBERT as a checkpoint', () => {
  test('lens model make --format safetensors, loaded back, gives logits identical to the ONNX made directly (same graph, same ops)', async () => {
    const [onnxDir, stDir] = [join(tmp, 'full-onnx'), join(tmp, 'full-st')];
    const made = await makeModelFolder({ arch: 'mobilebert', task: QA, outDir: onnxDir, seed: 5 });
    const st = await makeModelFolder({ arch: 'mobilebert', task: QA, outDir: stDir, seed: 5, format: 'safetensors' });
    assert.equal(st.modelFile, SAFETENSORS_FILE);
    assert.equal(st.parameterCount, 24_582_914);
    const config = JSON.parse(await readFile(join(stDir, 'config.json'), 'utf8')) as unknown;
    const built = buildOnnxFromCheckpointSync(config, new Uint8Array(await readFile(join(stDir, SAFETENSORS_FILE))));
    const direct = randomModel(config, 5);
    assert.deepEqual(built.opCounts, direct.opCounts);
    assert.equal(built.parameterCount, direct.parameterCount);
    assert.equal(made.modelBytes, direct.bytes.length);

    const ids = Int32Array.from({ length: 128 }, (_, i) => (i === 0 ? 101 : 1000 + ((i * 37) % 20000)));
    const feeds = { input_ids: ids, attention_mask: new Int32Array(128).fill(1), token_type_ids: new Int32Array(128) };
    const logits = async (dir: string) => {
      const model = await LensModel.load(directorySource(dir));
      try {
        const out = await model.session.run(feeds, 1, 128, ['start_logits', 'end_logits']);
        return [...out.start_logits.data, ...out.end_logits.data];
      } finally {
        await model.release();
      }
    };
    assert.deepEqual(await logits(stDir), await logits(onnxDir));
  });
});
