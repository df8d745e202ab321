/**
 * SQuAD model windows, exactly as Google BERT's `run_squad.py` `convert_examples_to_features` builds them:
 * `[CLS] query [SEP] context-slice [SEP]`, context slices of at most `maxSeqLength - |query| - 3` tokens
 * starting every `docStride` tokens, each context token flagged in the one window that gives it the most
 * context (`_check_is_max_context`).
 *
 * A context is tokenised once (`tokenizeContext`) and reused for every question about it. run_squad
 * tokenises each whitespace-separated word on its own; tokenising the whole text gives the same tokens
 * (every run_squad whitespace character also separates BERT words), and each token gets its word's index
 * from its position.
 */
import type { BertTokenizer } from '../tokenizer/index.js';

export interface WindowOptions {
  /** Longest window, special tokens included. */
  maxSeqLength: number;
  /** Tokens between the starts of consecutive context slices. */
  docStride: number;
  /** Questions are cut to this many tokens. */
  maxQueryLength: number;
}

export const DEFAULT_WINDOW_OPTIONS: WindowOptions = Object.freeze({ maxSeqLength: 384, docStride: 128, maxQueryLength: 64 });

/** A tokenised context. */
export interface ContextTokens {
  text: string;
  ids: Int32Array | number[];
  /** Character span [starts[i], ends[i]) of token i in `text`. */
  starts: number[];
  ends: number[];
  /** Index of the run_squad whitespace word (`doc_tokens`) that contains token i. */
  wordIndex: number[];
  /** Vocabulary piece of token i. */
  pieces: string[];
}

export interface QaWindow {
  /** Unpadded: [CLS] query [SEP] context-slice [SEP]. */
  inputIds: number[];
  segmentIds: number[];
  /** Index in `inputIds` of the first context token. */
  contextStart: number;
  /** Index in the ContextTokens of the first context token of this window. */
  docStart: number;
  contextLength: number;
  /** Per context token, in window order: its whitespace-word index. */
  tokenToOrigMap: number[];
  /** Per context token, in window order: whether this window gives it the most context. */
  tokenIsMaxContext: boolean[];
}

/** A context slice: `length` tokens from token `start`. */
export interface DocSpan {
  start: number;
  length: number;
}

/** run_squad's `is_whitespace` for splitting a paragraph into `doc_tokens`. */
function isSquadWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0x202f;
}

/** Tokenises a context once, with each token's character span and run_squad word index. */
export function tokenizeContext(tok: BertTokenizer, context: string): ContextTokens {
  const ids: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const wordIndex: number[] = [];
  const pieces: string[] = [];
  // Sweep run_squad's char_to_word_offset along the (increasing) token starts.
  let pos = 0;
  let word = -1;
  let prevWhitespace = true;
  tok.tokenizeTo(context, (id, piece, start, end) => {
    while (pos <= start) {
      if (isSquadWhitespace(context.charCodeAt(pos))) {
        prevWhitespace = true;
      } else {
        if (prevWhitespace) word++;
        prevWhitespace = false;
      }
      pos++;
    }
    ids.push(id);
    starts.push(start);
    ends.push(end);
    wordIndex.push(word);
    pieces.push(piece);
  });
  return { text: context, ids, starts, ends, wordIndex, pieces };
}

/** The question's token ids, cut to `maxQueryLength` tokens. */
export function questionIds(tok: BertTokenizer, question: string, maxQueryLength: number): number[] {
  checkInteger('maxQueryLength', maxQueryLength, 1);
  const ids = tok.tokenizeToIds(question);
  return ids.length > maxQueryLength ? ids.slice(0, maxQueryLength) : ids;
}

/**
 * run_squad's sliding window over `numTokens` context tokens: slices of at most `maxTokensForDoc`, the next
 * one starting `min(length, docStride)` later, until one reaches the end. No tokens, no spans.
 */
export function docSpans(numTokens: number, maxTokensForDoc: number, docStride: number): DocSpan[] {
  checkInteger('maxTokensForDoc', maxTokensForDoc, 1);
  checkInteger('docStride', docStride, 1);
  const spans: DocSpan[] = [];
  let start = 0;
  while (start < numTokens) {
    const length = Math.min(numTokens - start, maxTokensForDoc);
    spans.push({ start, length });
    if (start + length === numTokens) break;
    start += Math.min(length, docStride);
  }
  return spans;
}

/** Checks that the options are usable integers; throws an Error naming the bad one. */
export function validateWindowOptions(opts: WindowOptions): void {
  checkInteger('maxSeqLength', opts.maxSeqLength, 4);
  checkInteger('docStride', opts.docStride, 1);
  checkInteger('maxQueryLength', opts.maxQueryLength, 1);
}

/**
 * The windows of one question over a tokenised context (`convert_examples_to_features` for one example).
 * `queryIds` longer than `maxQueryLength` are cut, as run_squad does. An empty context has no windows.
 */
