// transformers.js (@huggingface/transformers) on the same ONNX files, in the same browser, same threads, wasm:
// model load, per-window latency through its model call, and page QA through its question-answering
// pipeline. It brings its own onnxruntime-web (a 1.31 dev build, the JSEP/WebGPU bundle with the asyncify
// wasm); its wasm is served from the extension package, never from the CDN it defaults to.
import './wasm-memory.js';
import { AutoModelForQuestionAnswering, AutoTokenizer, Tensor, env, pipeline, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import browser from 'webextension-polyfill';
import { PreparedDocument } from '../../src/engine/qa/document.js';
import { BertTokenizer, Vocab } from '../../src/engine/tokenizer/index.js';
import type { ExtractReply, Reply } from '../../src/shared/protocol.js';
import { benchIds, log, stats, time, warmUp, type Stats } from './common.js';
import type { TjsBenchOptions, TjsBenchResult, TjsDtype, TjsQaOptions, TjsQaResult } from './types.js';
import { memoryReport } from './wasm-memory.js';

const ASYNCIFY_WASM = new URL('../../node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm', import.meta.url).href;

const PREFETCH = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];
const ONNX_OF: Record<TjsDtype, string> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

let configured: { files: Record<string, number>; ms: number; bytes: Map<string, Uint8Array> } | undefined;

/** env setup, once per page: local files only, wasm from the package, the given threads, no proxy; model files served from memory. */
async function configure(localModelPath: string, modelId: string, threads: number, dtype: TjsDtype) {
  if (configured) return configured;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = localModelPath;
  env.useBrowserCache = false;
  env.useWasmCache = false;
  const wasmEnv = env.backends.onnx.wasm;
  if (!wasmEnv) throw new Error('transformers.js: no onnx wasm backend env');
  wasmEnv.wasmPaths = { wasm: ASYNCIFY_WASM };
  wasmEnv.numThreads = threads;
  wasmEnv.proxy = false;

  // Fetch once, then serve from memory (a Cache-API-shaped object): load times then exclude the transfer,
  // as for the engine page.
  const bytes = new Map<string, Uint8Array>();
  const t = performance.now();
  const base = new URL(`${modelId}/`, localModelPath);
  for (const path of [...PREFETCH, ONNX_OF[dtype]]) {
    const url = new URL(path, base).href;
    const res = await fetch(url, { cache: 'no-store' });
    if (res.status === 404) continue;
    if (!res.ok) throw new Error(`fetching ${url}: HTTP ${res.status}`);
    bytes.set(url, new Uint8Array(await res.arrayBuffer()));
  }
  const ms = performance.now() - t;
  env.useCustomCache = true;
  env.customCache = {
    match: async (key: string | Request) => {
      const url = typeof key === 'string' ? key : key.url;
      const b = bytes.get(url) ?? bytes.get(new URL(url, location.href).href);
      return b ? new Response(b.slice(0), { headers: { 'Content-Length': String(b.byteLength) } }) : undefined;
    },
    put: async () => undefined,
  };
  const files = Object.fromEntries([...bytes].map(([u, b]) => [u.slice(base.href.length), b.byteLength]));
  configured = { files, ms, bytes };
  return configured;
}

async function load(modelId: string, dtype: TjsDtype): Promise<{ model: PreTrainedModel; tokenizer: PreTrainedTokenizer }> {
  const model = await AutoModelForQuestionAnswering.from_pretrained(modelId, { dtype, device: 'wasm' });
  const tokenizer = await AutoTokenizer.from_pretrained(modelId);
  return { model, tokenizer };
}

function feeds(batch: number, n: number): Record<string, Tensor> {
  const ids = Array.from({ length: batch }, () => benchIds(n)).flat();
  const big = (values: number[]) => new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [batch, n]);
  return { input_ids: big(ids), attention_mask: big(new Array<number>(batch * n).fill(1)), token_type_ids: big(new Array<number>(batch * n).fill(0)) };
}

