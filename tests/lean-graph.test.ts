// The lean inference graph (src/engine/graph/lean.ts) computes what today's export-shaped graph computes: against
// Hugging Face's PyTorch logits on every reference fixture (../shared/data/hf-reference, hf-reference-pytorch), and
// against today's graph on random models of every config switch the builders honour, with norm weights and biases
// far from their initial 1 and 0 (so every fold, scale and offset is exercised), and at full MobileBERT size.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import onnxPkg from 'onnx-proto';

import { readCheckpoint } from '../src/engine/checkpoint.js';
import { buildGraph, buildOnnxFromCheckpoint, buildOnnxFromCheckpointSync, parseModelSpec, type WeightSource } from '../src/engine/graph/index.js';
import { ModelSession } from '../src/engine/runtime.js';
import { REFERENCE_TOLERANCE, referenceFixtures, type ReferenceFixture } from '../src/eval/reference.js';
import { fillNormal } from '../src/modelgen/prng.js';
import { presetConfigJson } from '../src/modelgen/random-model.js';
import { SHARED_DATA } from './helpers/shared-data.js';

const { onnx } = onnxPkg;
const FIXTURE_SETS = ['hf-reference', 'hf-reference-pytorch'].map((d) => join(SHARED_DATA, d));
const NO_FIXTURES: string | false = FIXTURE_SETS.every(existsSync) ? false : `skipped: ${FIXTURE_SETS.join(' or ')} not found (Hugging Face reference fixtures)`;
/** today's int8 graph after onnxruntime's fusions (docs/PERFORMANCE.md); the lean graph's target is a third of it */
const TODAY_INT8_OPTIMIZED_NODES = 1354;

type NormWeights = 'mild' | 'tiny';

/**
 * Seeded weights that make folding visible: biases N(0, 0.1) (zero biases would hide a misplaced offset), norm
 * weights 1 + N(0, 0.3) with every 7th negated ('mild'), or around 0.01 with every 11th exactly 0 ('tiny': the
 * running NoNorm scale leaves its range and a zero weight cannot be divided by, so the re-basing Mul is used).
 */
function testWeights(seed: number, std: number, norms: NormWeights = 'mild'): WeightSource {
  return {
    tensor(name, dims, init) {
      const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
      if (init === 'ones') {
        fillNormal(data, 0.3, seed, name);
        return data.map((z, i) => (norms === 'mild' ? (i % 7 === 3 ? -1 : 1) * (1 + z) : i % 11 === 5 ? 0 : 0.01 * (1 + z)));
      }
      fillNormal(data, init === 'zeros' ? 0.1 : std, seed, name);
      if (typeof init === 'object') data.fill(0, init.normalWithZeroRow * dims[1], (init.normalWithZeroRow + 1) * dims[1]);
      return data;
    },
  };
}

interface Case {
  ids: number[][];
  mask: number[][];
  types: number[][];
}

/** Batch 2 of length 12, the second row padded for its last 4 tokens, two segments. */
function testCase(vocab: number, length = 12): Case {
  const ids = [0, 1].map((r) => Array.from({ length }, (_, i) => (i === 0 ? 2 : 3 + ((i * 37 + r * 11) % (vocab - 3)))));
  const mask = [0, 1].map((r) => Array.from({ length }, (_, i) => (r === 1 && i >= length - 4 ? 0 : 1)));
  ids[1] = ids[1].map((v, i) => (mask[1][i] ? v : 0));
  const types = [0, 1].map((r) => Array.from({ length }, (_, i) => (i >= length / 2 && mask[r][i] ? 1 : 0)));
  return { ids, mask, types };
}

