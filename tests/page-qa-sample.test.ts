// The bench's question draw (bench/browser/page-qa-sample.ts) and the timeline marks (src/shared/timeline.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drawQuestions } from '../bench/browser/page-qa-sample.js';
import type { SquadData } from '../src/eval/squad-data.js';
import { mark, takeMarks } from '../src/shared/timeline.js';

/** 5 articles with 3, 1, 4, 2, 6 questions */
function data(): SquadData {
  const sizes = [3, 1, 4, 2, 6];
  const questions = sizes.flatMap((n, article) => Array.from({ length: n }, (_, i) => ({ id: `${article}-${i}`, question: `q${article}.${i}`, context: 0, article, answers: [] })));
  return { contexts: [''], articles: sizes.map((_, i) => ({ title: `a${i}`, paragraphs: [0] })), questions };
}

describe('drawQuestions', () => {
  test('covers every article before taking a second question of any, and is fixed by the seed', () => {
    const d = data();
    const first = drawQuestions(d, 5, 7);
    assert.deepEqual(first.map((q) => q.article), [0, 1, 2, 3, 4]);
    assert.deepEqual(drawQuestions(d, 12, 7), drawQuestions(d, 12, 7));
    assert.notDeepEqual(drawQuestions(d, 16, 7).map((q) => q.question), drawQuestions(d, 16, 8).map((q) => q.question));
  });

  test('skip continues the same draw: warm and cold samples never share a question', () => {
    const d = data();
    const all = drawQuestions(d, 16, 3);
    const warm = drawQuestions(d, 10, 3);
    const cold = drawQuestions(d, 6, 3, 10);
    assert.deepEqual([...warm, ...cold], all);
    assert.equal(new Set(all.map((q) => q.question)).size, 16, 'each question once');
    // an article that ran out is skipped in later rounds
    assert.equal(all.filter((q) => q.article === 1).length, 1);
  });

  test('asking for more questions than there are is an error', () => {
    assert.throws(() => drawQuestions(data(), 17, 1), /only 16 questions/);
  });
});

describe('timeline marks', () => {
  test('takeMarks returns what was marked since the last call, in order, as wall-clock times', () => {
    takeMarks();
    const before = performance.timeOrigin + performance.now();
    mark('a');
    mark('b', before + 5);
    const marks = takeMarks();
    assert.deepEqual(marks.map((m) => m.name), ['a', 'b']);
    assert.ok(marks[0].at >= before && marks[0].at < before + 60_000);
    assert.equal(marks[1].at, before + 5);
    assert.deepEqual(takeMarks(), []);
  });

  test('a context nobody asks keeps a bounded list', () => {
    takeMarks();
    for (let i = 0; i < 1000; i++) mark(`m${i}`);
    const marks = takeMarks();
    assert.equal(marks.length, 200);
    assert.equal(marks.at(-1)?.name, 'm999', 'the newest are kept');
  });
});
