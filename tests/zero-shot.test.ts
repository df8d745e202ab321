import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nliClassIds, zeroShotScores } from '../src/engine/classify.js';

test('NLI classes are found by name, with the Hugging Face fallback', () => {
  assert.deepEqual(nliClassIds(['contradiction', 'neutral', 'entailment']), { entailment: 2, contradiction: 0 });
  assert.deepEqual(nliClassIds(['ENTAILMENT', 'NEUTRAL', 'CONTRADICTION']), { entailment: 0, contradiction: 2 });
  assert.deepEqual(nliClassIds(['entailment', 'not_entailment']), { entailment: 0, contradiction: 1 });
  assert.throws(() => nliClassIds(['negative', 'positive']), /needs an NLI model with an entailment class; this model's labels are negative, positive/);
});

test('single-label: softmax of the entailment logits across candidates', () => {
  const ids = { entailment: 2, contradiction: 0 };
  const logits = [[0, 0, 2], [0, 0, 0], [5, 0, -1]];
  const scores = zeroShotScores(logits, ids, false);
  const e = [Math.exp(2), Math.exp(0), Math.exp(-1)];
  const sum = e[0] + e[1] + e[2];
  scores.forEach((s, i) => assert.ok(Math.abs(s - e[i] / sum) < 1e-9));
  assert.ok(Math.abs(scores.reduce((a, b) => a + b) - 1) < 1e-9);
});

test('multi-label: each candidate on its own, entailment vs contradiction (neutral ignored)', () => {
  const ids = { entailment: 2, contradiction: 0 };
  const scores = zeroShotScores([[0, 9, 0], [-3, 0, 3]], ids, true);
  assert.ok(Math.abs(scores[0] - 0.5) < 1e-9, 'equal entailment and contradiction -> 0.5, whatever neutral says');
  assert.ok(Math.abs(scores[1] - 1 / (1 + Math.exp(-6))) < 1e-9);
  // one candidate behaves as multi-label, as in the reference pipeline
  assert.deepEqual(zeroShotScores([[-3, 0, 3]], ids, false), [scores[1]]);
});
