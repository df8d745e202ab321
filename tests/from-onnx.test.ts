// The state_dict recovered from an ONNX export (src/engine/graph/from-onnx.ts) is the checkpoint's, exactly, and the
// lean graph built from it computes PyTorch's logits; files it cannot be recovered from are refused with the reason;
// the probe check (src/engine/graph/probe.ts) tells a rebuilt graph that agrees with its file from one that does not.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import onnxPkg from 'onnx-proto';
import type * as OnnxTypes from 'onnx-proto';

import { readCheckpoint, type CheckpointTensors } from '../src/engine/checkpoint.js';
import { stateDictFromOnnx, modulePathOf, type StateDictRecovery } from '../src/engine/graph/from-onnx.js';
import { buildGraph, buildOnnxFromCheckpointSync, parseModelSpec, type WeightSource } from '../src/engine/graph/index.js';
import { probeBatch, sameOutputs } from '../src/engine/graph/probe.js';
import { quantizeOnnx } from '../src/engine/quantize.js';
import { ModelSession } from '../src/engine/runtime.js';
import { halfTable, toHalf } from '../src/engine/safetensors.js';
import { REFERENCE_TOLERANCE, type ReferenceFixture } from '../src/eval/reference.js';
import { fillNormal } from '../src/modelgen/prng.js';
import { SHARED_DATA } from './helpers/shared-data.js';

const { onnx } = onnxPkg;
type IModelProto = OnnxTypes.onnx.IModelProto;

const REFERENCE = join(SHARED_DATA, 'hf-reference');
const FIXTURES = ['mobilebert-qa', 'mobilebert-seqcls', 'bert-qa'];
const NO_FIXTURES: string | false = FIXTURES.every((f) => existsSync(join(REFERENCE, f, 'model.onnx')))
  ? false
  : `skipped: ${REFERENCE} not found (Hugging Face reference fixtures with model.onnx)`;

interface Fixture {
  dir: string;
  config: Record<string, unknown>;
  onnxBytes: Uint8Array;
  checkpoint: CheckpointTensors;
  expected: ReferenceFixture;
}

async function loadFixture(name: string): Promise<Fixture> {
  const dir = join(REFERENCE, name);
  const read = async (p: string) => (existsSync(join(dir, p)) ? new Uint8Array(await readFile(join(dir, p))) : undefined);
  const checkpoint = await readCheckpoint(read, dir);
  assert.ok(checkpoint, `${dir}: no checkpoint`);
  return {
    dir,
    config: JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
    onnxBytes: new Uint8Array(await readFile(join(dir, 'model.onnx'))),
    checkpoint: checkpoint.tensors,
    expected: JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as ReferenceFixture,
  };
}

function recovered(r: StateDictRecovery): Extract<StateDictRecovery, { ok: true }> {
  assert.ok(r.ok, r.ok ? '' : `refused: ${r.reason}`);
  return r;
}

function refused(r: StateDictRecovery): string {
  assert.ok(!r.ok, 'expected a refusal, got a state_dict');
  return r.reason;
}

/**
 * Every recovered tensor bit-identical to the checkpoint's (after `map`), with its shape, and nothing else: the
 * fixtures' checkpoints hold exactly the tensors the builders need.
 */
function assertSameTensors(got: CheckpointTensors, want: CheckpointTensors, map: (v: Float32Array) => Float32Array = (v) => v): void {
  assert.deepEqual([...got.names()].sort(), [...want.names()].sort());
  for (const name of want.names()) {
    assert.deepEqual(got.info(name).shape, want.info(name).shape, name);
    const a = got.float32(name);
    const b = map(want.float32(name));
    assert.equal(a.length, b.length, name);
    const at = a.findIndex((v, i) => !Object.is(v, b[i]));
    assert.equal(at, -1, `${name}[${at}]: ${a[at]} vs ${b[at]}`);
  }
}