async function run(bytes: Uint8Array, c: Case): Promise<Record<string, Float32Array>> {
  const session = await ModelSession.create(bytes, { numThreads: 1 });
  try {
    const flat = (rows: number[][]) => Int32Array.from(rows.flat());
    const outputs = session.outputNames.includes('logits') ? ['logits'] : ['start_logits', 'end_logits'];
    const out = await session.run({ input_ids: flat(c.ids), attention_mask: flat(c.mask), token_type_ids: flat(c.types) }, c.ids.length, c.ids[0].length, outputs);
    return Object.fromEntries(outputs.map((o) => [o, out[o].data]));
  } finally {
    await session.release();
  }
}

/** Largest |a - b| over every output, and the largest |a| (the scale the difference is judged against). */
function compare(a: Record<string, Float32Array>, b: Record<string, Float32Array>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (const [name, x] of Object.entries(a)) {
    const y = b[name];
    assert.ok(y, `output ${name} missing`);
    assert.equal(x.length, y.length, `output ${name}: ${x.length} vs ${y.length} values`);
    x.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - y[i]));
      scale = Math.max(scale, Math.abs(v));
    });
  }
  return { diff, scale };
}

const nodeCount = (counts: Record<string, number>) => Object.values(counts).reduce((s, n) => s + n, 0);

function modelOf(bytes: Uint8Array) {
  const m = onnx.ModelProto.decode(bytes);
  const meta = Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  return { opsets: (m.opsetImport ?? []).map((o) => `${o.domain || 'ai.onnx'}@${Number(o.version)}`), meta, nodes: m.graph?.node ?? [] };
}

describe('the lean graph against PyTorch (reference fixtures)', { skip: NO_FIXTURES }, () => {
  for (const set of FIXTURE_SETS) {
    test(`every fixture of ${set.split('/').slice(-1)[0]}: lean fp32 within 1e-4 of PyTorch's logits`, async () => {
      const dirs = await referenceFixtures(set);
      assert.ok(dirs.length >= 3);
      for (const dir of dirs) {
        const fixture = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as ReferenceFixture;
        const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as unknown;
        const checkpoint = await readCheckpoint(async (p) => (existsSync(join(dir, p)) ? new Uint8Array(await readFile(join(dir, p))) : undefined), dir);
        assert.ok(checkpoint, `${dir}: no checkpoint`);
        const built = buildOnnxFromCheckpointSync(config, checkpoint.tensors, dir, { lean: true });
        assert.equal(modelOf(built.bytes).meta['lens.graph'], 'lean');
        let worst = 0;
        for (const c of fixture.cases) {
          const out = await run(built.bytes, { ids: c.input_ids, mask: c.attention_mask, types: c.token_type_ids });
          const want = Object.fromEntries(fixture.outputs.map((o) => [o, Float32Array.from((c[o] as number[][]).flat())]));
          worst = Math.max(worst, compare(want, out).diff);
        }
        assert.ok(worst <= REFERENCE_TOLERANCE, `${dir}: max abs diff ${worst}`);
      }
    });
  }
});

