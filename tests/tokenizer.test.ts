import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BertTokenizer, Vocab, type Token } from '../src/engine/tokenizer/index.js';
import { NO_SHARED_DATA, SQUAD_DIR } from './helpers/shared-data.js';
import { uncasedTokenizer, uncasedVocab } from './helpers/vocab.js';

// Expected outputs follow Google BERT's tokenization.py (BasicTokenizer + WordpieceTokenizer) run by hand
// through its stages; ids are those of bert-base-uncased's vocab.txt.
const tok = await uncasedTokenizer();
const vocab = await uncasedVocab();

/** [piece, start, end] of each token. */
const spans = (text: string, t: BertTokenizer = tok): Array<[string, number, number]> => t.tokenize(text).map((x) => [x.text, x.start, x.end]);
const pieces = (text: string, t: BertTokenizer = tok): string[] => t.tokenize(text).map((x) => x.text);

/** What the normalizer makes of an original substring: lowercase, NFD without marks, no control chars. */
function normalised(s: string): string {
  return [...s]
    .map((c) => c.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, ''))
    .join('')
    .replace(/[\p{Cc}\p{Cf}\ufffd]/gu, '');
}

/** Final sigma depends on the whole word; compare sigmas as one letter. */
const sigma = (s: string): string => s.replace(/\u03c2/g, '\u03c3');

/** Every non-[UNK] token's piece (without ##) is found in the normalised original text it points at. */
function assertOffsetsRoundTrip(text: string, tokens: Token[]): void {
  let last = 0;
  for (const t of tokens) {
    assert.ok(t.start >= last && t.end > t.start && t.end <= text.length, `bad span ${JSON.stringify(t)}`);
    last = t.start;
    if (t.id === tok.unkId) continue;
    const piece = t.text.startsWith('##') ? t.text.slice(2) : t.text;
    assert.ok(sigma(normalised(text.slice(t.start, t.end))).includes(sigma(piece)), `${JSON.stringify(t)} vs ${JSON.stringify(text.slice(t.start, t.end))}`);
  }
}

describe('Vocab', () => {
  test('fromVocabTxt: id = line index, \\r\\n and a trailing newline tolerated', () => {
    const v = Vocab.fromVocabTxt('[PAD]\r\n[UNK]\r\nhello\r\n##lo\r\n');
    assert.equal(v.size, 4);
    assert.equal(v.id('hello'), 2);
    assert.equal(v.id('##lo'), 3);
    assert.equal(v.token(1), '[UNK]');
    assert.equal(v.id('missing'), undefined);
    assert.equal(v.token(99), undefined);
  });

  test('fromVocabTxt: a repeated token keeps its last id, as the Python dict does', () => {
    const v = Vocab.fromVocabTxt('a\nb\na');
    assert.equal(v.id('a'), 2);
    assert.equal(v.token(0), 'a');
    assert.equal(v.size, 3);
  });

  test('fromVocabTxt: empty text is an error', () => {
    assert.throws(() => Vocab.fromVocabTxt(''), /empty/);
  });

  test('the real uncased vocabulary', () => {
    assert.equal(vocab.size, 30522);
    assert.deepEqual(
      ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => vocab.id(t)),
      [0, 100, 101, 102, 103],
    );
  });

  test('fromTokenizerJson reads model.vocab', () => {
    const v = Vocab.fromTokenizerJson({ model: { type: 'WordPiece', vocab: { '[PAD]': 0, '[UNK]': 1, hi: 2 } } });
    assert.equal(v.size, 3);
    assert.equal(v.id('hi'), 2);
    assert.equal(v.token(1), '[UNK]');
  });

  test('fromTokenizerJson explains what is wrong', () => {
    assert.throws(() => Vocab.fromTokenizerJson(null), /JSON object/);
    assert.throws(() => Vocab.fromTokenizerJson({}), /missing "model"/);
    assert.throws(() => Vocab.fromTokenizerJson({ model: { type: 'BPE', vocab: {} } }), /expected "WordPiece"/);
    assert.throws(() => Vocab.fromTokenizerJson({ model: { vocab: [] } }), /model\.vocab/);
    assert.throws(() => Vocab.fromTokenizerJson({ model: { vocab: { a: 'x' } } }), /id of token "a"/);
    assert.throws(() => Vocab.fromTokenizerJson({ model: { vocab: { a: 0, b: 0 } } }), /share id 0/);
  });

  test('the tokenizer names a missing special token', () => {
    const v = Vocab.fromVocabTxt('[PAD]\n[UNK]\n[CLS]\n[MASK]\nhello');
    assert.throws(() => new BertTokenizer(v, { doLowerCase: true }), /no SEP token "\[SEP\]"/);
    assert.throws(() => new BertTokenizer(v, { doLowerCase: true, sepToken: '[SEP]', unkToken: '<unk>' }), /no unknown token "<unk>"/);
  });
});

