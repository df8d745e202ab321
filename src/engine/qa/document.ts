// Document QA: a page is passages with offsets into its text. Passages are packed into sections (tokenised
// and indexed once per page); for each question, short context spans are placed around the densest matches
// of its terms (ranker.ts) and read best first until the budget of tokens is spent. Reading cost is then
// bounded by the budget, not by the page's length.
import type { RunOptions } from '../batch.js';
import type { LensModel } from '../model.js';
import { withDefaults } from '../options.js';
import type { BertTokenizer } from '../tokenizer/index.js';
import { extractAnswers, windowConfidence, type QaResult, type WindowLogits } from './answers.js';
import { checkQuestion, readWindows, windowOptions, type QaOptions } from './pipeline.js';
import { DEFAULT_RANKER_OPTIONS, SpanRanker } from './ranker.js';
import { DEFAULT_WINDOW_OPTIONS, docSpans, questionIds, spanWindow, tokenizeContext, type ContextTokens } from './windows.js';
import type { WindowOptions } from './windows.js';

/** A passage of the page, as [start, end) character offsets into the page text. */
export interface Passage {
  start: number;
  end: number;
}

export interface Page {
  text: string;
  /** default: each non-empty line of the text */
  passages?: readonly Passage[];
}

export interface PrepareOptions extends WindowOptions {
  /**
   * pack consecutive passages into one section while they fit a window with the longest question
   * (maxSeqLength - maxQueryLength - 3 tokens) together
   */
  packPassages: boolean;
  /**
   * context tokens per window read (at most maxSeqLength - maxQueryLength - 3): a window is the question plus
   * a span this long, placed by the ranker around the question's terms
   */
  spanTokens: number;
}

/**
 * Spans of 96 context tokens: chosen from the retrieval curve (docs/PERFORMANCE.md; `lens eval retrieval
 * --curve` on the tuning articles): at equal tokens read they hold the answer more often than 64, 128 or 192.
 */
export const DEFAULT_SPAN_TOKENS = 96;

export const DEFAULT_PREPARE_OPTIONS: PrepareOptions = { ...DEFAULT_WINDOW_OPTIONS, packPassages: true, spanTokens: DEFAULT_SPAN_TOKENS };

/**
 * How much the reader reads per question: windows are taken best-ranked first while both limits hold
 * (the best window is always read). Tokens are real window tokens: [CLS] question [SEP] span [SEP].
 */
export interface ReadBudget {
  windows?: number;
  tokens?: number;
}

/**
 * 896 tokens, under three 384-token windows' worth (about 8.6 windows of 96-token spans): the smallest multiple of
 * 128 at which the curve on the tuning articles (0-23) reaches 96% answer-in-window recall, 1 point above the 95%
 * goal as margin for pages it was not tuned on. Each further 128 tokens costs ~12% more model time for ~0.4
 * points of recall. Held-out figures: docs/PERFORMANCE.md.
 */
export const DEFAULT_TOKEN_BUDGET = 896;
export const DEFAULT_READ_BUDGET: Readonly<ReadBudget> = Object.freeze({ tokens: DEFAULT_TOKEN_BUDGET });

export interface DocumentQaOptions extends QaOptions {
  /** windows the model reads per question, at most (given alone: no token limit) */
  windowBudget?: number;
  /** tokens the model reads per question, at most (neither budget given: DEFAULT_TOKEN_BUDGET) */
  tokenBudget?: number;
  /**
   * Early exit: windows are read best-ranked first, about EARLY_EXIT_TOKENS at a time, and reading stops once
   * a window is at least this sure of its answer (windowConfidence). 0 or 1+: always read the whole budget.
   */
  earlyExit?: number;
}
/**
 * The reference pipelines' span probability above which one window's answer is taken without reading the
 * rest. Only trained weights reach it (random weights spread their logits), so on the benchmark's models the
 * whole budget is read; see docs/PERFORMANCE.md.
 */
export const DEFAULT_EARLY_EXIT = 0.9;
/**
 * Tokens read between early-exit checks (whole windows, at least one): one full window's worth, which holds
 * the answer for about 90% of questions (docs/PERFORMANCE.md), so a sure reader stops there.
 */
export const EARLY_EXIT_TOKENS = 384;

export interface DocumentResult extends QaResult {
  windowsRead: number;
  /** real tokens of the windows read ([CLS] question [SEP] span [SEP] each, no padding) */
  tokensRead: number;
  /** 384-token windows the page makes (the read spans are smaller: compare pageTokensRead with pageTokens) */
  windowsTotal: number;
  /** page tokens inside the windows read (each counted once; the question not counted) */
  pageTokensRead: number;
  /** tokens of the whole page: a full read has pageTokensRead === pageTokens */
  pageTokens: number;
  /** reading stopped before the budget because a window was sure of its answer */
  exitedEarly: boolean;
}

