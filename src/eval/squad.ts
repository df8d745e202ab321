// SQuAD v1.1 dev evaluation: the reference windows, the model, n-best answers, the official metric.
// v1.1 has an answer for every question, so abstention is off.
import type { RunOptions } from '../engine/batch.js';
import type { LensModel } from '../engine/model.js';
import { extractAnswers, type AnswerOptions } from '../engine/qa/answers.js';
import { readWindows, windowOptions } from '../engine/qa/pipeline.js';
import { buildWindows, questionIds, tokenizeContext, type ContextTokens } from '../engine/qa/windows.js';
import type { SquadData } from './squad-data.js';
import { squadScore, type SquadScore } from './squad-metric.js';

export interface SquadEvalOptions extends RunOptions {
  limit?: number;
  answer?: Partial<AnswerOptions>;
}

export interface SquadEvalResult extends SquadScore {
  windows: number;
  predictions: Array<{ id: string; prediction: string; answers: string[] }>;
}

// Questions are read in groups so windows of several questions share a batch.
const QUESTIONS_PER_GROUP = 8;

export async function evalSquad(model: LensModel, data: SquadData, options: SquadEvalOptions = {}): Promise<SquadEvalResult> {
  model.require('qa');
  const opts = windowOptions(model, {});
  const tok = model.tokenizer;
  const limit = options.limit ?? data.questions.length;
  if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`--limit must be a positive whole number (got ${options.limit})`);
  const questions = data.questions.slice(0, limit);
  const contextCache = new Map<number, ContextTokens>();
  const predictions: SquadEvalResult['predictions'] = [];
  let windows = 0;
  for (let g = 0; g < questions.length; g += QUESTIONS_PER_GROUP) {
    options.signal?.throwIfAborted();
    const group = questions.slice(g, g + QUESTIONS_PER_GROUP);
    const items = group.flatMap((q, qi) => {
      let ctx = contextCache.get(q.context);
      if (!ctx) {
        ctx = tokenizeContext(tok, data.contexts[q.context]);
        contextCache.set(q.context, ctx);
      }
      const context = ctx;
      return buildWindows(questionIds(tok, q.question, opts.maxQueryLength), context, opts, { cls: tok.clsId, sep: tok.sepId })
        .map((window) => ({ window, context, offset: 0, qi }));
    });
    windows += items.length;
    const logits = await readWindows(model, items, { batchSize: options.batchSize, signal: options.signal });
    group.forEach((q, qi) => {
      const result = extractAnswers(logits.filter((_, i) => items[i].qi === qi), { ...options.answer, allowNoAnswer: false, topK: 1 });
      predictions.push({ id: q.id, prediction: result.answers[0]?.text ?? '', answers: q.answers });
    });
    options.onProgress?.(predictions.length, questions.length);
  }
  return { ...squadScore(predictions), windows, predictions };
}
