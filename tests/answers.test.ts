import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractAnswers, softmax, topIndices, type WindowLogits } from '../src/engine/qa/answers.js';
import type { ContextTokens, QaWindow } from '../src/engine/qa/windows.js';

// A context of five words, one token each, and a window: [CLS] q q [SEP] w0..w4 [SEP]
const text = 'alpha beta gamma delta epsilon';
const words = text.split(' ');
const starts: number[] = [];
const ends: number[] = [];
let pos = 0;
for (const w of words) {
  starts.push(pos);
  ends.push(pos + w.length);
  pos += w.length + 1;
}
const context: ContextTokens = { text, ids: words.map((_, i) => 1000 + i), starts, ends, wordIndex: words.map((_, i) => i), pieces: words };

function window(docStart: number, length: number, maxContext: boolean[]): QaWindow {
  const inputIds = [101, 7, 8, 102, ...context.ids.slice(docStart, docStart + length), 102];
  return {
    inputIds,
    segmentIds: inputIds.map((_, i) => (i < 4 ? 0 : 1)),
    contextStart: 4,
    docStart,
    contextLength: length,
    tokenToOrigMap: context.wordIndex.slice(docStart, docStart + length),
    tokenIsMaxContext: maxContext,
  };
}

/** logits: -10 everywhere except the given positions */
function logits(n: number, set: Record<number, number>): Float32Array {
  const a = new Float32Array(n).fill(-10);
  for (const [i, v] of Object.entries(set)) a[Number(i)] = v;
  return a;
}

const full = window(0, 5, [true, true, true, true, true]);
const n = full.inputIds.length;

test('the best span maps to exact character offsets', () => {
  // start at "beta" (pos 5), end at "gamma" (pos 6)
  const w: WindowLogits = { window: full, context, offset: 0, start: logits(n, { 5: 5, 0: -5 }), end: logits(n, { 6: 5, 0: -5 }) };
  const r = extractAnswers([w], { topK: 3 });
  assert.equal(r.abstained, false);
  assert.equal(r.answers[0].text, 'beta gamma');
  assert.equal(text.slice(r.answers[0].start, r.answers[0].end), 'beta gamma');
  assert.equal(r.answers[0].logit, 10);
  assert.ok(r.answers[0].score > 0.9);
  assert.ok(r.answers.every((a, i) => i === 0 || a.score <= r.answers[i - 1].score), 'sorted by score');
});

test('offsets are shifted into the page', () => {
  const w: WindowLogits = { window: full, context, offset: 100, start: logits(n, { 4: 3 }), end: logits(n, { 4: 3 }) };
  const r = extractAnswers([w], { allowNoAnswer: false });
  assert.deepEqual([r.answers[0].text, r.answers[0].start, r.answers[0].end], ['alpha', 100, 105]);
});

test('query tokens, [CLS] and [SEP] are never part of an answer; end before start is rejected', () => {
  // the highest logits sit on query tokens and on [SEP]; the best valid span is "delta"
  const w: WindowLogits = {
    window: full, context, offset: 0,
    start: logits(n, { 1: 50, 2: 50, 9: 50, 7: 2, 8: 1 }),
    end: logits(n, { 1: 50, 3: 50, 9: 50, 7: 2, 4: 9 }),
  };
  const r = extractAnswers([w], { allowNoAnswer: false, topK: 20 });
  assert.equal(r.answers[0].text, 'delta');
  for (const a of r.answers) assert.ok(a.start < a.end && a.end <= text.length);
  assert.ok(!r.answers.some((a) => a.text.startsWith('delta epsilon') === false && a.start > a.end));
});

test('maxAnswerLength caps spans in tokens', () => {
  const w: WindowLogits = { window: full, context, offset: 0, start: logits(n, { 4: 5 }), end: logits(n, { 8: 5, 5: 1 }) };
  assert.equal(extractAnswers([w], { allowNoAnswer: false, maxAnswerLength: 5 }).answers[0].text, 'alpha beta gamma delta epsilon');
  assert.equal(extractAnswers([w], { allowNoAnswer: false, maxAnswerLength: 2 }).answers[0].text, 'alpha beta');
});

