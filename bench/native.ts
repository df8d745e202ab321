// Native baseline: the same ONNX file in onnxruntime-node (CPU execution provider), with the same
// random-token rows as the other benches (scripts/bench.ts row()). Per-window latency at each sequence
// length (batch 1) and 4 windows of the longest length in one batch, after a timed warm-up.
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { benchIds, time, warmUp, type Stats } from '../src/eval/latency.js';

export interface NativeBenchOptions {
  /** the .onnx file, or a model folder (onnx/model.onnx or model.onnx inside) */
  modelPath: string;
  /** intra-op threads (inter-op is 1) */
  threads: number;
  seqLens?: number[];
  /** also time 4 windows of the longest seqLen in one batch */
  batch4?: boolean;
  trials: number;
  /** run windows of the longest seqLen for this long before timing (V8/CPU caches, frequency) */
  warmupMs: number;
}

export interface NativeBenchResult {
  runtime: string;
  ortVersion: string;
  modelFile: string;
  modelBytes: number;
  threads: number;
  /** InferenceSession.create from the file path (read + graph optimisation) */
  sessionCreateMs: number;
  warmup: { ms: number; runs: number };
  /** keyed '128', '256', '384' (batch 1) and '4x384' (one batch of 4); the batch row's time is per batch */
  perWindowMs: Record<string, Stats>;
}

function resolveModel(path: string): string {
  if (statSync(path).isFile()) return path;
  for (const rel of ['onnx/model.onnx', 'model.onnx']) {
    const p = `${path}/${rel}`;
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // try the next layout
    }
  }
  throw new Error(`benchNative: no onnx/model.onnx or model.onnx in ${path}`);
}

export async function benchNative(options: NativeBenchOptions): Promise<NativeBenchResult> {
  const seqLens = options.seqLens ?? [128, 256, 384];
  const modelFile = resolveModel(options.modelPath);
  const t = performance.now();
  const session = await ort.InferenceSession.create(modelFile, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const sessionCreateMs = performance.now() - t;
  try {
    const types = new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : 'int64']));
    const outputs = session.outputNames.filter((n) => n === 'start_logits' || n === 'end_logits' || n === 'logits');
    const feeds = (batch: number, n: number): Record<string, ort.Tensor> => {
      const ids = benchIds(n);
      const values: Record<string, number[]> = { input_ids: ids, attention_mask: new Array<number>(n).fill(1), token_type_ids: new Array<number>(n).fill(0) };
      const out: Record<string, ort.Tensor> = {};
      for (const [name, type] of types) {
        const row = values[name];
        if (!row) throw new Error(`benchNative: no values for model input "${name}"`);
        const all = Array.from({ length: batch }, () => row).flat();
        out[name] = type === 'int32' ? new ort.Tensor('int32', Int32Array.from(all), [batch, n]) : new ort.Tensor('int64', BigInt64Array.from(all, (v) => BigInt(v)), [batch, n]);
      }
      return out;
    };
    const longest = Math.max(...seqLens);
    const run = (f: Record<string, ort.Tensor>) => session.run(f, outputs);

    const warmFeeds = feeds(1, longest);
    const warmup = await warmUp(() => run(warmFeeds), options.warmupMs);
    const perWindowMs: Record<string, Stats> = {};
    for (const n of seqLens) {
      const f = feeds(1, n);
      perWindowMs[`${n}`] = await time(() => run(f), options.trials);
    }
    if (options.batch4 ?? true) {
      const f = feeds(4, longest);
      perWindowMs[`4x${longest}`] = await time(() => run(f), Math.max(2, Math.ceil(options.trials / 2)));
    }

    return {
      runtime: `onnxruntime-node (native, CPU EP), ${options.threads} thread${options.threads === 1 ? '' : 's'}`,
      ortVersion: ort.env.versions.node ?? ort.env.versions.common,
      modelFile,
      modelBytes: statSync(modelFile).size,
      threads: options.threads,
      sessionCreateMs,
      warmup,
      perWindowMs,
    };
  } finally {
    await session.release();
  }
}