export async function runTjsBench(o: TjsBenchOptions): Promise<TjsBenchResult> {
  const beforeLoad = await memoryReport();
  const { files, ms: fetchMs } = await configure(o.localModelPath, o.modelId, o.threads, o.dtype);
  let t = performance.now();
  let { model } = await load(o.modelId, o.dtype);
  const first = performance.now() - t;
  await model.dispose();
  t = performance.now();
  ({ model } = await load(o.modelId, o.dtype));
  const second = performance.now() - t;
  log(`transformers.js model loaded in ${first.toFixed(0)} ms (again: ${second.toFixed(0)} ms)`);
  const afterLoad = await memoryReport();
  try {
    const longest = Math.max(...o.seqLens);
    const call = (f: Record<string, Tensor>) => model(f);
    const warmFeeds = feeds(1, longest);
    const warmup = await warmUp(() => call(warmFeeds), o.warmupMs);
    log(`warmed up: ${warmup.runs} runs in ${warmup.ms.toFixed(0)} ms`);
    const perWindowMs: Record<string, Stats> = {};
    for (const n of o.seqLens) {
      const f = feeds(1, n);
      perWindowMs[`${n}`] = await time(() => call(f), o.trials);
      log(`${n} tokens: median ${perWindowMs[`${n}`].median.toFixed(1)} ms`);
    }
    const f4 = feeds(4, longest);
    perWindowMs[`4x${longest}`] = await time(() => call(f4), Math.max(2, Math.ceil(o.trials / 2)));
    const afterRuns = await memoryReport();
    return {
      runtime: 'transformers.js in an extension page (wasm)',
      transformersVersion: env.version,
      ortVersion: env.backends.onnx.versions?.web ?? '?',
      wasm: ASYNCIFY_WASM,
      // what onnxruntime-web runs, not what was asked: it falls back to 1 thread where threads are not possible
      threads: env.backends.onnx.wasm?.numThreads ?? o.threads,
      dtype: o.dtype,
      fetched: { files, ms: fetchMs },
      loadMs: { first, second },
      warmup,
      perWindowMs,
      memory: { beforeLoad, afterLoad, afterRuns },
    };
  } finally {
    await model.dispose();
  }
}

async function extract(tabId: number): Promise<ExtractReply> {
  const reply = (await browser.tabs.sendMessage(tabId, { type: 'content/extract', scope: 'page' }, { frameId: 0 })) as Reply<ExtractReply>;
  if (!reply?.ok) throw new Error(`content/extract on tab ${tabId}: ${reply ? reply.error : 'no reply'}`);
  return reply.value;
}

interface QaOutput {
  answer: string;
  score: number;
}

/**
 * Page QA with the question-answering pipeline on the text the extension's content script extracts.
 * Two modes, both reported: the whole page text in one call (the pipeline truncates), and one call per window
 * the extension's retriever would read (same budget).
 */
export async function runTjsPageQa(o: TjsQaOptions): Promise<TjsQaResult> {
  const { bytes } = await configure(o.localModelPath, o.modelId, o.threads, o.dtype);
  const qa = await pipeline('question-answering', o.modelId, { dtype: o.dtype, device: 'wasm' });
  const ask = async (question: string, context: string) => (await qa(question, context)) as unknown as QaOutput;
  // the extension's retriever, with the extension's tokenizer (vocab.txt) on the same extracted text
  const vocab = [...bytes].find(([u]) => u.endsWith('/vocab.txt'))?.[1];
  if (!vocab) throw new Error('the model folder has no vocab.txt (needed for the extension retriever)');
  const ourTokenizer = new BertTokenizer(Vocab.fromVocabTxt(new TextDecoder().decode(vocab)), { doLowerCase: true });

  const pages = new Map<number, { page: ExtractReply; doc: PreparedDocument }>();
  for (const { tabId } of o.items) {
    if (pages.has(tabId)) continue;
    const page = await extract(tabId);
    pages.set(tabId, { page, doc: PreparedDocument.prepare(ourTokenizer, { text: page.text, passages: page.passages }) });
  }
  const firstPage = pages.values().next().value;
  if (firstPage) await warmUp(() => ask(o.items[0].question, firstPage.page.text), o.warmupMs);

  const wholeMs: number[] = [];
  const windowsMs: number[] = [];
  const whole: TjsQaResult['wholePage']['answers'] = [];
  const windowed: TjsQaResult['retrievedWindows']['answers'] = [];
  let windowsPerQuestion = 0;
  for (const { tabId, question } of o.items) {
    const entry = pages.get(tabId);
    if (!entry) throw new Error('internal: page missing');
    let t = performance.now();
    const a = await ask(question, entry.page.text);
    wholeMs.push(performance.now() - t);
    whole.push({ question, answer: a.answer, score: a.score });

    t = performance.now();
    const chunks = entry.doc.select(question, o.windowBudget);
    let best: QaOutput = { answer: '', score: -1 };
    for (const c of chunks) {
      const r = await ask(question, entry.page.text.slice(c.start, c.end));
      if (r.score > best.score) best = r;
    }
    windowsMs.push(performance.now() - t);
    windowsPerQuestion = chunks.length;
    windowed.push({ question, answer: best.answer, score: best.score });
    log(`tjs QA: whole page ${wholeMs.at(-1)?.toFixed(0)} ms, ${chunks.length} windows ${windowsMs.at(-1)?.toFixed(0)} ms`);
  }
  await qa.dispose();
  return {
    wholePage: { ms: stats(wholeMs), answers: whole },
    retrievedWindows: { ms: stats(windowsMs), windowsPerQuestion, answers: windowed },
    pages: [...pages].map(([tabId, { page, doc }]) => ({ tabId, chars: page.text.length, windowsTotal: doc.chunks.length })),
  };
}

window.__tjsRun = runTjsBench;
window.__tjsPageQa = runTjsPageQa;