describe('BertTokenizer.tokenize', () => {
  test('plain text: lowercase, punctuation split, WordPiece continuation', () => {
    assert.deepEqual(pieces('Unaffable, U.S.A. don\'t'), ['una', '##ffa', '##ble', ',', 'u', '.', 's', '.', 'a', '.', 'don', "'", 't']);
    assert.deepEqual(tok.tokenize('Hello')[0], { id: 7592, text: 'hello', start: 0, end: 5 });
  });

  test('accents are stripped after NFD and offsets stay on the original characters', () => {
    const t = tok.tokenize('Café Déjà vu');
    assert.deepEqual(
      t.map((x) => [x.text, x.id, x.start, x.end]),
      [
        ['cafe', 7668, 0, 4],
        ['de', 2139, 5, 7],
        ['##ja', 3900, 7, 9],
        ['vu', 24728, 10, 12],
      ],
    );
    // decomposed input (e + U+0301) gives the same tokens; the mark belongs to the span of the word
    assert.deepEqual(pieces('Cafe\u0301'), ['cafe']);
    assert.deepEqual(spans('naïve résumé'), [
      ['naive', 0, 5],
      ['resume', 6, 12],
    ]);
  });

  test('CJK ideographs are words of their own', () => {
    assert.deepEqual(
      tok.tokenize('中文abc').map((x) => [x.text, x.id, x.start, x.end]),
      [
        ['中', 1746, 0, 1],
        ['文', 1861, 1, 2],
        ['abc', 5925, 2, 5],
      ],
    );
    // kana are not CJK ideographs: they stay in one word and go through WordPiece
    assert.deepEqual(pieces('日本語のテキスト'), ['日', '本', '語', 'の', '##テ', '##キ', '##ス', '##ト']);
    const joined = new BertTokenizer(vocab, { doLowerCase: true, tokenizeChineseChars: false });
    assert.deepEqual(pieces('中文abc', joined), ['中', '##文', '##ab', '##c']);
  });

  test('emoji are code points, not punctuation, and unknown', () => {
    assert.deepEqual(spans('I ❤️ 🦀 crabs 😀!'), [
      ['i', 0, 1],
      ['[UNK]', 2, 3], // U+2764 U+FE0F: the variation selector is a nonspacing mark, dropped
      ['[UNK]', 5, 7], // a surrogate pair: one character, one token
      ['crabs', 8, 13],
      ['[UNK]', 14, 16],
      ['!', 16, 17],
    ]);
    assert.deepEqual(spans('𝒜b'), [['[UNK]', 0, 3]]);
  });

  test('control characters, NUL and U+FFFD are removed without splitting words', () => {
    assert.deepEqual(spans('hel\u0000lo\ufffd wor\u200bld\u0007'), [
      ['hello', 0, 6],
      ['world', 8, 14],
    ]);
    assert.deepEqual(spans('\ufeffsoft\u00adware'), [
      ['software', 1, 10],
    ]);
  });

  test('whitespace: tabs, newlines, NBSP, Unicode spaces and line separators split words', () => {
    assert.deepEqual(spans('a\tb\nc\r\nd\u00a0e\u2003f\u3000g\u2028h\u202fi'), [
      ['a', 0, 1],
      ['b', 2, 3],
      ['c', 4, 5],
      ['d', 7, 8],
      ['e', 9, 10],
      ['f', 11, 12],
      ['g', 13, 14],
      ['h', 15, 16],
      ['i', 17, 18],
    ]);
  });

  test('punctuation: ASCII symbols and Unicode category P are split off one by one', () => {
    assert.deepEqual(spans('hello, world! «quoted» — “fine”… ¿qué?'), [
      ['hello', 0, 5],
      [',', 5, 6],
      ['world', 7, 12],
      ['!', 12, 13],
      ['«', 14, 15],
      ['quoted', 15, 21],
      ['»', 21, 22],
      ['—', 23, 24],
      ['“', 25, 26],
      ['fine', 26, 30],
      ['”', 30, 31],
      ['…', 31, 32],
      ['¿', 33, 34],
      ['que', 34, 37],
      ['?', 37, 38],
    ]);
    // "$", "^", "`" are not Unicode punctuation but BERT treats all non-alphanumeric ASCII as punctuation
    assert.deepEqual(pieces('$5^2`x'), ['$', '5', '^', '2', '`', 'x']);
    // special tokens in the text are plain text
    assert.deepEqual(pieces('the [SEP] token'), ['the', '[', 'sep', ']', 'token']);
  });

  test('words over 100 characters are [UNK] by the length rule', () => {
    const hundred = tok.tokenize('x'.repeat(100));
    assert.equal(hundred.length, 50);
    assert.ok(hundred.every((t) => t.id !== tok.unkId));
    assert.deepEqual(tok.tokenize(`a ${'x'.repeat(101)} b`), [
      { id: 1037, text: 'a', start: 0, end: 1 },
      { id: tok.unkId, text: '[UNK]', start: 2, end: 103 },
      { id: 1038, text: 'b', start: 104, end: 105 },
    ]);
    const short = new BertTokenizer(vocab, { doLowerCase: true, maxInputCharsPerWord: 4 });
    assert.deepEqual(pieces('abcd abcde', short), ['abc', '##d', '[UNK]']);
  });

  test('a word with no complete segmentation is a single [UNK]', () => {
    assert.deepEqual(spans('Ω≈ç√∫ ok'), [
      ['[UNK]', 0, 5],
      ['ok', 6, 8],
    ]);
  });

  test('empty and whitespace-only input give no tokens', () => {
    assert.deepEqual(tok.tokenize(''), []);
    assert.deepEqual(tok.tokenize(' \t\n\u00a0\u3000\r\n'), []);
    assert.deepEqual(tok.tokenize('\u0000\u200b'), []);
  });

  test('offsets through a lowercase that changes length (İ -> i + U+0307)', () => {
    assert.deepEqual(spans("İSTANBUL'S İstanbul"), [
      ['istanbul', 0, 8],
      ["'", 8, 9],
      ['s', 9, 10],
      ['istanbul', 11, 19],
    ]);
    // without accent stripping the dot above stays and the word is unknown, still over the right span
    const keep = new BertTokenizer(vocab, { doLowerCase: true, stripAccents: false });
    assert.deepEqual(spans('İstanbul x', keep), [
      ['[UNK]', 0, 8],
      ['x', 9, 10],
    ]);
  });

  test('final sigma is lowercased in the context of its word', () => {
    assert.deepEqual(spans('ΟΔΟΣ'), [
      ['ο', 0, 1],
      ['##δ', 1, 2],
      ['##ος', 2, 4],
    ]);
    assert.equal(tok.tokenize('ΟΔΟΣ')[2].id, 15297);
  });

  test('cased options: no lowercase, optional accent stripping', () => {
    const cased = new BertTokenizer(vocab, { doLowerCase: false });
    assert.equal(cased.stripAccents, false);
    assert.deepEqual(pieces('café Hello', cased), ['[UNK]', '[UNK]']);
    const strip = new BertTokenizer(vocab, { doLowerCase: false, stripAccents: true });
    assert.deepEqual(pieces('café Café', strip), ['cafe', '[UNK]']);
  });

  test('offsets map every piece back to its original text', () => {
    const text =
      'The Café “Zoë” opened in 1998 — Ünïcödé façade; naïve İstanbul: ΟΔΟΣ, 中文 text\u00a0with\tstrange\u200b spacing… 😀 end.';
    const tokens = tok.tokenize(text);
    assert.ok(tokens.length > 25);
    assertOffsetsRoundTrip(text, tokens);
  });

  test('offsets match on real SQuAD contexts (tokenising time printed, not asserted: these machines are noisy)', { skip: NO_SHARED_DATA }, (t) => {
    const { contexts } = JSON.parse(readFileSync(join(SQUAD_DIR, 'contexts.json'), 'utf8')) as { contexts: string[] };
    const fresh = new BertTokenizer(vocab, { doLowerCase: true });
    const t0 = performance.now();
    let n = 0;
    for (const c of contexts) n += fresh.tokenize(c).length;
    const ms = performance.now() - t0;
    assert.ok(n > 300_000, `${n} tokens`);
    t.diagnostic(`tokenising ${contexts.length} contexts (${n} tokens) took ${ms.toFixed(0)} ms`);
    for (const c of contexts.slice(0, 300)) assertOffsetsRoundTrip(c, tok.tokenize(c));
  });

  test('the word cache does not change results', () => {
    const uncached = new BertTokenizer(vocab, { doLowerCase: true, cacheSize: 0 });
    const tiny = new BertTokenizer(vocab, { doLowerCase: true, cacheSize: 2 });
    const text = 'the cat sat on the mat; the Cat sat on the Mat again, and again.';
    assert.deepEqual(tiny.tokenize(text), tok.tokenize(text));
    assert.deepEqual(uncached.tokenize(text), tok.tokenize(text));
  });
});