interface Section {
  /** offset of the section's text in the page */
  offset: number;
  context: ContextTokens;
}

/** The context part of one window: what retrieval places and the model reads. */
export interface Chunk {
  section: number;
  /** first token of the span in its section, and its length in tokens */
  docStart: number;
  length: number;
  /** page offsets of the span's text */
  start: number;
  end: number;
}

/** Splits text into passages at line breaks (blank lines included), dropping empty ones. */
export function linePassages(text: string): Passage[] {
  const passages: Passage[] = [];
  const re = /[^\n]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].trim()) passages.push({ start: m.index, end: m.index + m[0].length });
  }
  return passages;
}

export class PreparedDocument {
  /** tokens of the whole page (every section) */
  readonly pageTokens: number;

  private constructor(
    readonly text: string,
    readonly sections: readonly Section[],
    /** the page cut into consecutive spans: what a full scan reads, and the fallback order */
    readonly chunks: readonly Chunk[],
    readonly options: PrepareOptions,
    private readonly tokenizer: BertTokenizer,
    private readonly ranker: SpanRanker,
  ) {
    this.pageTokens = sections.reduce((sum, s) => sum + s.context.ids.length, 0);
  }

  /** Tokenises and indexes a page once; every question about it reuses this. */
  static prepare(tokenizer: BertTokenizer, page: Page, options: Partial<PrepareOptions> = {}): PreparedDocument {
    const opts = withDefaults(DEFAULT_PREPARE_OPTIONS, options);
    const passages = page.passages ?? linePassages(page.text);
    for (const p of passages) {
      if (!(p.start >= 0 && p.end <= page.text.length && p.start <= p.end)) {
        throw new Error(`passage [${p.start}, ${p.end}) lies outside the page text (length ${page.text.length})`);
      }
    }
    // A window always has room for the longest allowed question.
    const maxSpan = opts.maxSeqLength - opts.maxQueryLength - 3;
    if (maxSpan < 1) throw new Error(`maxSeqLength ${opts.maxSeqLength} leaves no room for context after a ${opts.maxQueryLength}-token question`);
    if (!(Number.isInteger(opts.spanTokens) && opts.spanTokens >= 1 && opts.spanTokens <= maxSpan)) {
      throw new Error(`spanTokens must be an integer from 1 to ${maxSpan} (maxSeqLength ${opts.maxSeqLength} - maxQueryLength ${opts.maxQueryLength} - 3), got ${opts.spanTokens}`);
    }

    const sections = buildSections(tokenizer, page.text, passages, opts.packPassages ? maxSpan : 0);
    const chunks: Chunk[] = [];
    sections.forEach((section, s) => {
      for (const span of docSpans(section.context.ids.length, opts.spanTokens, opts.spanTokens)) chunks.push(chunkOf(sections, s, span.start, span.length));
    });
    const ranker = new SpanRanker(sections.map((s) => s.context), { ...DEFAULT_RANKER_OPTIONS, spanTokens: opts.spanTokens });
    return new PreparedDocument(page.text, sections, chunks, opts, tokenizer, ranker);
  }

  /**
   * The spans to read for a question, best first, none overlapping: the ranker's spans around the question's
   * terms, then the rest of the page in order. A number is a window budget.
   */
  select(question: string, budget: number | ReadBudget = DEFAULT_READ_BUDGET): Chunk[] {
    const { windows = Infinity, tokens = Infinity } = typeof budget === 'number' ? { windows: budget } : budget;
    if (!(windows >= 1)) throw new Error(`the window budget must be at least 1 (got ${windows})`);
    if (!(tokens >= 1)) throw new Error(`the token budget must be at least 1 (got ${tokens})`);
    // [CLS] question [SEP] ... [SEP]
    const overhead = this.questionTokens(question) + 3;
    const chosen: Chunk[] = [];
    let read = 0;
    const take = (chunk: Chunk) => {
      if (chosen.length >= windows) return false;
      const cost = overhead + chunk.length;
      if (chosen.length && read + cost > tokens) return false;
      chosen.push(chunk);
      read += cost;
      return true;
    };
    const ranked = this.ranker.rank(this.ranker.query(this.tokenizer, question));
    for (const span of ranked) if (!take(chunkOf(this.sections, span.section, span.docStart, span.length))) return chosen;
    const covered = new Set(ranked.map((r) => r.section));
    for (const chunk of this.chunks) if (!covered.has(chunk.section) && !take(chunk)) return chosen;
    return chosen;
  }

  /** Tokens of the question as the reader sees it (cut to maxQueryLength). */
  questionTokens(question: string): number {
    return questionIds(this.tokenizer, question, this.options.maxQueryLength).length;
  }
}