function decode(bytes: Uint8Array): IModelProto {
  return onnx.ModelProto.decode(bytes);
}
function encode(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
function edited(bytes: Uint8Array, edit: (m: IModelProto) => void): Uint8Array {
  const m = decode(bytes);
  edit(m);
  return encode(m);
}
const nodesOf = (m: IModelProto) => m.graph?.node ?? [];
const initOf = (m: IModelProto, name: string) => {
  const t = (m.graph?.initializer ?? []).find((i) => i.name === name);
  assert.ok(t, `no initializer ${name}`);
  return t;
};
/** The initializer a named node reads as its input `index`. */
const inputOf = (m: IModelProto, nodeName: string, index: number) => {
  const node = nodesOf(m).find((n) => n.name === nodeName);
  assert.ok(node, `no node ${nodeName}`);
  return initOf(m, node.input?.[index] ?? '');
};

async function session(bytes: Uint8Array): Promise<ModelSession> {
  return ModelSession.create(bytes, { numThreads: 1 });
}

describe('stateDictFromOnnx on PyTorch exports (hf-reference)', { skip: NO_FIXTURES }, () => {
  const fixtures = new Map<string, Fixture>();
  before(async () => {
    for (const f of FIXTURES) fixtures.set(f, await loadFixture(f));
  });
  const fixture = (name: string) => fixtures.get(name) as Fixture;

  test('module paths from node names: torch scopes and Lens names; none without a "/"', () => {
    assert.equal(modulePathOf('/mobilebert/encoder/layer.0/attention/self/query/MatMul'), 'mobilebert.encoder.layer.0.attention.self.query');
    assert.equal(modulePathOf('/qa_outputs/MatMul'), 'qa_outputs');
    assert.equal(modulePathOf('bert.encoder.layer.1.output.LayerNorm/Add_1'), 'bert.encoder.layer.1.output.LayerNorm');
    // a called container's child, as torch 1.13-2.3 name it (pytorch/pytorch#90439)
    assert.equal(modulePathOf('/layer1/layer1.0/conv1/Conv'), 'layer1.0.conv1');
    assert.equal(modulePathOf('MatMul_12'), undefined);
    assert.equal(modulePathOf('/MatMul'), undefined);
  });

  for (const name of FIXTURES) {
    test(`${name}: the recovered state_dict is model.safetensors exactly`, () => {
      const f = fixture(name);
      const r = recovered(stateDictFromOnnx(f.onnxBytes, f.config));
      assert.equal(r.mapped, f.checkpoint.names().length);
      assert.deepEqual(r.zeroFilled, []);
      assertSameTensors(r.tensors, f.checkpoint);
    });
  }

  test('the lean graph built from the recovered tensors reproduces expected.json within 1e-4, and agrees with model.onnx on the probe', async () => {
    for (const name of FIXTURES) {
      const f = fixture(name);
      const r = recovered(stateDictFromOnnx(f.onnxBytes, f.config));
      const lean = buildOnnxFromCheckpointSync(f.config, r.tensors, name, { lean: true });
      const leanSession = await session(lean.bytes);
      const exported = await session(f.onnxBytes);
      try {
        let worst = 0;
        for (const c of f.expected.cases) {
          const batch = c.input_ids.length;
          const seqLen = c.input_ids[0].length;
          const flat = (rows: number[][]) => Int32Array.from(rows.flat());
          const out = await leanSession.run(
            { input_ids: flat(c.input_ids), attention_mask: flat(c.attention_mask), token_type_ids: flat(c.token_type_ids) },
            batch,
            seqLen,
            f.expected.outputs,
          );
          for (const o of f.expected.outputs) {
            const want = (c[o] as number[][]).flat();
            out[o].data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
          }
        }
        assert.ok(worst <= REFERENCE_TOLERANCE, `${name}: lean graph from recovered weights is ${worst} from PyTorch`);
        const probe = await sameOutputs(leanSession, exported, { vocabSize: Number(f.config.vocab_size) });
        assert.ok(probe.ok, `${name}: probe max diff ${probe.maxAbsDiff}`);
        assert.ok(probe.maxAbsDiff < 1e-4, `${name}: probe max diff ${probe.maxAbsDiff}`);
        assert.ok(probe.compared.length >= 1);
      } finally {
        await leanSession.release();
        await exported.release();
      }
    }
  });

  test('the probe tells two different models apart', async () => {
    const a = await session(fixture('mobilebert-qa').onnxBytes);
    const b = await session(fixture('bert-qa').onnxBytes);
    try {
      const probe = await sameOutputs(a, b, { vocabSize: 256 });
      assert.deepEqual(probe.compared, ['start_logits', 'end_logits']);
      assert.equal(probe.ok, false);
      assert.ok(probe.maxAbsDiff > 1e-2, `max diff ${probe.maxAbsDiff}`);
      // no output in common: nothing shows they agree
      const c = await session(fixture('mobilebert-seqcls').onnxBytes);
      try {
        assert.deepEqual(await sameOutputs(a, c, { vocabSize: 256 }), { ok: false, maxAbsDiff: Infinity, compared: [] });
      } finally {
        await c.release();
      }
    } finally {
      await a.release();
      await b.release();
    }
  });

  test('the probe batch: ids within the vocabulary, a padded row, two segments', () => {
    const p = probeBatch({ vocabSize: 30 });
    assert.equal(p.inputIds.length, p.batch * p.seqLen);
    assert.ok(p.inputIds.every((v) => v >= 0 && v < 30));
    assert.ok(p.attentionMask.includes(0) && p.tokenTypeIds.includes(1));
    p.attentionMask.forEach((m, i) => assert.ok(m === 1 || (p.inputIds[i] === 0 && p.tokenTypeIds[i] === 0)));
    assert.deepEqual(probeBatch({ vocabSize: 30 }), p, 'deterministic');
    assert.ok(probeBatch({ vocabSize: 30, typeVocabSize: 1 }).tokenTypeIds.every((t) => t === 0));
  });

  test("Lens's own export-shaped graph ([in, out] Linear weights under their state_dict names) is read back exactly", () => {
    for (const name of FIXTURES) {
      const f = fixture(name);
      const built = buildOnnxFromCheckpointSync(f.config, f.checkpoint, name, { lean: false });
      const meta = Object.fromEntries((decode(built.bytes).metadataProps ?? []).map((p) => [p.key, p.value]));
      assert.equal(meta['lens.linear_weight_layout'], 'in_out');
      const r = recovered(stateDictFromOnnx(built.bytes, f.config));
      assertSameTensors(r.tensors, f.checkpoint);
    }
  });

  test('float16 weights (a model_fp16.onnx) are widened as the checkpoint readers widen them', () => {
    const f = fixture('bert-qa');
    const bytes = edited(f.onnxBytes, (m) => {
      for (const t of m.graph?.initializer ?? []) {
        if (t.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
        const raw = t.rawData as Uint8Array;
        const bits = new Uint32Array(raw.slice().buffer);
        t.rawData = new Uint8Array(Uint16Array.from(bits, toHalf).buffer);
        t.dataType = onnx.TensorProto.DataType.FLOAT16;
      }
    });
    const table = halfTable();
    const toF16 = (v: Float32Array) => Float32Array.from(new Uint32Array(v.slice().buffer), (b) => table[toHalf(b)]);
    const r = recovered(stateDictFromOnnx(bytes, f.config));
    assertSameTensors(r.tensors, f.checkpoint, toF16);
    assert.equal(r.tensors.info('qa_outputs.weight').dtype, 'F16');
  });

  test('an initializer shared by two modules (deduplicated by value, as optimum does) is found for both', () => {
    const f = fixture('bert-qa');
    const q = 'bert.encoder.layer.0.attention.self.query.bias';
    const k = 'bert.encoder.layer.0.attention.self.key.bias';
    const bytes = edited(f.onnxBytes, (m) => {
      const graph = m.graph as OnnxTypes.onnx.IGraphProto;
      graph.initializer = (graph.initializer ?? []).filter((t) => t.name !== k);
      for (const n of nodesOf(m)) n.input = (n.input ?? []).map((i) => (i === k ? q : i));
    });
    const r = recovered(stateDictFromOnnx(bytes, f.config));
    assert.deepEqual(r.tensors.float32(k), f.checkpoint.float32(q));
    assert.deepEqual(r.tensors.float32(q), f.checkpoint.float32(q));
  });

  test('state_dict-named [out, in] weights reached through Transpose nodes (unnamed MatMuls) are read', () => {
    const f = fixture('bert-qa');
    const bytes = edited(f.onnxBytes, (m) => {
      const graph = m.graph as OnnxTypes.onnx.IGraphProto;
      const added: OnnxTypes.onnx.INodeProto[] = [];
      let i = 0;
      for (const n of nodesOf(m).filter((x) => x.opType === 'MatMul' && (x.input?.[1] ?? '').startsWith('onnx::MatMul'))) {
        const t = initOf(m, n.input?.[1] ?? '');
        const [rows, cols] = (t.dims ?? []).map(Number);
        const name = `${modulePathOf(n.name ?? '')}.weight`;
        const inOut = new Float32Array((t.rawData as Uint8Array).slice().buffer);
        const outIn = new Float32Array(inOut.length);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) outIn[c * rows + r] = inOut[r * cols + c];
        t.name = name;
        t.dims = [cols, rows];
        t.rawData = new Uint8Array(outIn.buffer);
        // every other one without perm (a Transpose then reverses the axes)
        const perm = i % 2 === 0 ? [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] }] : [];
        added.push({ name: `node_Transpose_${i}`, opType: 'Transpose', input: [name], output: [`val_${i}`], attribute: perm });
        n.input = [n.input?.[0] ?? '', `val_${i}`];
        n.name = `node_MatMul_${i++}`;
      }
      graph.node = [...added, ...nodesOf(m)];
    });
    assertSameTensors(recovered(stateDictFromOnnx(bytes, f.config)).tensors, f.checkpoint);
  });

  test('a parameter the forward pass never reads (dropped by exporters) is given zeros, and the graphs still agree', async () => {
    const config = {
      architectures: ['MobileBertForQuestionAnswering'],
      model_type: 'mobilebert',
      vocab_size: 50,
      embedding_size: 32,
      hidden_size: 32,
      trigram_input: false,
      intra_bottleneck_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_feedforward_networks: 2,
      max_position_embeddings: 32,
      normalization_type: 'no_norm',
      hidden_act: 'relu',
    };
    const weights: WeightSource = {
      tensor: (name, dims, init) => {
        const data = fillNormal(new Float32Array(dims.reduce((a, b) => a * b, 1)), 0.2, 7, name);
        return init === 'ones' ? data.map((v) => 1 + v) : data;
      },
    };
    const spec = parseModelSpec(config);
    const exported = buildGraph(spec, weights, undefined, { lean: false });
    const r = recovered(stateDictFromOnnx(exported.bytes, config));
    assert.deepEqual(r.zeroFilled, ['mobilebert.embeddings.embedding_transformation.weight', 'mobilebert.embeddings.embedding_transformation.bias']);
    assert.equal(r.mapped, r.tensors.names().length - 2);
    const lean = buildOnnxFromCheckpointSync(config, r.tensors, 'no-transform', { lean: true });
    const [a, b] = [await session(exported.bytes), await session(lean.bytes)];
    try {
      const probe = await sameOutputs(a, b, { vocabSize: 50 });
      assert.ok(probe.ok && probe.maxAbsDiff < 1e-4, `max diff ${probe.maxAbsDiff}`);
    } finally {
      await a.release();
      await b.release();
    }
  });

  describe('refusals say why', () => {
    test('a quantized file: its fp32 weights are not in it', () => {
      const f = fixture('mobilebert-qa');
      const reason = refused(stateDictFromOnnx(quantizeOnnx(f.onnxBytes).bytes, f.config));
      assert.match(reason, /^the ONNX file is quantized \(.*MatMulInteger.* nodes\): its fp32 weights are not in it$/);
    });

    test('MatMul node names stripped (an older exporter): the weight is not guessed', () => {
      const f = fixture('mobilebert-qa');
      for (const rename of [(_: string, i: number) => `MatMul_${i}`, () => '']) {
        const bytes = edited(f.onnxBytes, (m) => nodesOf(m).forEach((n, i) => n.opType === 'MatMul' && (n.name = rename(n.name ?? '', i))));
        const reason = refused(stateDictFromOnnx(bytes, f.config));
        assert.match(reason, /^no weight found for 32 tensors the MobileBertForQuestionAnswering graph needs: mobilebert\.embeddings\.embedding_transformation\.weight, /);
        assert.match(reason, /; 32 weights feed nodes whose names carry no module path/);
        assert.doesNotMatch(reason, /no place for|is config\.json/);
        assert.match(reason, /onnx::MatMul_507 \(feeds MatMul (node MatMul_\d+|an unnamed node)\)/);
      }
    });

    test('a weight with the wrong shape', () => {
      const f = fixture('mobilebert-qa');
      const bias = 'mobilebert.encoder.layer.0.attention.self.query.bias';
      const shortBias = edited(f.onnxBytes, (m) => {
        const t = initOf(m, bias);
        t.dims = [31];
        t.rawData = (t.rawData as Uint8Array).slice(0, 31 * 4);
      });
      const short = refused(stateDictFromOnnx(shortBias, f.config));
      assert.ok(short.startsWith(`weight ${bias} (${bias}, read by /mobilebert/encoder/layer.0/attention/self/query/Add) has shape [31], expected [32] (is config.json`), short);

      let weightInit = '';
      const narrowWeight = edited(f.onnxBytes, (m) => {
        const t = inputOf(m, '/mobilebert/encoder/layer.0/attention/self/query/MatMul', 1);
        weightInit = t.name ?? '';
        t.dims = [32, 31];
        t.rawData = (t.rawData as Uint8Array).slice(0, 32 * 31 * 4);
      });
      const reason = refused(stateDictFromOnnx(narrowWeight, f.config));
      assert.ok(
        reason.startsWith(`weight mobilebert.encoder.layer.0.attention.self.query.weight (${weightInit}, transposed from [32, 31], read by /mobilebert/encoder/layer.0/attention/self/query/MatMul) has shape [31, 32], expected [32, 32]`),
        reason,
      );

      // the key projection's weight fed at run time instead of stored
      const fedKey = edited(f.onnxBytes, (m) => {
        const node = nodesOf(m).find((n) => n.name === '/mobilebert/encoder/layer.0/attention/self/key/MatMul');
        assert.ok(node);
        const graph = m.graph as OnnxTypes.onnx.IGraphProto;
        graph.initializer = (graph.initializer ?? []).filter((t) => t.name !== node.input?.[1]);
        node.input = [node.input?.[0] ?? '', 'key_weight'];
      });
      assert.match(refused(stateDictFromOnnx(fedKey, f.config)), /^no weight found for mobilebert\.encoder\.layer\.0\.attention\.self\.key\.weight \(/);

      const truncated = edited(f.onnxBytes, (m) => {
        const t = initOf(m, bias);
        t.rawData = (t.rawData as Uint8Array).slice(0, 31 * 4);
      });
      assert.match(refused(stateDictFromOnnx(truncated, f.config)), /cannot be read: initializer .*query\.bias holds 31 values for its dims \[32\]/);
    });

    test('a config.json that does not describe the file', () => {
      const mobile = fixture('mobilebert-qa');
      const bert = fixture('bert-qa');
      assert.match(refused(stateDictFromOnnx(mobile.onnxBytes, bert.config)), /^no weight found for 37 tensors the BertForQuestionAnswering graph needs: bert\.embeddings\.word_embeddings\.weight, .*; the file has 99 weights the BertForQuestionAnswering of config\.json has no place for: mobilebert\.embeddings\..* \(is config\.json the one/);
      // fewer layers than the file: every tensor found, but the 46 of layer 1 would be dropped
      const oneLayer = refused(stateDictFromOnnx(mobile.onnxBytes, { ...mobile.config, num_hidden_layers: 1 }));
      assert.match(oneLayer, /^the file has 46 weights the MobileBertForQuestionAnswering of config\.json has no place for: .*layer\.1/);
      // more layers than the file
      assert.match(refused(stateDictFromOnnx(mobile.onnxBytes, { ...mobile.config, num_hidden_layers: 3 })), /^no weight found for \d+ tensors .*mobilebert\.encoder\.layer\.2\./);
      // another head: seqcls config on the QA file
      assert.match(refused(stateDictFromOnnx(mobile.onnxBytes, fixture('mobilebert-seqcls').config)), /no weight found for .*classifier\.weight.*qa_outputs/);
      assert.match(refused(stateDictFromOnnx(mobile.onnxBytes, { architectures: ['GPT2LMHeadModel'] })), /not supported/);
    });

    test('two different tensors claimed for one parameter: refused, not picked', () => {
      const f = fixture('mobilebert-qa');
      const bytes = edited(f.onnxBytes, (m) => {
        // the query weight renamed as the key's: the key's own MatMul input says otherwise
        const t = inputOf(m, '/mobilebert/encoder/layer.0/attention/self/query/MatMul', 1);
        const old = t.name;
        t.name = 'mobilebert.encoder.layer.0.attention.self.key.weight';
        for (const n of nodesOf(m)) n.input = (n.input ?? []).map((i) => (i === old ? t.name ?? '' : i));
      });
      assert.match(refused(stateDictFromOnnx(bytes, f.config)), /mobilebert\.encoder\.layer\.0\.attention\.self\.key\.weight is claimed by two different tensors/);
    });

    test("Lens's lean graph, an onnxruntime-optimized graph, external data, not ONNX", () => {
      const f = fixture('bert-qa');
      const lean = buildOnnxFromCheckpointSync(f.config, f.checkpoint, 'bert-qa', { lean: true });
      assert.match(refused(stateDictFromOnnx(lean.bytes, f.config)), /lean graph Lens built already/);
      const fused = edited(f.onnxBytes, (m) => {
        const n = nodesOf(m).find((x) => x.opType === 'Softmax');
        assert.ok(n);
        n.domain = 'com.microsoft';
        n.opType = 'Attention';
      });
      assert.match(refused(stateDictFromOnnx(fused, f.config)), /fused operators \(com\.microsoft:Attention\)/);
      const external = edited(f.onnxBytes, (m) => {
        const t = initOf(m, 'qa_outputs.bias');
        t.rawData = new Uint8Array(0);
        t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        t.externalData = [{ key: 'location', value: 'model.onnx_data' }];
      });
      assert.match(refused(stateDictFromOnnx(external, f.config)), /keeps 1 weight \(qa_outputs\.bias\) in an external data file/);
      assert.match(refused(stateDictFromOnnx(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), f.config)), /^not a valid ONNX file/);
      assert.match(refused(stateDictFromOnnx(encode({ irVersion: 7 }), f.config)), /no graph/);
    });
  });

  after(() => fixtures.clear());
});