test('a start token is only taken from the window where it has max context', () => {
  // two windows over the same context; "gamma" (doc 2) is max-context only in the second
  const w1 = window(0, 3, [true, true, false]);
  const w2 = window(2, 3, [true, true, true]);
  const a: WindowLogits = { window: w1, context, offset: 0, start: logits(w1.inputIds.length, { 6: 20 }), end: logits(w1.inputIds.length, { 6: 20 }) };
  const b: WindowLogits = { window: w2, context, offset: 0, start: logits(w2.inputIds.length, { 4: 8 }), end: logits(w2.inputIds.length, { 4: 8 }) };
  const r = extractAnswers([a, b], { allowNoAnswer: false, topK: 5 });
  assert.equal(r.answers[0].text, 'gamma');
  assert.equal(r.answers[0].logit, 16, 'gamma scored from the window where it has max context (16), not from the first (40)');
  // only the start token must have max context (run_squad): spans of the first window ending at gamma remain
  assert.ok(r.answers.some((x) => x.text === 'alpha beta gamma' && x.logit === 10));
});

test('duplicate answer texts appear once', () => {
  const w1 = window(0, 5, [true, true, true, true, true]);
  const w: WindowLogits = { window: w1, context, offset: 0, start: logits(n, { 4: 3, 5: 2 }), end: logits(n, { 4: 3, 5: 2 }) };
  const r = extractAnswers([w, { ...w, offset: 0 }], { allowNoAnswer: false, topK: 10 });
  const texts = r.answers.map((a) => a.text);
  assert.equal(new Set(texts).size, texts.length);
});

test('abstention: the null score beats the best span by more than the threshold', () => {
  const strongNull: WindowLogits = { window: full, context, offset: 0, start: logits(n, { 0: 8, 5: 2 }), end: logits(n, { 0: 8, 5: 2 }) };
  const r = extractAnswers([strongNull]);
  assert.equal(r.abstained, true);
  assert.ok(r.noAnswerScore > 0.9);
  assert.equal(r.answers[0].text, 'beta', 'best guesses are still returned');
  // null 16 vs best span 4: the difference 12 is under a threshold of 13
  assert.equal(extractAnswers([strongNull], { nullThreshold: 13 }).abstained, false);
  assert.equal(extractAnswers([strongNull], { allowNoAnswer: false }).abstained, false);
  assert.equal(extractAnswers([strongNull], { allowNoAnswer: false }).noAnswerScore, 0);
});

test('the null score is the minimum over windows (the most confident window decides)', () => {
  const nullish: WindowLogits = { window: full, context, offset: 0, start: logits(n, { 0: 9, 5: 1 }), end: logits(n, { 0: 9, 5: 1 }) };
  const confident: WindowLogits = { ...nullish, start: logits(n, { 0: -9, 6: 3 }), end: logits(n, { 0: -9, 6: 3 }) };
  const r = extractAnswers([nullish, confident]);
  assert.equal(r.abstained, false);
  assert.equal(r.answers[0].text, 'gamma');
});

test('scores are probabilities over the n-best and the null answer', () => {
  const w: WindowLogits = { window: full, context, offset: 0, start: logits(n, { 0: 1, 4: 2, 5: 1 }), end: logits(n, { 0: 1, 4: 2, 5: 1 }) };
  const r = extractAnswers([w], { topK: 100 });
  const total = r.answers.reduce((s, a) => s + a.score, 0) + r.noAnswerScore;
  assert.ok(Math.abs(total - 1) < 1e-6);
});

test('helpers', () => {
  assert.deepEqual(topIndices(Float32Array.from([1, 5, 3, 5, 0]), 0, 5, 3), [1, 3, 2]);
  assert.deepEqual(topIndices(Float32Array.from([1, 5, 3, 5, 0]), 2, 5, 10), [3, 2, 4]);
  const p = softmax([1000, 1000]);
  assert.deepEqual(p, [0.5, 0.5], 'no overflow on large logits');
  assert.deepEqual(softmax([]), []);
});
