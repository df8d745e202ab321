/**
 * Normalizer stage: what BERT's `BasicTokenizer` does to each whitespace-separated word before splitting
 * punctuation: `token.lower()` then `_run_strip_accents` (NFD, drop category Mn).
 *
 * Offsets are carried through: every UTF-16 unit of the normalised word knows the [start, end) of the
 * original character it came from, so a lowercase that changes length ("İ" -> "i̇") or an accent that is
 * dropped ("é" -> "e") still maps back to the right span of the input.
 */
import { isNonspacingMark } from './unicode.js';

/** A string with, for each of its UTF-16 units, the span of the original text it came from. */
export interface AlignedText {
  text: string;
  starts: number[];
  ends: number[];
}

export interface NormalizerOptions {
  lowercase: boolean;
  stripAccents: boolean;
}

const CAPITAL_SIGMA = 0x3a3;

export class WordNormalizer {
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  /** Code point -> its normalised form (context-free: everything but capital sigma). */
  private readonly charCache = new Map<number, string>();

  constructor(options: NormalizerOptions) {
    this.lowercase = options.lowercase;
    this.stripAccents = options.stripAccents;
  }

  /** Normalises an ASCII word: no alignment change, only case. */
  normalizeAscii(word: string): string {
    return this.lowercase ? word.toLowerCase() : word;
  }

  /**
   * Normalises one word (already cleaned, no whitespace). `starts[k]`/`ends[k]` give the original span of
   * the word's k-th UTF-16 unit.
   */
  normalize(word: string, starts: ArrayLike<number>, ends: ArrayLike<number>): AlignedText {
    const outStarts: number[] = [];
    const outEnds: number[] = [];
    let text = '';
    // Python lowercases the whole word; the only context-dependent mapping is the final sigma
    // (Σ -> ς at the end of a word, σ elsewhere), so for words with Σ take it from the whole-word lowercase.
    const wholeLower = this.lowercase && word.indexOf('\u03a3') >= 0 ? word.toLowerCase() : undefined;
    let wholePos = 0;
    for (let i = 0; i < word.length; ) {
      const cp = word.codePointAt(i) as number;
      const n = cp > 0xffff ? 2 : 1;
      const start = starts[i];
      const end = ends[i + n - 1];
      let mapped: string;
      if (wholeLower !== undefined) {
        const lower = cp === CAPITAL_SIGMA ? wholeLower[wholePos] : String.fromCodePoint(cp).toLowerCase();
        wholePos += cp === CAPITAL_SIGMA ? 1 : lower.length;
        mapped = this.stripAccents ? stripAccents(lower) : lower;
      } else {
        mapped = this.mapChar(cp);
      }
      for (let k = 0; k < mapped.length; k++) {
        outStarts.push(start);
        outEnds.push(end);
      }
      text += mapped;
      i += n;
    }
    return { text, starts: outStarts, ends: outEnds };
  }

  private mapChar(cp: number): string {
    if (cp < 0x80) {
      const ch = String.fromCharCode(cp);
      return this.lowercase ? ch.toLowerCase() : ch;
    }
    let mapped = this.charCache.get(cp);
    if (mapped === undefined) {
      mapped = String.fromCodePoint(cp);
      if (this.lowercase) mapped = mapped.toLowerCase();
      if (this.stripAccents) mapped = stripAccents(mapped);
      this.charCache.set(cp, mapped);
    }
    return mapped;
  }
}

/** `_run_strip_accents`: NFD, then drop nonspacing marks (category Mn). */
export function stripAccents(s: string): string {
  const nfd = s.normalize('NFD');
  let out = '';
  for (let i = 0; i < nfd.length; ) {
    const cp = nfd.codePointAt(i) as number;
    const n = cp > 0xffff ? 2 : 1;
    if (!isNonspacingMark(cp)) out += n === 1 ? nfd[i] : nfd.slice(i, i + 2);
    i += n;
  }
  return out;
}
