// The extension's own engine (src/engine, onnxruntime-web wasm as the extension bundles it) in an extension
// page: model load from bytes, per-window latency by sequence length and a batch of 4, and memory.
import './wasm-memory.js';
import * as ort from 'onnxruntime-web';
import { runRows, type EncodedRow } from '../../src/engine/batch.js';
import { LensModel, ONNX_FILES, type ModelSource, type OnnxVariant } from '../../src/engine/model.js';
import type { OrtModule } from '../../src/engine/runtime.js';
import { benchIds, log, pageParams, publish, time, warmUp } from './common.js';
import type { EngineBenchOptions, EngineBenchResult, Stats } from './types.js';
import { memoryReport } from './wasm-memory.js';


// tokenizer.json is left out: the registry's QA model ships vocab.txt, which is what the extension reads
const FILES = ['config.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

/** Fetches a model folder's files once (404: absent), one ONNX file of the variant; served from memory then. */
async function fetchFolder(base: string, variant: OnnxVariant): Promise<{ source: ModelSource; files: Record<string, number> }> {
  const bytes = new Map<string, Uint8Array>();
  let haveOnnx = false;
  for (const path of [...FILES, ...ONNX_FILES[variant]]) {
    if (path.endsWith('.onnx') && haveOnnx) continue;
    const res = await fetch(new URL(path, base), { cache: 'no-store' });
    if (res.status === 404) continue;
    if (!res.ok) throw new Error(`fetching ${path}: HTTP ${res.status}`);
    bytes.set(path, new Uint8Array(await res.arrayBuffer()));
    if (path.endsWith('.onnx')) haveOnnx = true;
  }
  const files = Object.fromEntries([...bytes].map(([p, b]) => [p, b.byteLength]));
  return { source: { name: base, read: async (path) => bytes.get(path) }, files };
}

export async function runEngineBench(o: EngineBenchOptions): Promise<EngineBenchResult> {
  const beforeLoad = await memoryReport();
  let t = performance.now();
  const { source, files } = await fetchFolder(o.modelUrl, o.variant);
  const fetchMs = performance.now() - t;
  log(`fetched ${Object.keys(files).length} files in ${fetchMs.toFixed(0)} ms`);

  // WebGPU: the extension's WebGPU build of onnxruntime-web (src/offscreen/webgpu.ts), imported only for that run
  const runtime = o.executionProvider === 'webgpu' ? { executionProvider: 'webgpu' as const, ort: (await import('onnxruntime-web/jspi')) as unknown as OrtModule } : {};
  t = performance.now();
  let model = await LensModel.load(source, { numThreads: o.threads, variant: o.variant, ...runtime });
  const first = performance.now() - t;
  await model.release();
  t = performance.now();
  model = await LensModel.load(source, { numThreads: o.threads, variant: o.variant, ...runtime });
  const second = performance.now() - t;
  log(`model loaded in ${first.toFixed(0)} ms (again: ${second.toFixed(0)} ms)`);
  const afterLoad = await memoryReport();

  try {
    const row = (n: number): EncodedRow => ({ inputIds: benchIds(n), segmentIds: new Array<number>(n).fill(0) });
    const outputs = ['start_logits', 'end_logits'];
    const longest = Math.max(...o.seqLens);
    const warmup = await warmUp(() => runRows(model, [row(longest)], outputs), o.warmupMs);
    log(`warmed up: ${warmup.runs} runs in ${warmup.ms.toFixed(0)} ms`);
    const perWindowMs: Record<string, Stats> = {};
    for (const n of o.seqLens) {
      const r = row(n);
      perWindowMs[`${n}`] = await time(() => runRows(model, [r], outputs), o.trials);
      log(`${n} tokens: median ${perWindowMs[`${n}`].median.toFixed(1)} ms`);
    }
    const four = [row(longest), row(longest), row(longest), row(longest)];
    perWindowMs[`4x${longest}`] = await time(() => runRows(model, four, outputs, { batchSize: 4 }), Math.max(2, Math.ceil(o.trials / 2)));
    log(`4x${longest}: median ${perWindowMs[`4x${longest}`].median.toFixed(1)} ms`);
    const afterRuns = await memoryReport();
    return {
      runtime: `onnxruntime-web ${ort.env.versions.web ?? '?'} ${model.session.executionProvider} (the extension's engine) in an extension page`,
      userAgent: navigator.userAgent,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      threads: o.threads,
      onnxFile: model.onnxFile,
      fetched: { files, ms: fetchMs },
      loadMs: { first, second },
      warmup,
      perWindowMs,
      memory: { beforeLoad, afterLoad, afterRuns },
    };
  } finally {
    await model.release();
  }
}

window.__benchRun = runEngineBench;
const q = new URLSearchParams(location.search);
if (q.get('autorun') === '1') {
  const model = q.get('model');
  if (!model) log('autorun needs ?model=<model folder URL>/');
  else void publish(() => runEngineBench({ modelUrl: model, ...pageParams(), variant: q.get('variant') === 'quantized' ? 'quantized' : 'fp32' }));
}