// small configs, one per switch (transformers' field names), all 2 layers
const MOBILEBERT = {
  architectures: ['MobileBertForQuestionAnswering'],
  model_type: 'mobilebert',
  vocab_size: 100,
  embedding_size: 16,
  hidden_size: 32,
  intra_bottleneck_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_feedforward_networks: 4,
  max_position_embeddings: 64,
  normalization_type: 'no_norm',
  hidden_act: 'relu',
};
const CLASSIFY = { id2label: { 0: 'a', 1: 'b', 2: 'c' } };
const BERT = {
  architectures: ['BertForQuestionAnswering'],
  model_type: 'bert',
  vocab_size: 100,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 48,
  max_position_embeddings: 64,
};
const CONFIGS: Record<string, Record<string, unknown>> = {
  'MobileBERT QA (google/mobilebert-uncased switches)': MOBILEBERT,
  'MobileBERT classifier, pooler with tanh': { ...MOBILEBERT, ...CLASSIFY, architectures: ['MobileBertForSequenceClassification'], classifier_activation: true },
  'MobileBERT classifier, pooler without activation': { ...MOBILEBERT, ...CLASSIFY, architectures: ['MobileBertForSequenceClassification'], classifier_activation: false },
  'MobileBERT without trigram input (dense embedding transformation)': { ...MOBILEBERT, trigram_input: false },
  'MobileBERT without trigram input, embedding = hidden (no transformation)': { ...MOBILEBERT, trigram_input: false, embedding_size: 32 },
  'MobileBERT with attention through the bottleneck': { ...MOBILEBERT, use_bottleneck_attention: true },
  'MobileBERT without the shared query/key bottleneck': { ...MOBILEBERT, key_query_shared_bottleneck: false, intra_bottleneck_size: 32 },
  'MobileBERT without bottlenecks': { ...MOBILEBERT, use_bottleneck: false },
  'MobileBERT with one feed-forward network': { ...MOBILEBERT, num_feedforward_networks: 1 },
  'MobileBERT with LayerNorm (MultiHeadAttention: query/key and value read different tensors)': { ...MOBILEBERT, normalization_type: 'layer_norm' },
  'MobileBERT with LayerNorm, attention through the bottleneck': { ...MOBILEBERT, normalization_type: 'layer_norm', use_bottleneck_attention: true },
  'MobileBERT gelu (BiasGelu)': { ...MOBILEBERT, hidden_act: 'gelu' },
  'MobileBERT gelu_new (FastGelu)': { ...MOBILEBERT, hidden_act: 'gelu_new' },
  'MobileBERT quick_gelu (QuickGelu)': { ...MOBILEBERT, hidden_act: 'quick_gelu' },
  'MobileBERT silu': { ...MOBILEBERT, hidden_act: 'silu' },
  'BERT QA, gelu': BERT,
  'BERT classifier, gelu_fast': { ...BERT, ...CLASSIFY, architectures: ['BertForSequenceClassification'], hidden_act: 'gelu_fast' },
  'BERT QA, relu': { ...BERT, hidden_act: 'relu' },
  'BERT classifier, tanh': { ...BERT, ...CLASSIFY, architectures: ['BertForSequenceClassification'], hidden_act: 'tanh' },
};

