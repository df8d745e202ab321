// Today's graph against the lean one (src/engine/graph/lean.ts) on one full-size random model: nodes before and
// after onnxruntime's own optimisation (onnxruntime-node writes the optimised model), session creation and
// per-window latency in onnxruntime-web (Node, 1 thread, the two graphs interleaved so drift hits both), the largest
// difference between their logits; and today's int8 model (quantize.ts) for scale.
//   node --import tsx bench/lean-graph.ts            (ARCH=mobilebert|bert-tiny|minilm-l12-h384..., TRIALS=20)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ort from 'onnxruntime-web';
import onnxPkg from 'onnx-proto';

import { buildGraph, parseModelSpec } from '../src/engine/graph/index.js';
import { quantizeOnnx } from '../src/engine/quantize.js';
import { benchIds, stats, type Stats } from '../src/eval/latency.js';
import { presetConfigJson, seededWeights } from '../src/modelgen/random-model.js';

const { onnx } = onnxPkg;
const ARCH = process.env.ARCH ?? 'mobilebert';
const TRIALS = Number(process.env.TRIALS ?? 20);
const SEQ_LENS = [128, 384];
const SEED = 42;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

ort.env.wasm.numThreads = 1;
const tmp = await mkdtemp(join(tmpdir(), 'lens-lean-'));

function nodeCount(bytes: Uint8Array): { total: number; ops: Record<string, number> } {
  const ops: Record<string, number> = {};
  const nodes = onnx.ModelProto.decode(bytes).graph?.node ?? [];
  for (const n of nodes) ops[n.opType ?? ''] = (ops[n.opType ?? ''] ?? 0) + 1;
  return { total: nodes.length, ops: Object.fromEntries(Object.entries(ops).sort(([, a], [, b]) => b - a)) };
}

/** The graph onnxruntime runs after its own fusions ('all', CPU), as onnxruntime-node writes it. */
async function optimizedNodes(bytes: Uint8Array, label: string): Promise<{ total: number; ops: Record<string, number> }> {
  const file = join(tmp, `${label}.optimized.onnx`);
  const session = await ortNode.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, intraOpNumThreads: 1, logSeverityLevel: 3 });
  await session.release();
  return nodeCount(new Uint8Array(await readFile(file)));
}

function feeds(seqLen: number): Record<string, ort.Tensor> {
  const t = (v: (i: number) => number) => new ort.Tensor('int64', BigInt64Array.from({ length: seqLen }, (_, i) => BigInt(v(i))), [1, seqLen]);
  const ids = benchIds(seqLen);
  // the last tenth padded, so the mask is exercised
  const real = Math.ceil(seqLen * 0.9);
  return { input_ids: t((i) => (i < real ? ids[i] : 0)), attention_mask: t((i) => (i < real ? 1 : 0)), token_type_ids: t((i) => (i < seqLen / 2 ? 0 : 1)) };
}

// this machine's neighbours make single runs noisy: the minimum shows the undisturbed cost beside the median
const medianMin = (s: Stats) => `${s.median.toFixed(1)} (min ${s.min.toFixed(1)})`;

interface Variant {
  label: string;
  bytes: Uint8Array;
}

async function compare(variants: Variant[]): Promise<void> {
  // the runtime's own start is not what is compared
  await (await ort.InferenceSession.create(variants[0].bytes)).release();
  const create: number[][] = variants.map(() => []);
  for (let round = 0; round < 5; round++) {
    for (const [i, v] of variants.entries()) {
      const t = performance.now();
      const s = await ort.InferenceSession.create(v.bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      create[i].push(performance.now() - t);
      await s.release();
    }
  }
  const sessions = await Promise.all(variants.map((v) => ort.InferenceSession.create(v.bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })));
  for (const [i, v] of variants.entries()) log(`${v.label}: session created in ${medianMin(stats(create[i]))} ms (median of 5)`);
  for (const seqLen of SEQ_LENS) {
    const f = feeds(seqLen);
    const outs = await Promise.all(sessions.map((s) => s.run(f)));
    for (const [i, v] of variants.entries()) {
      if (i === 0) continue;
      let max = 0;
      for (const name of sessions[0].outputNames) {
        const a = outs[0][name].data as Float32Array;
        const b = outs[i][name].data as Float32Array;
        for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k] - b[k]));
      }
      log(`  ${seqLen} tokens: max |${variants[0].label} - ${v.label}| = ${max.toExponential(2)}`);
    }
    // warm-up, then the trials interleaved
    for (let k = 0; k < 3; k++) for (const s of sessions) await s.run(f);
    const ms: number[][] = variants.map(() => []);
    for (let k = 0; k < TRIALS; k++) {
      for (const [i, s] of sessions.entries()) {
        const t = performance.now();
        await s.run(f);
        ms[i].push(performance.now() - t);
      }
    }
    log(`  ${seqLen} tokens per window: ${variants.map((v, i) => `${v.label} ${medianMin(stats(ms[i]))} ms`).join(', ')} (median of ${TRIALS})`);
  }
  for (const s of sessions) await s.release();
}

try {
  const configJson = presetConfigJson(ARCH, { kind: 'qa' });
  const spec = parseModelSpec(configJson);
  const weights = seededWeights(SEED, spec.config.initializerRange);
  let t = performance.now();
  const today = buildGraph(spec, weights);
  log(`${ARCH} QA, seed ${SEED}: today's graph built in ${(performance.now() - t).toFixed(0)} ms`);
  t = performance.now();
  const lean = buildGraph(spec, weights, undefined, { lean: true });
  log(`lean graph built in ${(performance.now() - t).toFixed(0)} ms; ${today.parameterCount} parameters in each`);
  const variants: Variant[] = [
    { label: 'today fp32', bytes: today.bytes },
    { label: 'lean fp32', bytes: lean.bytes },
    { label: 'today int8', bytes: quantizeOnnx(today.bytes).bytes },
    { label: 'lean int8', bytes: quantizeOnnx(lean.bytes).bytes },
  ];
  for (const v of variants) {
    const before = nodeCount(v.bytes);
    const after = await optimizedNodes(v.bytes, v.label.replace(' ', '-'));
    log(`${v.label}: ${before.total} nodes, ${after.total} after onnxruntime's optimisation ${JSON.stringify(after.ops)}`);
  }
  log('fp32:');
  await compare(variants.slice(0, 2));
  log('int8:');
  await compare(variants.slice(2, 4));
} finally {
  await rm(tmp, { recursive: true, force: true });
}
