// The Node side of the benchmark, on onnxruntime-web (the same wasm the extension runs): per-window
// latency by sequence length, page QA with the retriever's budget against a full scan, and the
// retrieval trade-off curve (answer-in-window recall against windows and tokens read, by span size, on the
// tuning and held-out articles apart).
import { performance } from 'node:perf_hooks';
import type { LensModel } from '../src/engine/model.js';
import { DEFAULT_READ_BUDGET, DEFAULT_SPAN_TOKENS, EARLY_EXIT_TOKENS, PreparedDocument, answerDocument, type ReadBudget } from '../src/engine/qa/document.js';
import type { BertTokenizer } from '../src/engine/tokenizer/index.js';
import { loadModelDir } from '../src/modelgen/model-dir.js';
import { CURVE_SPANS, CURVE_TOKEN_BUDGETS, HELD_OUT_ARTICLES, RetrievalRun, TUNE_ARTICLES, articlePage, retrievalCurve as curve, type CurvePoint, type RetrievalReport } from '../src/eval/retrieval.js';
import type { SquadData } from '../src/eval/squad-data.js';
import { perWindowLatency as latency } from '../src/eval/latency.js';
import { type BenchConfig, type Stats, log, stats } from './stats.js';

export interface PerWindowResult {
  loadMs: number;
  /** keyed by "128", "256", "384", and "4x384" (one batched run of four windows) */
  perWindow: Record<string, Stats>;
}

export function perWindowLatency(model: LensModel, cfg: BenchConfig, seqLens: readonly number[] = [128, 256, 384]): Promise<Record<string, Stats>> {
  return latency(model, { trials: cfg.trials, warmupMs: cfg.warmupMs, seqLens, onResult: (k, s) => log(`  ${k} tokens: median ${s.median.toFixed(1)} ms`) });
}

export async function benchNodeWeb(modelDir: string, cfg: BenchConfig): Promise<PerWindowResult & { model: LensModel }> {
  const t = performance.now();
  const model = await loadModelDir(modelDir, { numThreads: 1 });
  const loadMs = performance.now() - t;
  log(`onnxruntime-web in Node (1 thread): model loaded in ${loadMs.toFixed(0)} ms`);
  return { loadMs, perWindow: await perWindowLatency(model, cfg), model };
}

export interface PageQaResult {
  questions: number;
  budget: ReadBudget;
  /** mean real tokens read per question under the default budget */
  meanTokensRead?: number;
  prepareMsPerPage: number;
  withBudget: Stats;
  fullScan: Stats;
  meanWindowsPerPage: number;
}

/** Page QA in Node as the extension's background does it (prepare once per page, then answer). */
export async function benchNodePageQa(model: LensModel, data: SquadData, articles: readonly number[], perArticle: number): Promise<PageQaResult> {
  let t = performance.now();
  const docs = articles.map((a) => PreparedDocument.prepare(model.tokenizer, articlePage(data, a)));
  const prepareMsPerPage = (performance.now() - t) / articles.length;
  const budgetMs: number[] = [];
  const fullMs: number[] = [];
  let tokensRead = 0;
  for (const [i, a] of articles.entries()) {
    const doc = docs[i];
    for (const q of data.questions.filter((x) => x.article === a).slice(0, perArticle)) {
      t = performance.now();
      tokensRead += (await answerDocument(model, q.question, doc)).tokensRead;
      budgetMs.push(performance.now() - t);
      t = performance.now();
      await answerDocument(model, q.question, doc, { windowBudget: Number.POSITIVE_INFINITY });
      fullMs.push(performance.now() - t);
    }
    log(`  article ${a}: ${doc.chunks.length} windows; budget ${budgetMs.at(-1)?.toFixed(0)} ms, full scan ${fullMs.at(-1)?.toFixed(0)} ms`);
  }
  return {
    questions: budgetMs.length,
    budget: DEFAULT_READ_BUDGET,
    meanTokensRead: tokensRead / Math.max(1, budgetMs.length),
    prepareMsPerPage,
    withBudget: stats(budgetMs),
    fullScan: stats(fullMs),
    meanWindowsPerPage: docs.reduce((s, d) => s + d.chunks.length, 0) / docs.length,
  };
}

export type { CurvePoint };

export interface RetrievalSection {
  spanTokens: number;
  budget: ReadBudget;
  /** the default settings on the tuning articles (0-23) and on the held-out ones (24-47) */
  tune: RetrievalReport;
  heldOut: RetrievalReport;
  /** the best windows up to EARLY_EXIT_TOKENS, held-out: what a reader sure after its first step reads */
  earlyExitBound: RetrievalReport;
  /** recall of the best 1, 2, 3 windows, held-out */
  topWindows: Array<{ windows: number; recall: number }>;
  points: CurvePoint[];
}

/** Answer-in-window recall for each span size and token budget, tuning and held-out articles apart (weight-independent). */
export function retrievalCurve(data: SquadData, tokenizer: BertTokenizer, quick: boolean): RetrievalSection {
  const held = RetrievalRun.run(data, tokenizer, { articles: HELD_OUT_ARTICLES });
  const tune = RetrievalRun.run(data, tokenizer, { articles: TUNE_ARTICLES }).at(DEFAULT_READ_BUDGET);
  const heldOut = held.at(DEFAULT_READ_BUDGET);
  log(`  default (${DEFAULT_SPAN_TOKENS}-token spans, ${DEFAULT_READ_BUDGET.tokens} tokens): tune ${(100 * tune.recall).toFixed(2)}%, held-out ${(100 * heldOut.recall).toFixed(2)}%, ${heldOut.meanTokensRead.toFixed(0)} tokens read on average (max ${heldOut.maxTokensRead})`);
  const points = curve(data, tokenizer, quick ? [DEFAULT_SPAN_TOKENS] : CURVE_SPANS, quick ? [512, DEFAULT_READ_BUDGET.tokens ?? 1024] : CURVE_TOKEN_BUDGETS);
  return {
    spanTokens: DEFAULT_SPAN_TOKENS,
    budget: DEFAULT_READ_BUDGET,
    tune,
    heldOut,
    earlyExitBound: held.at({ tokens: EARLY_EXIT_TOKENS }),
    topWindows: [1, 2, 3].map((windows) => ({ windows, recall: held.at({ windows }).recall })),
    points,
  };
}
