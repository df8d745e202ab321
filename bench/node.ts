// The Node side of the benchmark, on onnxruntime-web (the same wasm the extension runs): per-window
// latency by sequence length, page QA with the retriever's budget against a full scan, and the
// retrieval trade-off curve (answer-in-window recall against windows read, by window size).
import { performance } from 'node:perf_hooks';
import type { LensModel } from '../src/engine/model.js';
import { DEFAULT_WINDOW_BUDGET, PreparedDocument, answerDocument } from '../src/engine/qa/document.js';
import type { BertTokenizer } from '../src/engine/tokenizer/index.js';
import { loadModelDir } from '../src/cli/model-dir.js';
import { articlePage, evalRetrieval } from '../src/eval/retrieval.js';
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
  budget: number;
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
  for (const [i, a] of articles.entries()) {
    const doc = docs[i];
    for (const q of data.questions.filter((x) => x.article === a).slice(0, perArticle)) {
      t = performance.now();
      await answerDocument(model, q.question, doc, { windowBudget: DEFAULT_WINDOW_BUDGET });
      budgetMs.push(performance.now() - t);
      t = performance.now();
      await answerDocument(model, q.question, doc, { windowBudget: doc.chunks.length });
      fullMs.push(performance.now() - t);
    }
    log(`  article ${a}: ${doc.chunks.length} windows; budget ${budgetMs.at(-1)?.toFixed(0)} ms, full scan ${fullMs.at(-1)?.toFixed(0)} ms`);
  }
  return {
    questions: budgetMs.length,
    budget: DEFAULT_WINDOW_BUDGET,
    prepareMsPerPage,
    withBudget: stats(budgetMs),
    fullScan: stats(fullMs),
    meanWindowsPerPage: docs.reduce((s, d) => s + d.chunks.length, 0) / docs.length,
  };
}

export interface CurvePoint {
  maxSeqLength: number;
  budget: number;
  recall: number;
  meanWindowsPerPage: number;
  /** budget x the measured median latency of one window of this length (model reading cost per question) */
  readMs: number | undefined;
}

/** Answer-in-window recall on all 48 articles for each window size and budget (weight-independent). */
export function retrievalCurve(data: SquadData, tokenizer: BertTokenizer, perWindow: Record<string, Stats>, lengths: readonly number[], budgets: readonly number[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const maxSeqLength of lengths) {
    for (const budget of budgets) {
      const r = evalRetrieval(data, tokenizer, budget, { maxSeqLength });
      const perWin = perWindow[`${maxSeqLength}`]?.median;
      points.push({ maxSeqLength, budget, recall: r.recall, meanWindowsPerPage: r.meanWindowsPerPage, readMs: perWin === undefined ? undefined : perWin * budget });
    }
    log(`  windows of ${maxSeqLength}: recall ${points.filter((p) => p.maxSeqLength === maxSeqLength).map((p) => `${p.budget}:${(100 * p.recall).toFixed(1)}%`).join(' ')}`);
  }
  return points;
}
