// Extractive question answering over one context: windows -> batched model runs -> n-best answers.
import { runRows, type RunOptions } from '../batch.js';
import type { LensModel } from '../model.js';
import { withDefaults } from '../options.js';
import { extractAnswers, type AnswerOptions, type QaResult, type WindowLogits } from './answers.js';
import { DEFAULT_WINDOW_OPTIONS, buildWindows, questionIds, tokenizeContext, type ContextTokens, type QaWindow, type WindowOptions } from './windows.js';

export interface QaOptions extends Partial<AnswerOptions>, Partial<WindowOptions>, RunOptions {}

export function windowOptions(model: LensModel, options: Partial<WindowOptions>): WindowOptions {
  const opts = withDefaults(DEFAULT_WINDOW_OPTIONS, options);
  if (opts.maxSeqLength > model.config.maxPositions) {
    throw new Error(`maxSeqLength ${opts.maxSeqLength} exceeds the model's ${model.config.maxPositions} positions`);
  }
  return opts;
}

export function checkQuestion(question: string): void {
  if (!question.trim()) throw new Error('the question is empty');
}

/** Runs the model over windows; each window's start/end logits come back with its context. */
export async function readWindows(
  model: LensModel,
  items: ReadonlyArray<{ window: QaWindow; context: ContextTokens; offset: number }>,
  options: RunOptions,
): Promise<WindowLogits[]> {
  const rows = await runRows(model, items.map((i) => i.window), ['start_logits', 'end_logits'], options);
  return items.map((item, i) => ({ ...item, start: rows[i].start_logits, end: rows[i].end_logits }));
}

/** Answers a question from one context; offsets are into `context`. */
export async function answerQuestion(model: LensModel, question: string, context: string, options: QaOptions = {}): Promise<QaResult> {
  model.require('qa');
  checkQuestion(question);
  if (!context.trim()) throw new Error('the context is empty');
  const opts = windowOptions(model, options);
  const ctx = tokenizeContext(model.tokenizer, context);
  const tok = model.tokenizer;
  const windows = buildWindows(questionIds(tok, question, opts.maxQueryLength), ctx, opts, { cls: tok.clsId, sep: tok.sepId });
  const logits = await readWindows(model, windows.map((window) => ({ window, context: ctx, offset: 0 })), options);
  return extractAnswers(logits, options);
}
