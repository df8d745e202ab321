// Validation of what users type into settings (pure: also unit-tested in Node).
import { CLASSIFY_MODES, type ClassifyMode, type ModelTask } from './protocol.js';

export function checkHubUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`"${url}" is not a URL (expected e.g. https://huggingface.co)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`the hub URL must be http(s), not ${parsed.protocol}`);
  return parsed.href.replace(/\/+$/, '');
}

/** Candidate labels from user input: trimmed, non-empty, no duplicates, at least two. */
export function checkLabels(labels: readonly string[]): string[] {
  const out = [...new Set(labels.map((l) => l.trim()).filter((l) => l.length > 0))];
  if (out.length < 2) throw new Error('give at least two different labels');
  if (out.some((l) => l.length > 100)) throw new Error('a label may be at most 100 characters');
  return out;
}


export function checkClassifyMode(value: unknown): ClassifyMode {
  if (CLASSIFY_MODES.includes(value as ClassifyMode)) return value as ClassifyMode;
  throw new Error(`the classify mode must be ${CLASSIFY_MODES.map((m) => `"${m}"`).join(' or ')} (got ${JSON.stringify(value)})`);
}

/** The model settings, and the registry task a model must have to fill each. */
export type ModelRole = 'qa' | 'sentiment' | 'zero-shot';
export const ROLE_TASK: Readonly<Record<ModelRole, ModelTask>> = { qa: 'qa', sentiment: 'classify', 'zero-shot': 'zero-shot' };
const ROLE_NAME: Readonly<Record<ModelRole, string>> = { qa: 'question-answering', sentiment: 'sentence-classification', 'zero-shot': 'zero-shot (NLI)' };

/**
 * A registry id chosen for a role; `taskOf` looks a model's task up (undefined: not in the registry). A
 * sentiment setting pointing at the NLI model would ask it for labels it does not have, so the task must match.
 */
export function checkModelFor(role: ModelRole, id: unknown, taskOf: (id: string) => ModelTask | undefined): string {
  if (typeof id !== 'string' || id === '') throw new Error(`the ${ROLE_NAME[role]} model must be a model id (got ${JSON.stringify(id)})`);
  const task = taskOf(id);
  if (task === undefined) throw new Error(`there is no model "${id}" in the model list`);
  if (task !== ROLE_TASK[role]) throw new Error(`"${id}" is not a ${ROLE_NAME[role]} model (its task is ${task})`);
  return id;
}
