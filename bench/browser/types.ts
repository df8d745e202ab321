// The bench pages' options and results, shared by the pages (DOM) and the Node driver: no DOM or Node types here.

import type { Stats } from '../../src/eval/latency.js';

export type { Stats };

export interface MemoryReport {
  /** performance.memory (Chromium only): the page's JS heap */
  jsHeapUsedBytes: number | null;
  jsHeapTotalBytes: number | null;
  /** sum of the byteLength of every wasm Memory seen (the ORT heap: model weights, arena, activations) */
  wasmMemoryBytes: number | null;
  wasmMemories: number;
  /** performance.measureUserAgentSpecificMemory when the page is cross-origin isolated, else why not */
  uaSpecificBytes: number | string;
}

export interface EngineBenchOptions {
  /** URL of the model folder (HF layout), ending with / */
  modelUrl: string;
  trials: number;
  warmupMs: number;
  threads: number;
  seqLens: number[];
  /** which ONNX file of the folder: model.onnx (fp32) or model_quantized.onnx (int8) */
  variant: 'fp32' | 'quantized';
  /** default wasm; webgpu: onnxruntime-web's WebGPU (JSPI) build, as the offscreen document loads it (bench/browser/webgpu.ts) */
  executionProvider?: 'wasm' | 'webgpu';
}

export interface EngineBenchResult {
  runtime: string;
  userAgent: string;
  crossOriginIsolated: boolean;
  threads: number;
  onnxFile: string;
  /** bytes fetched from the local server (every file the loader asked for) */
  fetched: { files: Record<string, number>; ms: number };
  /** LensModel.load from bytes in memory: tokenizer + InferenceSession.create; first includes wasm compile */
  loadMs: { first: number; second: number };
  warmup: { ms: number; runs: number };
  /** '128', '256', '384' (batch 1) and '4x384' (one batch of 4, time per batch) */
  perWindowMs: Record<string, Stats>;
  memory: { beforeLoad: MemoryReport; afterLoad: MemoryReport; afterRuns: MemoryReport };
}

export interface TjsBenchOptions {
  /** env.localModelPath: the folder above the model (ends with /) */
  localModelPath: string;
  /** the model id under it (a valid HF repo id, e.g. 'main' for .../resolve/main/) */
  modelId: string;
  trials: number;
  warmupMs: number;
  threads: number;
  seqLens: number[];
  /** transformers.js dtype: 'fp32' loads onnx/model.onnx, 'q8' onnx/model_quantized.onnx */
  dtype: TjsDtype;
}

export type TjsDtype = 'fp32' | 'q8';

export interface TjsBenchResult {
  runtime: string;
  transformersVersion: string;
  ortVersion: string;
  wasm: string;
  threads: number;
  dtype: TjsDtype;
  fetched: { files: Record<string, number>; ms: number };
  /** from_pretrained of the model from bytes already in memory (custom cache): session creation etc. */
  loadMs: { first: number; second: number };
  warmup: { ms: number; runs: number };
  perWindowMs: Record<string, Stats>;
  memory: { beforeLoad: MemoryReport; afterLoad: MemoryReport; afterRuns: MemoryReport };
}

export interface TjsQaItem {
  tabId: number;
  question: string;
}

export interface TjsQaOptions {
  localModelPath: string;
  modelId: string;
  items: TjsQaItem[];
  /** what the retriever selects per question for the 'retrieved windows' mode (the extension's default budget) */
  windowBudget: number | { windows?: number; tokens?: number };
  warmupMs: number;
  threads: number;
  dtype: TjsDtype;
}

export interface TjsAnswer {
  question: string;
  answer: string;
  score: number;
}

export interface TjsQaResult {
  /** the pipeline's question + whole page text in one call: it truncates the pair to model_max_length (512) tokens, so only the start of the page is read */
  wholePage: { ms: Stats; answers: TjsAnswer[] };
  /** the pipeline called once per window the extension's retriever selects (same extracted page text, same windows' context text), best score kept */
  retrievedWindows: { ms: Stats; windowsPerQuestion: number; answers: TjsAnswer[] };
  /** page text length (characters) and the extension's window count per page */
  pages: Array<{ tabId: number; chars: number; windowsTotal: number }>;
}

/** What the pages put on window for the driver. */
export interface BenchPageGlobals {
  __benchRun?: (o: EngineBenchOptions) => Promise<EngineBenchResult>;
  __tjsRun?: (o: TjsBenchOptions) => Promise<TjsBenchResult>;
  __tjsPageQa?: (o: TjsQaOptions) => Promise<TjsQaResult>;
  __benchResult?: unknown;
  __benchError?: string;
  __benchLog?: string[];
}

/** One page question through the extension's background (qa/ask), timed in an extension page; Chromium and Firefox. */
export interface AskSample {
  article: number;
  question: string;
  /** measured in the extension page around chrome.runtime.sendMessage */
  ms: number;
  /** the background's own reply.ms (extract + load + prepare + read) */
  backgroundMs: number;
  windowsRead: number;
  windowsTotal: number;
  pageTokensRead: number;
  pageTokens: number;
  answer: string;
  abstained: boolean;
}

/** The fields of the qa/ask reply (AskReply) the bench reads. */
export interface AskReplyLite {
  answers: Array<{ text: string }>;
  abstained: boolean;
  windowsRead: number;
  windowsTotal: number;
  pageTokensRead: number;
  pageTokens: number;
  ms: number;
}

/** What a browser's page-QA bench is given (Chromium's driver.ts adds its own sections' options). */
export interface PageQaBenchOptions {
  /** a full-size QA model folder (config.json, vocab.txt, tokenizer_config.json, onnx/model.onnx or model.onnx) */
  modelDir: string;
  trials: number;
  warmupMs: number;
  /** SQuAD dev article numbers (0..47): each is opened as a page */
  articles: number[];
  /** questions asked per article */
  questionsPerArticle?: number;
  /** cold asks (default min(trials, 3)) */
  coldTrials?: number;
  /** where the bench build goes; reused without building when skipBuild */
  outDir?: string;
  skipBuild?: boolean;
  log?: (line: string) => void;
}
