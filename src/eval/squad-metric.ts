// The official SQuAD v1.1 evaluation (evaluate-v1.1.py): answers are normalised (lowercase, punctuation
// and the articles a/an/the removed, whitespace collapsed), then exact match and token-overlap F1, each the
// maximum over the gold answers.

// string.punctuation in Python: the ASCII punctuation characters only
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

export function normalizeAnswer(s: string): string {
  let out = '';
  for (const ch of s.toLowerCase()) if (!PUNCTUATION.has(ch)) out += ch;
  // Python's \b is Unicode-aware (letters and digits of any script are word characters); JS's is ASCII-only
  out = out.replace(/(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu, ' ');
  // Python's str.split() with no argument splits on runs of Unicode whitespace
  return out.split(/\s+/u).filter(Boolean).join(' ');
}

export function exactMatch(prediction: string, gold: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(gold);
}

export function f1Score(prediction: string, gold: string): number {
  const pred = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const truth = normalizeAnswer(gold).split(' ').filter(Boolean);
  const counts = new Map<string, number>();
  for (const t of truth) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / pred.length;
  const recall = same / truth.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface SquadScore {
  exactMatch: number;
  f1: number;
  count: number;
}

/** Mean EM and F1 (x100) over questions, each scored against the best of its gold answers. */
export function squadScore(items: ReadonlyArray<{ prediction: string; answers: readonly string[] }>): SquadScore {
  if (items.length === 0) return { exactMatch: 0, f1: 0, count: 0 };
  let em = 0;
  let f1 = 0;
  for (const { prediction, answers } of items) {
    if (answers.length === 0) throw new Error('a question has no gold answers');
    em += Math.max(...answers.map((g) => (exactMatch(prediction, g) ? 1 : 0)));
    f1 += Math.max(...answers.map((g) => f1Score(prediction, g)));
  }
  return { exactMatch: (100 * em) / items.length, f1: (100 * f1) / items.length, count: items.length };
}