function chunkOf(sections: readonly Section[], section: number, docStart: number, length: number): Chunk {
  const { offset, context } = sections[section];
  return { section, docStart, length, start: offset + context.starts[docStart], end: offset + context.ends[docStart + length - 1] };
}

/** Page tokens inside the chunks, each counted once (the page's own windows overlap by their stride). */
function tokensCovered(chunks: readonly Chunk[]): number {
  const sorted = [...chunks].sort((a, b) => a.section - b.section || a.docStart - b.docStart);
  let total = 0;
  let section = -1;
  let end = 0;
  for (const c of sorted) {
    if (c.section !== section) [section, end] = [c.section, 0];
    const from = Math.max(c.docStart, end);
    const to = c.docStart + c.length;
    if (to > from) total += to - from;
    end = Math.max(end, to);
  }
  return total;
}

/**
 * Window counts of the early-exit steps: whole windows, about EARLY_EXIT_TOKENS each, at least one. With
 * `lanes` sessions reading side by side (Firefox's workers) a step closes only at a multiple of the lanes: a
 * step of 3 windows on 2 lanes takes as long as one of 4, so the fourth is read in that time, not in a step of
 * its own later.
 */
export function earlyExitSteps(windowTokens: readonly number[], lanes = 1): number[] {
  const align = Math.max(1, Math.floor(lanes));
  const steps: number[] = [];
  let count = 0;
  let tokens = 0;
  for (const t of windowTokens) {
    if (count && count % align === 0 && tokens + t > EARLY_EXIT_TOKENS) {
      steps.push(count);
      count = 0;
      tokens = 0;
    }
    count++;
    tokens += t;
  }
  if (count) steps.push(count);
  return steps;
}

/** Tokenised sections: consecutive passages packed while their tokens fit `packLimit` (0: no packing). */
function buildSections(tokenizer: BertTokenizer, text: string, passages: readonly Passage[], packLimit: number): Section[] {
  const sections: Section[] = [];
  const tokenized = passages
    .map((p) => ({ ...p, context: tokenizeContext(tokenizer, text.slice(p.start, p.end)) }))
    .filter((p) => p.context.ids.length > 0);
  let i = 0;
  while (i < tokenized.length) {
    let j = i + 1;
    let tokens = tokenized[i].context.ids.length;
    while (j < tokenized.length && tokens + tokenized[j].context.ids.length <= packLimit) tokens += tokenized[j++].context.ids.length;
    const start = tokenized[i].start;
    const end = tokenized[j - 1].end;
    // a single passage keeps its tokens; a packed section is re-tokenised over the text spanning its passages
    const context = j === i + 1 ? tokenized[i].context : tokenizeContext(tokenizer, text.slice(start, end));
    sections.push({ offset: start, context });
    i = j;
  }
  return sections;
}

/** Answers a question about a page; answer offsets are into the page text. */
export async function answerDocument(model: LensModel, question: string, doc: PreparedDocument, options: DocumentQaOptions = {}): Promise<DocumentResult> {
  model.require('qa');
  checkQuestion(question);
  windowOptions(model, doc.options);
  const budget: ReadBudget = options.windowBudget === undefined && options.tokenBudget === undefined ? DEFAULT_READ_BUDGET : { windows: options.windowBudget, tokens: options.tokenBudget };
  const chunks = doc.select(question, budget);
  const tok = model.tokenizer;
  const query = questionIds(tok, question, doc.options.maxQueryLength);
  const items = chunks.map((chunk) => {
    const section = doc.sections[chunk.section];
    // the ranker's spans do not overlap: each window is the one that sees its tokens
    const window = spanWindow(query, section.context, { start: chunk.docStart, length: chunk.length }, { cls: tok.clsId, sep: tok.sepId });
    return { window, context: section.context, offset: section.offset };
  });
  const exitAt = options.earlyExit ?? DEFAULT_EARLY_EXIT;
  const steps = exitAt > 0 && exitAt < 1 ? earlyExitSteps(items.map((i) => i.window.inputIds.length), model.session.parallelism) : [items.length];
  const logits: WindowLogits[] = [];
  let exitedEarly = false;
  let first = 0;
  for (const count of steps) {
    const from = first;
    const runOptions: RunOptions = { ...options, onProgress: (done) => options.onProgress?.(from + done, items.length) };
    const read = await readWindows(model, items.slice(from, from + count), runOptions);
    logits.push(...read);
    first += count;
    if (first < items.length && read.some((w) => windowConfidence(w, options) >= exitAt)) {
      exitedEarly = true;
      break;
    }
  }
  const tokensRead = logits.reduce((sum, w) => sum + w.window.inputIds.length, 0);
  const pageTokensRead = tokensCovered(chunks.slice(0, logits.length));
  return { ...extractAnswers(logits, options), windowsRead: logits.length, tokensRead, windowsTotal: doc.chunks.length, pageTokensRead, pageTokens: doc.pageTokens, exitedEarly };
}
