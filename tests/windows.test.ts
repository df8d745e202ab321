import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_WINDOW_OPTIONS,
  buildQaWindows,
  buildWindows,
  docSpans,
  questionIds,
  tokenizeContext,
  type ContextTokens,
} from '../src/engine/qa/windows.js';
import { compareWindows } from '../src/eval/windows.js';
import { NO_SHARED_DATA, SQUAD_DIR } from './helpers/shared-data.js';
import { uncasedTokenizer } from './helpers/vocab.js';

const tok = await uncasedTokenizer();
const special = { cls: 101, sep: 102 };

/** A context of n one-token words: ids 1000.., word i = token i. */
function syntheticContext(n: number): ContextTokens {
  const ids = Array.from({ length: n }, (_, i) => 1000 + i);
  return {
    text: ids.map((i) => `w${i}`).join(' '),
    ids,
    starts: ids.map((_, i) => i * 6),
    ends: ids.map((_, i) => i * 6 + 5),
    wordIndex: ids.map((_, i) => i),
    pieces: ids.map((i) => `w${i}`),
  };
}

describe('window layout (run_squad convert_examples_to_features)', () => {
  test('defaults are 384 / 128 / 64', () => {
    assert.deepEqual(DEFAULT_WINDOW_OPTIONS, { maxSeqLength: 384, docStride: 128, maxQueryLength: 64 });
  });

  test('a short context is one window: [CLS] query [SEP] context [SEP]', () => {
    const ctx = syntheticContext(3);
    const [w, ...rest] = buildWindows([7, 8], ctx, DEFAULT_WINDOW_OPTIONS, special);
    assert.equal(rest.length, 0);
    assert.deepEqual(w.inputIds, [101, 7, 8, 102, 1000, 1001, 1002, 102]);
    assert.deepEqual(w.segmentIds, [0, 0, 0, 0, 1, 1, 1, 1]);
    assert.equal(w.contextStart, 4);
    assert.equal(w.docStart, 0);
    assert.equal(w.contextLength, 3);
    assert.deepEqual(w.tokenToOrigMap, [0, 1, 2]);
    assert.deepEqual(w.tokenIsMaxContext, [true, true, true]);
  });

  test('stride: slices start every docStride tokens until one reaches the end', () => {
    // 2 query tokens + 3 specials + 4 context tokens per window
    const opts = { maxSeqLength: 9, docStride: 2, maxQueryLength: 64 };
    const windows = buildWindows([7, 8], syntheticContext(10), opts, special);
    assert.deepEqual(
      windows.map((w) => [w.docStart, w.contextLength]),
      [
        [0, 4],
        [2, 4],
        [4, 4],
        [6, 4],
      ],
    );
    assert.deepEqual(windows[1].inputIds, [101, 7, 8, 102, 1002, 1003, 1004, 1005, 102]);
    assert.deepEqual(windows[3].tokenToOrigMap, [6, 7, 8, 9]);
    // each token is "max context" in the window where min(left, right) is largest, the first on ties
    assert.deepEqual(
      windows.map((w) => w.tokenIsMaxContext),
      [
        [true, true, true, false],
        [false, true, true, false],
        [false, true, true, false],
        [false, true, true, true],
      ],
    );
    // every context token is max-context in exactly one window
    const count = new Array<number>(10).fill(0);
    for (const w of windows) w.tokenIsMaxContext.forEach((m, i) => (count[w.docStart + i] += m ? 1 : 0));
    assert.deepEqual(count, new Array<number>(10).fill(1));
  });

  test('the last window may be shorter; the 0.01 * length term breaks ties towards longer windows', () => {
    const opts = { maxSeqLength: 9, docStride: 3, maxQueryLength: 64 };
    const windows = buildWindows([7, 8], syntheticContext(11), opts, special);
    assert.deepEqual(
      windows.map((w) => [w.docStart, w.contextLength]),
      [
        [0, 4],
        [3, 4],
        [6, 4],
        [9, 2],
      ],
    );
    // token 9: window 2 (left 3, right 0: 0 + 0.04) beats window 3 (left 0, right 1: 0 + 0.02)
    assert.deepEqual(windows[2].tokenIsMaxContext, [false, true, true, true]);
    assert.deepEqual(windows[3].tokenIsMaxContext, [false, true]);
    assert.deepEqual(windows[3].inputIds, [101, 7, 8, 102, 1009, 1010, 102]);
  });

  test('docSpans: a stride longer than the window still advances by the window length', () => {
    assert.deepEqual(docSpans(10, 4, 100), [
      { start: 0, length: 4 },
      { start: 4, length: 4 },
      { start: 8, length: 2 },
    ]);
    assert.deepEqual(docSpans(0, 4, 2), []);
  });

  test('an empty context has no windows (run_squad emits no feature for it)', () => {
    assert.deepEqual(buildWindows([7], syntheticContext(0), DEFAULT_WINDOW_OPTIONS, special), []);
    assert.deepEqual(buildQaWindows(tok, 'why?', ' \u200b ').windows, []);
  });

  test('questions are cut to maxQueryLength tokens', () => {
    assert.deepEqual(questionIds(tok, 'a b c d e', 3), [1037, 1038, 1039]);
    const long = Array.from({ length: 70 }, (_, i) => 2000 + i);
    const [w] = buildWindows(long, syntheticContext(2), DEFAULT_WINDOW_OPTIONS, special);
    assert.equal(w.contextStart, 66);
    assert.deepEqual(w.inputIds.slice(60, 66), [2059, 2060, 2061, 2062, 2063, 102]);
    const { windows } = buildQaWindows(tok, 'one two three four', 'alpha beta', { maxQueryLength: 2 });
    assert.deepEqual(windows[0].inputIds, [101, 2028, 2048, 102, 6541, 8247, 102]);
  });

  test('options are validated with clear errors', () => {
    const ctx = syntheticContext(5);
    assert.throws(() => buildWindows([7, 8], ctx, { maxSeqLength: 5, docStride: 1, maxQueryLength: 64 }, special), /maxSeqLength \(5\) must exceed the question's length \+ 3 \(2 \+ 3\)/);
    assert.throws(() => buildWindows([7], ctx, { maxSeqLength: 384, docStride: 0, maxQueryLength: 64 }, special), /docStride must be an integer >= 1, got 0/);
    assert.throws(() => buildWindows([7], ctx, { maxSeqLength: 384.5, docStride: 128, maxQueryLength: 64 }, special), /maxSeqLength must be an integer/);
    assert.throws(() => buildQaWindows(tok, 'q', 'c', { maxQueryLength: 0 }), /maxQueryLength must be an integer >= 1/);
    assert.throws(() => questionIds(tok, 'q', Number.NaN), /maxQueryLength/);
  });
});

describe('tokenizeContext', () => {
  test("tokens carry spans and run_squad's whitespace-word index", () => {
    // run_squad splits doc_tokens on " ", \t, \r, \n and U+202F only: "is\u00a0red" is one word there
    const text = "The cat's  hat\u202fis\u00a0red \u200b ok";
    const ctx = tokenizeContext(tok, text);
    assert.deepEqual(ctx.pieces, ['the', 'cat', "'", 's', 'hat', 'is', 'red', 'ok']);
    assert.deepEqual(ctx.wordIndex, [0, 1, 1, 1, 2, 3, 3, 5]); // word 4 is the lone U+200B: no tokens
    assert.deepEqual(
      ctx.pieces.map((_, i) => text.slice(ctx.starts[i], ctx.ends[i])),
      ['The', 'cat', "'", 's', 'hat', 'is', 'red', 'ok'],
    );
    assert.deepEqual([...ctx.ids], [1996, 4937, 1005, 1055, 6045, 2003, 2417, 7929]);
  });

  test('one tokenisation serves many questions', () => {
    const context = 'Super Bowl 50 was an American football game. '.repeat(100);
    const ctx = tokenizeContext(tok, context);
    const a = buildWindows(questionIds(tok, 'who won?', 64), ctx, DEFAULT_WINDOW_OPTIONS, special);
    const b = buildQaWindows(tok, 'who won?', context).windows;
    assert.deepEqual(a, b);
    // 900 context tokens, 378 per window, a new window every 128 tokens: starts 0, 128, ..., 640
    assert.deepEqual(a.map((w) => w.docStart), [0, 128, 256, 384, 512, 640]);
  });
});

describe('golden windows', () => {
  test('all 10,833 SQuAD v1.1 dev windows are identical to the reference pipeline', { skip: NO_SHARED_DATA }, async () => {
    const report = await compareWindows(SQUAD_DIR, tok);
    assert.equal(report.total, 10833);
    assert.deepEqual(report.mismatches.slice(0, 5), []);
    assert.equal(report.identical, 10833);
  });

  test('missing data files are reported clearly', async () => {
    await assert.rejects(compareWindows('/nonexistent-squad-dir', tok), /contexts\.json not found/);
  });
});
