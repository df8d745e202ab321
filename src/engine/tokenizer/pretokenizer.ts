/**
 * Pre-tokenizer stages of BERT's `BasicTokenizer`, on the original string:
 *
 * 1. `splitWords`: `_clean_text` (drop NUL, U+FFFD, control characters; whitespace -> separator),
 *    `_tokenize_chinese_chars` (each CJK ideograph is a word of its own) and `whitespace_tokenize`.
 *    A dropped character does not split a word ("a\u0000b" is the word "ab"), so a word need not be a
 *    contiguous slice of the input: such words come with per-unit offsets.
 * 2. `splitPunctuation`: `_run_split_on_punc` on a normalised word: every punctuation character becomes a
 *    word of its own.
 */
import { CharClass, charClass, isPunctuation, isSplitSpace } from './unicode.js';

/**
 * Receives one word. When `starts`/`ends` are null the word is `text.slice(start, start + word.length)`;
 * otherwise `starts[k]`/`ends[k]` give the original span of the word's k-th UTF-16 unit.
 * `ascii` is true when every character of the word is ASCII.
 */
export type WordVisitor = (word: string, start: number, starts: number[] | null, ends: number[] | null, ascii: boolean) => void;

/** Splits `text` into BERT's cleaned whitespace words (stage 1 above). */
export function splitWords(text: string, splitCjk: boolean, visit: WordVisitor): void {
  const n = text.length;
  // Kept segments [start, end) of the current word, flattened; a dropped character closes a segment.
  const segs: number[] = [];
  let segStart = -1;
  let segEnd = 0;
  let ascii = true;

  const flush = (): void => {
    if (segStart >= 0) {
      segs.push(segStart, segEnd);
      segStart = -1;
    }
    if (segs.length === 2) {
      visit(text.slice(segs[0], segs[1]), segs[0], null, null, ascii);
    } else if (segs.length > 2) {
      let word = '';
      const starts: number[] = [];
      const ends: number[] = [];
      for (let s = 0; s < segs.length; s += 2) {
        word += text.slice(segs[s], segs[s + 1]);
        for (let k = segs[s]; k < segs[s + 1]; k++) {
          starts.push(k);
          ends.push(k + 1);
        }
      }
      visit(word, segs[0], starts, ends, ascii);
    }
    segs.length = 0;
    ascii = true;
  };

  let i = 0;
  while (i < n) {
    let cp = text.charCodeAt(i);
    let len = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        len = 2;
      }
    }
    const cls = charClass(cp);
    if (cls === CharClass.Word || (cls === CharClass.Cjk && !splitCjk)) {
      if (segStart < 0) segStart = i;
      segEnd = i + len;
      if (cp >= 0x80) ascii = false;
    } else if (cls === CharClass.Drop) {
      if (segStart >= 0) {
        segs.push(segStart, segEnd);
        segStart = -1;
      }
    } else {
      flush();
      if (cls === CharClass.Cjk) visit(text.slice(i, i + len), i, null, null, false);
    }
    i += len;
  }
  flush();
}

/**
 * Splits a normalised word on punctuation (stage 2 above), calling `visit(a, b)` for each piece
 * `word.slice(a, b)`, in order. Characters that Python's `str.split()` treats as whitespace (possible only
 * after normalisation of exotic input) separate pieces without being one.
 */
export function splitPunctuation(word: string, ascii: boolean, visit: (a: number, b: number) => void): void {
  const n = word.length;
  let runStart = -1;
  let i = 0;
  while (i < n) {
    let cp = word.charCodeAt(i);
    let len = 1;
    if (!ascii && cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      cp = word.codePointAt(i) as number;
      if (cp > 0xffff) len = 2;
    }
    if (isPunctuation(cp)) {
      if (runStart >= 0) visit(runStart, i);
      runStart = -1;
      visit(i, i + len);
    } else if (!ascii && isSplitSpace(cp)) {
      if (runStart >= 0) visit(runStart, i);
      runStart = -1;
    } else if (runStart < 0) {
      runStart = i;
    }
    i += len;
  }
  if (runStart >= 0) visit(runStart, n);
}
