// Sentence (and sentence-pair) classification, and zero-shot classification with an NLI model as
// Hugging Face's zero-shot pipeline defines it: premise = the text, one hypothesis per candidate label.
import { runRows, type EncodedRow, type RunOptions } from './batch.js';
import type { LensModel } from './model.js';
import { softmax } from './qa/answers.js';

export interface LabelScore {
  label: string;
  score: number;
}

export interface ClassifyInput {
  text: string;
  /** second sentence of a pair (e.g. an NLI hypothesis) */
  pair?: string;
}

export interface ClassifyOptions extends RunOptions {
  /** tokens per sequence, longer inputs are truncated; default: the model's max positions, at most 512 */
  maxLength?: number;
}

function encodeAll(model: LensModel, inputs: readonly ClassifyInput[], maxLength: number | undefined): EncodedRow[] {
  const limit = Math.min(maxLength ?? 512, model.config.maxPositions);
  return inputs.map(({ text, pair }) => {
    if (!text.trim()) throw new Error('the text to classify is empty');
    return model.tokenizer.encode(text, pair, limit);
  });
}

/** Labels with softmax scores, best first, for each input. */
export async function classifyMany(model: LensModel, inputs: readonly ClassifyInput[], options: ClassifyOptions = {}): Promise<LabelScore[][]> {
  model.require('classify');
  const labels = model.config.labels ?? [];
  const rows = await runRows(model, encodeAll(model, inputs, options.maxLength), ['logits'], options);
  return rows.map(({ logits }) => {
    if (logits.length !== labels.length) throw new Error(`the model gives ${logits.length} logits but config.json names ${labels.length} labels`);
    return softmax([...logits])
      .map((score, i) => ({ label: labels[i], score }))
      .sort((a, b) => b.score - a.score);
  });
}

export async function classify(model: LensModel, text: string, pair?: string, options: ClassifyOptions = {}): Promise<LabelScore[]> {
  const [result] = await classifyMany(model, [{ text, pair }], options);
  return result;
}

export interface ZeroShotOptions extends ClassifyOptions {
  /** "{}" is replaced by each candidate label */
  hypothesisTemplate?: string;
  /** score each label independently (entailment vs contradiction) instead of one softmax across labels */
  multiLabel?: boolean;
}

export const DEFAULT_HYPOTHESIS_TEMPLATE = 'This example is {}.';

/** Which NLI classes mean entailment and contradiction, found by name in id2label. */
export function nliClassIds(labels: readonly string[]): { entailment: number; contradiction: number } {
  const find = (prefix: string) => labels.findIndex((l) => l.toLowerCase().startsWith(prefix));
  const entailment = find('entail');
  if (entailment < 0) throw new Error(`zero-shot classification needs an NLI model with an entailment class; this model's labels are ${labels.join(', ')}`);
  let contradiction = find('contradict');
  // Hugging Face's fallback when no class is named so: the first class, or the last if entailment is first
  if (contradiction < 0) contradiction = entailment === 0 ? labels.length - 1 : 0;
  return { entailment, contradiction };
}

/**
 * Zero-shot scores from the NLI logits of each (text, hypothesis) pair. Single-label: softmax of the
 * entailment logits across candidates (scores sum to 1). Multi-label, or one candidate: per candidate,
 * softmax over [contradiction, entailment], keeping entailment.
 */
export function zeroShotScores(nliLogits: readonly ArrayLike<number>[], ids: { entailment: number; contradiction: number }, multiLabel: boolean): number[] {
  if (multiLabel || nliLogits.length === 1) {
    return nliLogits.map((l) => softmax([l[ids.contradiction], l[ids.entailment]])[1]);
  }
  return softmax(nliLogits.map((l) => l[ids.entailment]));
}

export async function zeroShot(model: LensModel, text: string, candidateLabels: readonly string[], options: ZeroShotOptions = {}): Promise<LabelScore[]> {
  model.require('classify');
  const ids = nliClassIds(model.config.labels ?? []);
  const labels = candidateLabels.map((l) => l.trim()).filter(Boolean);
  if (labels.length === 0) throw new Error('zero-shot classification needs at least one candidate label');
  if (new Set(labels).size !== labels.length) throw new Error('the candidate labels contain a duplicate');
  const template = options.hypothesisTemplate ?? DEFAULT_HYPOTHESIS_TEMPLATE;
  if (!template.includes('{}')) throw new Error(`the hypothesis template must contain "{}" where the label goes (got "${template}")`);
  if (!text.trim()) throw new Error('the text to classify is empty');

  const rows = encodeAll(model, labels.map((label) => ({ text, pair: template.replace('{}', label) })), options.maxLength);
  const outputs = await runRows(model, rows, ['logits'], options);
  const scores = zeroShotScores(outputs.map((o) => o.logits), ids, options.multiLabel ?? false);
  return labels.map((label, i) => ({ label, score: scores[i] })).sort((a, b) => b.score - a.score);
}