describe('BertTokenizer.encode', () => {
  test('a single text: [CLS] a [SEP]', () => {
    const e = tok.encode('Hello world');
    assert.deepEqual(e.inputIds, [101, 7592, 2088, 102]);
    assert.deepEqual(e.segmentIds, [0, 0, 0, 0]);
    assert.deepEqual(e.tokens[0], { id: 101, text: '[CLS]', start: -1, end: -1 });
    assert.deepEqual(e.tokens[2], { id: 2088, text: 'world', start: 6, end: 11 });
  });

  test('a pair: [CLS] a [SEP] b [SEP] with segment ids 0/1', () => {
    const e = tok.encode('Hello', 'a b');
    assert.deepEqual(e.inputIds, [101, 7592, 102, 1037, 1038, 102]);
    assert.deepEqual(e.segmentIds, [0, 0, 0, 1, 1, 1]);
  });

  test("truncation 'longest_first' takes from the longer text, the second on ties", () => {
    assert.deepEqual(tok.encode('Hello world', 'a b c d e f', 8).inputIds, [101, 7592, 2088, 102, 1037, 1038, 1039, 102]);
    assert.deepEqual(tok.encode('a b c d', 'e f g h', 8).inputIds, [101, 1037, 1038, 1039, 102, 1041, 1042, 102]);
    assert.deepEqual(tok.encode('a b c d e', undefined, 4).inputIds, [101, 1037, 1038, 102]);
    assert.throws(() => tok.encode('a', 'b', 2), /maxLength must be an integer >= 3/);
  });
});
