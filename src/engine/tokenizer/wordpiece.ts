/**
 * WordPiece model stage: BERT's `WordpieceTokenizer` (greedy longest-match-first, continuation pieces
 * prefixed with "##"). Works on code points like Python: a word longer than `maxInputCharsPerWord` code
 * points, or one with no complete segmentation, becomes a single unknown token.
 */
import type { Vocab } from './vocab.js';

/** One piece of a word; `start`/`end` are UTF-16 offsets within the word. */
export interface Piece {
  readonly id: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface WordPieceOptions {
  unkToken: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  /** Entries of the word -> pieces memo (default 50,000; 0 disables it). */
  cacheSize?: number;
}

export class WordPiece {
  readonly unkToken: string;
  readonly unkId: number;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  /** Word-initial pieces -> id (the whole vocabulary). */
  private readonly initial: ReadonlyMap<string, number>;
  /** Continuation pieces without their prefix -> id. */
  private readonly continuation: Map<string, number> = new Map<string, number>();
  /** Longest UTF-16 length of a word-initial / continuation piece: longer substrings cannot match. */
  private readonly maxInitialLength: number;
  private readonly maxContinuationLength: number;
  private readonly cache = new Map<string, readonly Piece[]>();
  private readonly cacheSize: number;

  constructor(vocab: Vocab, options: WordPieceOptions) {
    this.initial = vocab.asMap();
    this.unkToken = options.unkToken;
    const unkId = vocab.id(options.unkToken);
    if (unkId === undefined) throw new Error(`WordPiece: the unknown token ${JSON.stringify(options.unkToken)} is not in the vocabulary`);
    this.unkId = unkId;
    this.prefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    this.cacheSize = options.cacheSize ?? 50_000;
    let maxInitial = 0;
    let maxContinuation = 0;
    for (const [token, id] of vocab.entries()) {
      if (token.length > maxInitial) maxInitial = token.length;
      if (this.prefix.length > 0 && token.startsWith(this.prefix)) {
        const rest = token.slice(this.prefix.length);
        this.continuation.set(rest, id);
        if (rest.length > maxContinuation) maxContinuation = rest.length;
      }
    }
    this.maxInitialLength = maxInitial;
    this.maxContinuationLength = maxContinuation;
  }

  /** The pieces of one word (already normalised and split on whitespace and punctuation). */
  tokenize(word: string): readonly Piece[] {
    let pieces = this.cache.get(word);
    if (pieces === undefined) {
      pieces = this.compute(word);
      if (this.cacheSize > 0) {
        if (this.cache.size >= this.cacheSize) {
          // Evict the oldest entry (Maps iterate in insertion order).
          const oldest = this.cache.keys().next();
          if (oldest.done !== true) this.cache.delete(oldest.value);
        }
        this.cache.set(word, pieces);
      }
    }
    return pieces;
  }

  private compute(word: string): readonly Piece[] {
    const n = word.length;
    // Code point boundaries, in UTF-16 units; null when every unit is a code point (no surrogates).
    let bounds: number[] | null = null;
    for (let i = 0; i < n; i++) {
      const c = word.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        bounds = codePointBoundaries(word);
        break;
      }
    }
    const chars = bounds === null ? n : bounds.length - 1;
    const unk: readonly Piece[] = [{ id: this.unkId, text: this.unkToken, start: 0, end: n }];
    if (chars > this.maxInputCharsPerWord) return unk;

    const pieces: Piece[] = [];
    let start = 0; // in code points
    while (start < chars) {
      const startUnit = bounds === null ? start : bounds[start];
      const initial = start === 0;
      const lookup = initial || this.prefix.length === 0 ? this.initial : this.continuation;
      const maxLen = initial || this.prefix.length === 0 ? this.maxInitialLength : this.maxContinuationLength;
      let end = bounds === null ? Math.min(chars, start + maxLen) : chars;
      let id: number | undefined;
      let endUnit = 0;
      for (; end > start; end--) {
        endUnit = bounds === null ? end : bounds[end];
        if (endUnit - startUnit > maxLen) continue;
        id = lookup.get(word.slice(startUnit, endUnit));
        if (id !== undefined) break;
      }
      if (id === undefined) return unk;
      const sub = word.slice(startUnit, endUnit);
      pieces.push({ id, text: initial ? sub : this.prefix + sub, start: startUnit, end: endUnit });
      start = end;
    }
    return pieces;
  }
}

function codePointBoundaries(word: string): number[] {
  const bounds: number[] = [];
  let i = 0;
  while (i < word.length) {
    bounds.push(i);
    const cp = word.codePointAt(i) as number;
    i += cp > 0xffff ? 2 : 1;
  }
  bounds.push(word.length);
  return bounds;
}
