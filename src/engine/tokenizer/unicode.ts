/**
 * Character classes of Google BERT's `tokenization.py` (`_is_whitespace`, `_is_control`,
 * `_is_punctuation`, `BasicTokenizer._is_chinese_char`), on code points.
 *
 * Categories come from the engine's Unicode property regexes; results for the Basic Multilingual Plane
 * are memoised in a 64 KiB table, so the per-character cost after the first sight is one array read.
 */

/** What the cleaning / whitespace stage does with an input character. */
export const CharClass = {
  /** Part of a word. */
  Word: 1,
  /** A word separator: " ", \t, \n, \r, category Zs, and U+2028/U+2029 (see below). */
  Space: 2,
  /** Removed: NUL, U+FFFD and control characters (categories Cc and Cf other than \t \n \r). */
  Drop: 3,
  /** A CJK ideograph: a word of its own (BERT puts spaces around it). */
  Cjk: 4,
} as const;
export type CharClass = (typeof CharClass)[keyof typeof CharClass];

const RE_CONTROL = /^[\p{Cc}\p{Cf}]$/u;
const RE_SPACE_SEP = /^\p{Zs}$/u;
const RE_PUNCT = /^\p{P}$/u;
const RE_NONSPACING_MARK = /^\p{Mn}$/u;

/** BERT's `_is_chinese_char`: the CJK Unified Ideographs blocks and their extensions/compatibility blocks. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BERT's `_is_punctuation`: every non-alphanumeric printable ASCII char, plus Unicode category P*. */
function computeIsPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  return cp >= 128 && RE_PUNCT.test(String.fromCodePoint(cp));
}

function computeCharClass(cp: number): CharClass {
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) return CharClass.Space;
  if (cp === 0 || cp === 0xfffd) return CharClass.Drop;
  const ch = String.fromCodePoint(cp);
  if (RE_CONTROL.test(ch)) return CharClass.Drop;
  if (RE_SPACE_SEP.test(ch)) return CharClass.Space;
  // After cleaning, Python's `str.split()` still splits on the line/paragraph separators (categories
  // Zl/Zp), the only `str.isspace()` characters that `_clean_text` neither drops nor maps to " ".
  if (cp === 0x2028 || cp === 0x2029) return CharClass.Space;
  if (isChineseChar(cp)) return CharClass.Cjk;
  return CharClass.Word;
}

// BMP memo tables; 0 = not computed yet.
const classTable = new Uint8Array(0x10000);
const punctTable = new Uint8Array(0x10000); // 1 = no, 2 = yes
const markTable = new Uint8Array(0x10000); // 1 = no, 2 = yes

/** The cleaning/whitespace class of a code point. */
export function charClass(cp: number): CharClass {
  if (cp < 0x10000) {
    let c = classTable[cp];
    if (c === 0) {
      c = computeCharClass(cp);
      classTable[cp] = c;
    }
    return c as CharClass;
  }
  return computeCharClass(cp);
}

/** BERT's `_is_punctuation`. */
export function isPunctuation(cp: number): boolean {
  if (cp < 0x10000) {
    let p = punctTable[cp];
    if (p === 0) {
      p = computeIsPunctuation(cp) ? 2 : 1;
      punctTable[cp] = p;
    }
    return p === 2;
  }
  return computeIsPunctuation(cp);
}

/** Unicode category Mn (what `_run_strip_accents` drops after NFD). */
export function isNonspacingMark(cp: number): boolean {
  if (cp < 0x80) return false;
  if (cp < 0x10000) {
    let m = markTable[cp];
    if (m === 0) {
      m = RE_NONSPACING_MARK.test(String.fromCharCode(cp)) ? 2 : 1;
      markTable[cp] = m;
    }
    return m === 2;
  }
  return RE_NONSPACING_MARK.test(String.fromCodePoint(cp));
}

/** Python's `str.isspace()` for characters that can survive cleaning and normalisation. */
export function isSplitSpace(cp: number): boolean {
  return charClass(cp) === CharClass.Space;
}
