// Checkpoints in the benchmark: the full-size MobileBERT as model.safetensors, built into its graph the way the
// loader builds it (time, and proof that it is the very graph `lens model make` writes, so it runs at the same
// speed), and the compact QA option (BERT-Tiny) against MobileBERT per window, both int8 as the extension runs them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import onnxPkg from 'onnx-proto';
import { buildOnnxFromCheckpointSync } from '../src/engine/graph/index.js';
import { SAFETENSORS_FILE } from '../src/shared/model-files.js';
import { quantizeOnnx } from '../src/engine/quantize.js';
import { makeModelFolder } from '../src/modelgen/model-folder.js';
import { convertModelFolder } from '../src/modelgen/convert.js';
import { quantizeModelFolder } from '../src/modelgen/quantize.js';
import { benchNodeWeb } from './node.js';
import { type BenchConfig, type Stats, log } from './stats.js';

const { onnx } = onnxPkg;

export interface CheckpointSection {
  safetensorsBytes: number;
  /** building the fp32 ONNX graph from model.safetensors in Node (one pass, as `lens qa` on a checkpoint folder) */
  buildMs: number;
  /** quantizing the built graph to int8 in Node (the extension's on-device step) */
  int8Ms: number;
  /** the built graph (nodes, initializers, inputs, outputs) is byte for byte the graph of the ONNX made directly */
  sameGraphAsOnnx: boolean;
  /** per-window latency (onnxruntime-web in Node, 1 thread, fp32): the ONNX made directly vs built from the checkpoint */
  fromOnnx: Record<string, Stats>;
  fromCheckpoint: Record<string, Stats>;
  /** the compact QA option (BERT-Tiny, 4.4 M parameters) and MobileBERT, both int8, 1 thread */
  compact: { parameters: number; safetensorsBytes: number; int8Bytes: number; perWindow: Record<string, Stats> };
  mobilebertInt8: Record<string, Stats>;
}

function graphBytes(model: Uint8Array): Uint8Array {
  return onnx.GraphProto.encode(onnx.ModelProto.decode(model).graph ?? {}).finish();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** onnxDir/int8Dir: the benchmark's full-size MobileBERT (seed 42) as ONNX and int8; work: a scratch folder. */
export async function benchCheckpoints(onnxDir: string, int8Dir: string, work: string, cfg: BenchConfig): Promise<CheckpointSection> {
  const stDir = join(work, 'mobilebert-qa-safetensors');
  if (!existsSync(join(stDir, SAFETENSORS_FILE))) await makeModelFolder({ arch: 'mobilebert', task: { kind: 'qa' }, outDir: stDir, seed: 42, format: 'safetensors' });
  const checkpoint = new Uint8Array(readFileSync(join(stDir, SAFETENSORS_FILE)));
  const config = JSON.parse(readFileSync(join(stDir, 'config.json'), 'utf8')) as unknown;

  let t = performance.now();
  const built = buildOnnxFromCheckpointSync(config, checkpoint);
  const buildMs = performance.now() - t;
  t = performance.now();
  quantizeOnnx(built.bytes);
  const int8Ms = performance.now() - t;
  const sameGraphAsOnnx = sameBytes(graphBytes(built.bytes), graphBytes(new Uint8Array(readFileSync(join(onnxDir, 'onnx', 'model.onnx')))));
  log(`checkpoint: full-size MobileBERT built from model.safetensors in ${buildMs.toFixed(0)} ms, int8 in ${int8Ms.toFixed(0)} ms; same graph as the ONNX: ${sameGraphAsOnnx}`);

  log('per window, the ONNX made directly (fp32, 1 thread):');
  const fromOnnx = await benchNodeWeb(onnxDir, cfg);
  await fromOnnx.model.release();
  log('per window, the same model loaded from model.safetensors (fp32, 1 thread):');
  const fromCheckpoint = await benchNodeWeb(stDir, cfg);
  await fromCheckpoint.model.release();

  const compactSt = join(work, 'bert-tiny-qa-safetensors');
  const compactOnnx = join(work, 'bert-tiny-qa-onnx');
  const compactInt8 = join(work, 'bert-tiny-qa-int8');
  const made = await makeModelFolder({ arch: 'bert-tiny', task: { kind: 'qa' }, outDir: compactSt, seed: 42, format: 'safetensors' });
  if (!existsSync(join(compactInt8, 'onnx', 'model_quantized.onnx'))) {
    await convertModelFolder({ inDir: compactSt, outDir: compactOnnx });
    await quantizeModelFolder({ inDir: compactOnnx, outDir: compactInt8 });
  }
  log('per window, BERT-Tiny QA (the compact option), int8, 1 thread:');
  const compact = await benchNodeWeb(compactInt8, cfg);
  await compact.model.release();
  log('per window, MobileBERT QA, int8, 1 thread:');
  const mobile = await benchNodeWeb(int8Dir, cfg);
  await mobile.model.release();
  return {
    safetensorsBytes: checkpoint.length,
    buildMs,
    int8Ms,
    sameGraphAsOnnx,
    fromOnnx: fromOnnx.perWindow,
    fromCheckpoint: fromCheckpoint.perWindow,
    compact: { parameters: made.parameterCount, safetensorsBytes: made.modelBytes, int8Bytes: statSync(join(compactInt8, 'onnx', 'model_quantized.onnx')).size, perWindow: compact.perWindow },
    mobilebertInt8: mobile.perWindow,
  };
}