describe('the lean graph against today\'s graph (random weights)', () => {
  for (const [label, config] of Object.entries(CONFIGS)) {
    test(`${label}: same logits within 1e-4, fewer nodes`, async () => {
      const spec = parseModelSpec(config);
      const weights = testWeights(7, 0.1);
      const today = buildGraph(spec, weights, undefined, { lean: false });
      const lean = buildGraph(spec, weights, undefined, { lean: true });
      assert.equal(lean.parameterCount, today.parameterCount);
      assert.ok(nodeCount(lean.opCounts) < nodeCount(today.opCounts), `lean ${nodeCount(lean.opCounts)} nodes, today ${nodeCount(today.opCounts)}`);
      const c = testCase(100);
      const { diff, scale } = compare(await run(today.bytes, c), await run(lean.bytes, c));
      assert.ok(scale > 0.1, `logits too small to compare (${scale})`);
      assert.ok(diff <= 1e-4 * Math.max(1, scale), `max abs diff ${diff} (logits up to ${scale})`);
    });
  }

  test('NoNorm weights near 0 and exactly 0: the stream is re-based with a Mul, logits still agree', async () => {
    const spec = parseModelSpec(MOBILEBERT);
    const weights = testWeights(11, 0.1, 'tiny');
    const today = buildGraph(spec, weights, undefined, { lean: false });
    const lean = buildGraph(spec, weights, undefined, { lean: true });
    assert.ok((lean.opCounts.Mul ?? 0) > 0, `no re-basing Mul: ${JSON.stringify(lean.opCounts)}`);
    const c = testCase(100);
    const { diff, scale } = compare(await run(today.bytes, c), await run(lean.bytes, c));
    assert.ok(diff <= 1e-4 * Math.max(1, scale), `max abs diff ${diff} (logits up to ${scale})`);
  });

  test('NoNorm weights in range: nothing is left of NoNorm (no Mul), relu is Max (not fused into FusedGemm), one Attention a layer', () => {
    const spec = parseModelSpec(MOBILEBERT);
    const lean = buildGraph(spec, testWeights(3, 0.1, 'mild'), undefined, { lean: true });
    assert.equal(lean.opCounts.Mul, undefined);
    assert.equal(lean.opCounts.Relu, undefined);
    assert.equal(lean.opCounts.Attention, 2);
  });

  test('lean by default; off, today\'s (exported) graph; lean: opset 17 + com.microsoft and lens.graph = lean metadata', () => {
    const spec = parseModelSpec(MOBILEBERT);
    const weights = testWeights(5, 0.1);
    const today = modelOf(buildGraph(spec, weights, undefined, { lean: false }).bytes);
    assert.deepEqual(buildGraph(spec, weights, undefined, { lean: true }).bytes, buildGraph(spec, weights).bytes, 'lean is the default');
    assert.deepEqual(today.opsets, ['ai.onnx@14']);
    assert.equal(today.meta['lens.graph'], undefined);
    assert.ok(today.nodes.every((n) => !n.domain));
    const lean = modelOf(buildGraph(spec, weights, undefined, { lean: true }).bytes);
    assert.deepEqual(lean.opsets, ['ai.onnx@17', 'com.microsoft@1']);
    assert.equal(lean.meta['lens.graph'], 'lean');
  });

  test('buildOnnxFromCheckpoint (yielding between layers) builds the same lean graph as the sync build', async () => {
    const config = { ...MOBILEBERT };
    const spec = parseModelSpec(config);
    // a checkpoint is a source of tensors by state_dict name; the test weights stand in for one
    const weights = testWeights(9, 0.1);
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    buildGraph(spec, { tensor: (name, dims, init) => { const data = weights.tensor(name, dims, init); tensors.set(name, { shape: [...dims], data }); return data; } }, undefined, { lean: false });
    const checkpoint = {
      has: (n: string) => tensors.has(n),
      names: () => [...tensors.keys()],
      info: (n: string) => ({ shape: tensors.get(n)?.shape ?? [] }),
      float32: (n: string) => tensors.get(n)?.data ?? new Float32Array(0),
    };
    const sync = buildOnnxFromCheckpointSync(config, checkpoint as unknown as Parameters<typeof buildOnnxFromCheckpointSync>[1], 'test', { lean: true });
    const steps: number[] = [];
    const async = await buildOnnxFromCheckpoint(config, checkpoint as unknown as Parameters<typeof buildOnnxFromCheckpoint>[1], { lean: true, onProgress: (done) => steps.push(done) });
    assert.deepEqual(async.bytes, sync.bytes);
    assert.deepEqual(steps, [0, 1, 2, 3]);
  });
});

describe('the lean graph at full size (google/mobilebert-uncased config, random weights)', () => {
  test(`at most a third of today's ${TODAY_INT8_OPTIMIZED_NODES} nodes, logits within 1e-4 of today's graph`, async () => {
    const spec = parseModelSpec(presetConfigJson('mobilebert', { kind: 'qa' }));
    const weights = testWeights(42, 0.02);
    const today = buildGraph(spec, weights, undefined, { lean: false });
    const lean = buildGraph(spec, weights, undefined, { lean: true });
    // onnxruntime leaves this graph as it is (bench/lean-graph.ts counts after its optimisation)
    assert.ok(nodeCount(lean.opCounts) <= TODAY_INT8_OPTIMIZED_NODES / 3, `${nodeCount(lean.opCounts)} nodes: ${JSON.stringify(lean.opCounts)}`);
    const c = testCase(30522, 48);
    const { diff, scale } = compare(await run(today.bytes, c), await run(lean.bytes, c));
    assert.ok(diff <= 1e-4 * Math.max(1, scale), `max abs diff ${diff} (logits up to ${scale})`);
  });
});
