import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactMatch, f1Score, normalizeAnswer, squadScore } from '../src/eval/squad-metric.js';

test('normalisation follows evaluate-v1.1.py', () => {
  assert.equal(normalizeAnswer('The  Denver Broncos!'), 'denver broncos');
  assert.equal(normalizeAnswer('an apple, a pear and the plum'), 'apple pear and plum');
  // articles only as whole words: "theatre" and "Anna" keep their letters
  assert.equal(normalizeAnswer('Theatre of Anna'), 'theatre of anna');
  // only ASCII punctuation is removed, like Python's string.punctuation
  assert.equal(normalizeAnswer('“Levi’s” – Stadium'), '“levi’s” – stadium');
  // Python's \b is Unicode-aware: "a" inside "éa" is not a word of its own
  assert.equal(normalizeAnswer('éa b'), 'éa b');
  assert.equal(normalizeAnswer(''), '');
});

test('exact match and F1 on hand-checked cases', () => {
  assert.equal(exactMatch('the Broncos', 'Broncos.'), true);
  assert.equal(exactMatch('Denver', 'Denver Broncos'), false);
  // pred {denver}, gold {denver, broncos}: P=1, R=1/2, F1=2/3
  assert.ok(Math.abs(f1Score('Denver', 'Denver Broncos') - 2 / 3) < 1e-12);
  // pred {in, santa, clara}, gold {santa, clara, california}: P=2/3, R=2/3
  assert.ok(Math.abs(f1Score('in Santa Clara', 'Santa Clara, California') - 2 / 3) < 1e-12);
  // repeated tokens count once per occurrence: pred {a1,a1} vs gold {a1}: P=1/2, R=1
  assert.ok(Math.abs(f1Score('x x', 'x') - 2 / 3) < 1e-12);
  assert.equal(f1Score('nothing shared', 'entirely different'), 0);
  assert.equal(f1Score('the', 'a'), 0, 'answers that normalise to nothing score 0 F1');
});

test('squadScore takes the best gold answer per question and averages x100', () => {
  const score = squadScore([
    { prediction: 'Denver Broncos', answers: ['Denver Broncos', 'Broncos'] },
    { prediction: 'Denver', answers: ['Carolina Panthers', 'Denver Broncos'] },
  ]);
  assert.equal(score.count, 2);
  assert.equal(score.exactMatch, 50);
  assert.ok(Math.abs(score.f1 - ((1 + 2 / 3) / 2) * 100) < 1e-9);
  assert.throws(() => squadScore([{ prediction: 'x', answers: [] }]), /no gold answers/);
});

test('a prediction equal to a gold answer scores EM = F1 = 100', () => {
  const golds = ['Denver Broncos', 'Levi\'s Stadium in the San Francisco Bay Area at Santa Clara, California', '24–10', 'the 1960s', 'Saint Bernadette Soubirous', '£1.2 billion', '中文'];
  for (const gold of golds) {
    const s = squadScore([{ prediction: gold, answers: ['unrelated words', gold] }]);
    assert.equal(s.exactMatch, 100, gold);
    assert.equal(s.f1, 100, gold);
  }
});

test('an answer that normalises to nothing: EM 100 but F1 0, as the official script scores it', () => {
  const s = squadScore([{ prediction: 'A', answers: ['A'] }]);
  assert.equal(s.exactMatch, 100);
  assert.equal(s.f1, 0);
});