export function buildWindows(queryIds: readonly number[], ctx: ContextTokens, opts: WindowOptions, specialIds: { cls: number; sep: number }): QaWindow[] {
  validateWindowOptions(opts);
  const query = queryIds.length > opts.maxQueryLength ? queryIds.slice(0, opts.maxQueryLength) : queryIds;
  // The -3 accounts for [CLS], [SEP] and [SEP].
  const maxTokensForDoc = opts.maxSeqLength - query.length - 3;
  if (maxTokensForDoc < 1) {
    throw new Error(
      `maxSeqLength (${opts.maxSeqLength}) must exceed the question's length + 3 (${query.length} + 3) to leave room for context`,
    );
  }
  const n = ctx.ids.length;
  const spans = docSpans(n, maxTokensForDoc, opts.docStride);
  const best = maxContextSpans(spans, n);
  const contextStart = query.length + 2;
  const windows: QaWindow[] = [];
  spans.forEach((span, spanIndex) => {
    const inputIds = new Array<number>(contextStart + span.length + 1);
    const segmentIds = new Array<number>(inputIds.length);
    inputIds[0] = specialIds.cls;
    for (let i = 0; i < query.length; i++) inputIds[i + 1] = query[i];
    inputIds[contextStart - 1] = specialIds.sep;
    segmentIds.fill(0, 0, contextStart);
    const tokenToOrigMap = new Array<number>(span.length);
    const tokenIsMaxContext = new Array<boolean>(span.length);
    for (let i = 0; i < span.length; i++) {
      const t = span.start + i;
      inputIds[contextStart + i] = ctx.ids[t];
      tokenToOrigMap[i] = ctx.wordIndex[t];
      tokenIsMaxContext[i] = best[t] === spanIndex;
    }
    inputIds[inputIds.length - 1] = specialIds.sep;
    segmentIds.fill(1, contextStart);
    windows.push({ inputIds, segmentIds, contextStart, docStart: span.start, contextLength: span.length, tokenToOrigMap, tokenIsMaxContext });
  });
  return windows;
}

/**
 * One window over a given span of the context, for spans chosen by retrieval rather than by the sliding
 * window: `[CLS] query [SEP] span [SEP]`, every token counted as this window's (the spans do not overlap).
 */
export function spanWindow(queryIds: readonly number[], ctx: ContextTokens, span: DocSpan, specialIds: { cls: number; sep: number }): QaWindow {
  if (!(span.length >= 1 && span.start >= 0 && span.start + span.length <= ctx.ids.length)) {
    throw new Error(`span [${span.start}, ${span.start + span.length}) is not inside the context's ${ctx.ids.length} tokens`);
  }
  const contextStart = queryIds.length + 2;
  const inputIds = [specialIds.cls, ...queryIds, specialIds.sep];
  const tokenToOrigMap: number[] = [];
  for (let t = span.start; t < span.start + span.length; t++) {
    inputIds.push(ctx.ids[t]);
    tokenToOrigMap.push(ctx.wordIndex[t]);
  }
  inputIds.push(specialIds.sep);
  const segmentIds = inputIds.map((_, i) => (i < contextStart ? 0 : 1));
  return { inputIds, segmentIds, contextStart, docStart: span.start, contextLength: span.length, tokenToOrigMap, tokenIsMaxContext: tokenToOrigMap.map(() => true) };
}

/**
 * For every context token, the span `_check_is_max_context` picks: the highest
 * `min(left, right) + 0.01 * length`, the first such span on ties.
 */
function maxContextSpans(spans: readonly DocSpan[], numTokens: number): Int32Array {
  const best = new Int32Array(numTokens).fill(-1);
  const bestScore = new Float64Array(numTokens);
  spans.forEach((span, spanIndex) => {
    const end = span.start + span.length - 1;
    for (let p = span.start; p <= end; p++) {
      const score = Math.min(p - span.start, end - p) + 0.01 * span.length;
      if (best[p] < 0 || score > bestScore[p]) {
        best[p] = spanIndex;
        bestScore[p] = score;
      }
    }
  });
  return best;
}

/** Tokenises a context and builds the windows of one question over it. */
export function buildQaWindows(
  tok: BertTokenizer,
  question: string,
  context: string,
  opts: Partial<WindowOptions> = {},
): { context: ContextTokens; windows: QaWindow[] } {
  const options: WindowOptions = {
    maxSeqLength: opts.maxSeqLength ?? DEFAULT_WINDOW_OPTIONS.maxSeqLength,
    docStride: opts.docStride ?? DEFAULT_WINDOW_OPTIONS.docStride,
    maxQueryLength: opts.maxQueryLength ?? DEFAULT_WINDOW_OPTIONS.maxQueryLength,
  };
  validateWindowOptions(options);
  const ctx = tokenizeContext(tok, context);
  const windows = buildWindows(questionIds(tok, question, options.maxQueryLength), ctx, options, { cls: tok.clsId, sep: tok.sepId });
  return { context: ctx, windows };
}

function checkInteger(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}
