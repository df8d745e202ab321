// GLUE SST-2 dev accuracy: `sentence<TAB>label` lines, 1 = positive.
import { readFile } from 'node:fs/promises';
import type { RunOptions } from '../engine/batch.js';
import { classifyMany } from '../engine/classify.js';
import type { LensModel } from '../engine/model.js';

export interface Sst2Item {
  sentence: string;
  label: 0 | 1;
}

export async function loadSst2(path: string): Promise<Sst2Item[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines[0]?.startsWith('sentence\t')) lines.shift();
  return lines.map((line, i) => {
    const tab = line.lastIndexOf('\t');
    const label = line.slice(tab + 1).trim();
    if (tab < 0 || (label !== '0' && label !== '1')) throw new Error(`${path}: line ${i + 2} is not "sentence<TAB>0|1"`);
    return { sentence: line.slice(0, tab), label: label === '1' ? 1 : 0 };
  });
}

/** Which of the model's classes are the positive and negative sentiment, by name. */
export function sentimentClasses(labels: readonly string[]): { positive: number; negative: number } {
  const find = (names: string[]) => labels.findIndex((l) => names.includes(l.toLowerCase()));
  const positive = find(['positive', 'pos', 'label_1', '1']);
  const negative = find(['negative', 'neg', 'label_0', '0']);
  if (positive < 0 || negative < 0) throw new Error(`a sentiment model needs classes named positive and negative (or LABEL_1 and LABEL_0); this model has ${labels.join(', ')}`);
  return { positive, negative };
}

export interface Sst2Result {
  accuracy: number;
  correct: number;
  count: number;
}

/** A sentence counts as predicted positive when the positive class outscores the negative one. */
export async function evalSst2(model: LensModel, items: readonly Sst2Item[], options: RunOptions = {}): Promise<Sst2Result> {
  model.require('classify');
  const labels = model.config.labels ?? [];
  const { positive, negative } = sentimentClasses(labels);
  const results = await classifyMany(model, items.map((i) => ({ text: i.sentence })), { batchSize: 8, ...options });
  let correct = 0;
  results.forEach((scores, i) => {
    const score = (cls: number) => scores.find((s) => s.label === labels[cls])?.score ?? 0;
    const predicted = score(positive) > score(negative) ? 1 : 0;
    if (predicted === items[i].label) correct++;
  });
  return { accuracy: items.length ? (100 * correct) / items.length : 0, correct, count: items.length };
}
