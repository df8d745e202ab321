// From start/end logits to answers: the n-best search of the reference SQuAD pipeline (run_squad.py
// write_predictions), with character offsets from the tokenizer instead of its word-realignment heuristic.
import { withDefaults } from '../options.js';
import type { ContextTokens, QaWindow } from './windows.js';

export interface AnswerOptions {
  /** start and end positions kept per window before pairing (run_squad n_best_size) */
  nBest: number;
  /** longest answer, in tokens */
  maxAnswerLength: number;
  /** answers returned */
  topK: number;
  /** SQuAD 2.0: abstain when the null score beats the best span by more than nullThreshold */
  allowNoAnswer: boolean;
  nullThreshold: number;
}

export const DEFAULT_ANSWER_OPTIONS: AnswerOptions = { nBest: 20, maxAnswerLength: 30, topK: 3, allowNoAnswer: true, nullThreshold: 0 };

export interface QaAnswer {
  text: string;
  /** character offsets of the answer in the text that was asked about (context or page) */
  start: number;
  end: number;
  /** probability among the n-best answers (and "no answer" when allowed), 0..1 */
  score: number;
  /** start logit + end logit */
  logit: number;
}

export interface QaResult {
  /** best first; present even when the model abstains, so a UI can still offer them */
  answers: QaAnswer[];
  /** the model's null answer beat the best span by more than the threshold */
  abstained: boolean;
  /** probability of "no answer" (0 when abstention is not allowed) */
  noAnswerScore: number;
}

/** Logits of one window: rows of the model's output, at least as long as window.inputIds. */
export interface WindowLogits {
  window: QaWindow;
  context: ContextTokens;
  /** added to character offsets, e.g. the passage's offset in the page */
  offset: number;
  start: Float32Array;
  end: Float32Array;
}

interface Span {
  text: string;
  start: number;
  end: number;
  logit: number;
}

/** Indices of the n largest values of logits[from..to), largest first. */
export function topIndices(logits: Float32Array, from: number, to: number, n: number): number[] {
  const idx: number[] = [];
  for (let i = from; i < to; i++) idx.push(i);
  idx.sort((a, b) => logits[b] - logits[a] || a - b);
  return idx.slice(0, n);
}

/** All admissible spans of one window: context tokens only, start <= end, length cap, max-context rule. */
function windowSpans(w: WindowLogits, opts: AnswerOptions, out: Span[]): void {
  const { window, context } = w;
  const from = window.contextStart;
  const to = window.contextStart + window.contextLength;
  const starts = topIndices(w.start, from, to, opts.nBest);
  const ends = topIndices(w.end, from, to, opts.nBest);
  for (const s of starts) {
    // a token is scored only in the window that sees it with the most context on both sides
    if (!window.tokenIsMaxContext[s - from]) continue;
    for (const e of ends) {
      if (e < s || e - s + 1 > opts.maxAnswerLength) continue;
      const charStart = context.starts[window.docStart + s - from];
      const charEnd = context.ends[window.docStart + e - from];
      out.push({ text: context.text.slice(charStart, charEnd), start: charStart + w.offset, end: charEnd + w.offset, logit: w.start[s] + w.end[e] });
    }
  }
}

/**
 * How sure one window is of its best admissible span: the probability the reference pipelines report
 * (softmax of the start logits times softmax of the end logits, over the window's positions, [CLS] included,
 * so a window that leans to "no answer" scores low). 0 when the window has no admissible span.
 */
export function windowConfidence(w: WindowLogits, options: Partial<AnswerOptions> = {}): number {
  const spans: Span[] = [];
  windowSpans(w, withDefaults(DEFAULT_ANSWER_OPTIONS, options), spans);
  if (spans.length === 0) return 0;
  const best = Math.max(...spans.map((s) => s.logit));
  const n = w.window.inputIds.length;
  return Math.exp(best - logSumExp(w.start, n) - logSumExp(w.end, n));
}

function logSumExp(values: Float32Array, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, values[i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

/** Pools the spans of every window (of one context or of many passages) and ranks them. */
export function extractAnswers(windows: readonly WindowLogits[], options: Partial<AnswerOptions> = {}): QaResult {
  const opts = withDefaults(DEFAULT_ANSWER_OPTIONS, options);
  const spans: Span[] = [];
  let nullLogit = Infinity;
  for (const w of windows) {
    windowSpans(w, opts, spans);
    // the null answer scores [CLS]-[CLS]; the most confident window decides (run_squad keeps the minimum)
    nullLogit = Math.min(nullLogit, w.start[0] + w.end[0]);
  }
  spans.sort((a, b) => b.logit - a.logit || a.start - b.start);

  // one entry per answer text, as run_squad does: the same words found twice are one answer
  const seen = new Set<string>();
  const best: Span[] = [];
  for (const span of spans) {
    if (best.length >= opts.nBest) break;
    if (seen.has(span.text)) continue;
    seen.add(span.text);
    best.push(span);
  }

  const logits = best.map((s) => s.logit);
  if (opts.allowNoAnswer && Number.isFinite(nullLogit)) logits.push(nullLogit);
  const probs = softmax(logits);
  const answers = best.slice(0, opts.topK).map((s, i): QaAnswer => ({ ...s, score: probs[i] }));
  const noAnswerScore = opts.allowNoAnswer && Number.isFinite(nullLogit) ? probs[probs.length - 1] : 0;
  const abstained = opts.allowNoAnswer && (best.length === 0 || nullLogit - best[0].logit > opts.nullThreshold);
  return { answers, abstained, noAnswerScore };
}

export function softmax(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
