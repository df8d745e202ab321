// Document QA: a page is passages with offsets into its text. Passages are packed into sections that
// fill a window, sections are cut into the windows' context spans once per page, the spans are ranked
// against each question with BM25 (MiniSearch), and only the best few are read by the model. Reading
// cost is then bounded by the budget, not by the page's length.
import MiniSearch from 'minisearch';
import type { RunOptions } from '../batch.js';
import type { LensModel } from '../model.js';
import { withDefaults } from '../options.js';
import type { BertTokenizer } from '../tokenizer/index.js';
import { extractAnswers, windowConfidence, type QaResult, type WindowLogits } from './answers.js';
import { checkQuestion, readWindows, windowOptions, type QaOptions } from './pipeline.js';
import { DEFAULT_WINDOW_OPTIONS, buildWindows, docSpans, questionIds, tokenizeContext, type ContextTokens, type WindowOptions } from './windows.js';

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
  /** pack consecutive passages into one section while they fit one window together */
  packPassages: boolean;
}

export const DEFAULT_PREPARE_OPTIONS: PrepareOptions = { ...DEFAULT_WINDOW_OPTIONS, packPassages: true };

export interface DocumentQaOptions extends QaOptions {
  /** windows the model reads per question, at most */
  windowBudget?: number;
  /**
   * Early exit: windows are read best-ranked first, EARLY_EXIT_STEP at a time, and reading stops once a window
   * is at least this sure of its answer (windowConfidence). 0 or 1+: always read the whole budget.
   */
  earlyExit?: number;
}

export const DEFAULT_WINDOW_BUDGET = 6;
/**
 * The reference pipelines' span probability above which one window's answer is taken without reading the
 * rest. Only trained weights reach it (random weights spread their logits), so on the benchmark's models the
 * whole budget is read; see docs/PERFORMANCE.md.
 */
export const DEFAULT_EARLY_EXIT = 0.9;
/** windows read between early-exit checks: the two best-ranked windows hold the answer for 88% of questions */
export const EARLY_EXIT_STEP = 2;

export interface DocumentResult extends QaResult {
  windowsRead: number;
  windowsTotal: number;
  /** reading stopped before the budget because a window was sure of its answer */
  exitedEarly: boolean;
}

interface Section {
  /** offset of the section's text in the page */
  offset: number;
  context: ContextTokens;
}

/** The context part of one window: what retrieval ranks and the model reads. */
export interface Chunk {
  section: number;
  /** first token of the span in its section, and its length in tokens */
  docStart: number;
  length: number;
  /** page offsets of the span's text */
  start: number;
  end: number;
}

// Words that carry no retrieval signal in questions; BM25's IDF alone weighs them too high on short pages.
const STOP_WORDS = new Set(
  ('a an and are as at be by did do does for from had has have how in is it its of on or that the this to was were what when where which who whom whose why with').split(' '),
);

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
  private constructor(
    readonly text: string,
    readonly sections: readonly Section[],
    readonly chunks: readonly Chunk[],
    readonly options: PrepareOptions,
    private readonly index: MiniSearch,
  ) {}

  /** Tokenises and indexes a page once; every question about it reuses this. */
  static prepare(tokenizer: BertTokenizer, page: Page, options: Partial<PrepareOptions> = {}): PreparedDocument {
    const opts = withDefaults(DEFAULT_PREPARE_OPTIONS, options);
    const passages = page.passages ?? linePassages(page.text);
    for (const p of passages) {
      if (!(p.start >= 0 && p.end <= page.text.length && p.start <= p.end)) {
        throw new Error(`passage [${p.start}, ${p.end}) lies outside the page text (length ${page.text.length})`);
      }
    }
    // Spans are question-independent: a window always has room for the longest allowed question.
    const spanTokens = opts.maxSeqLength - opts.maxQueryLength - 3;
    if (spanTokens < 1) throw new Error(`maxSeqLength ${opts.maxSeqLength} leaves no room for context after a ${opts.maxQueryLength}-token question`);

    const sections = buildSections(tokenizer, page.text, passages, opts.packPassages ? spanTokens : 0);
    const chunks: Chunk[] = [];
    sections.forEach((section, s) => {
      const ctx = section.context;
      for (const span of docSpans(ctx.ids.length, spanTokens, opts.docStride)) {
        const start = section.offset + ctx.starts[span.start];
        const end = section.offset + ctx.ends[span.start + span.length - 1];
        chunks.push({ section: s, docStart: span.start, length: span.length, start, end });
      }
    });
    const index = new MiniSearch({ fields: ['text'], processTerm: (term) => (STOP_WORDS.has(term.toLowerCase()) ? null : term.toLowerCase()) });
    index.addAll(chunks.map((c, id) => ({ id, text: page.text.slice(c.start, c.end) })));
    return new PreparedDocument(page.text, sections, chunks, opts, index);
  }

  /** The chunks to read for a question, best first: BM25 matches, then the page's first chunks. */
  select(question: string, budget: number): Chunk[] {
    if (!(budget >= 1)) throw new Error(`the window budget must be at least 1 (got ${budget})`);
    const chosen = new Set<number>();
    for (const hit of this.index.search(question, { combineWith: 'OR' })) {
      if (chosen.size >= budget) break;
      chosen.add(hit.id as number);
    }
    for (let i = 0; i < this.chunks.length && chosen.size < budget; i++) chosen.add(i);
    return [...chosen].map((i) => this.chunks[i]);
  }
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
  const chunks = doc.select(question, options.windowBudget ?? DEFAULT_WINDOW_BUDGET);
  const tok = model.tokenizer;
  const query = questionIds(tok, question, doc.options.maxQueryLength);
  const spanTokens = doc.options.maxSeqLength - doc.options.maxQueryLength - 3;
  // Same spans as at preparation: the window holds exactly this question plus spanTokens of context.
  const layout: WindowOptions = { ...doc.options, maxSeqLength: query.length + 3 + spanTokens };
  const windowsBySection = new Map<number, ReturnType<typeof buildWindows>>();
  const items = chunks.map((chunk) => {
    const section = doc.sections[chunk.section];
    let windows = windowsBySection.get(chunk.section);
    if (!windows) {
      windows = buildWindows(query, section.context, layout, { cls: tok.clsId, sep: tok.sepId });
      windowsBySection.set(chunk.section, windows);
    }
    const window = windows.find((w) => w.docStart === chunk.docStart);
    if (!window) throw new Error('internal error: a selected span has no window');
    return { window, context: section.context, offset: section.offset };
  });
  const exitAt = options.earlyExit ?? DEFAULT_EARLY_EXIT;
  const step = exitAt > 0 && exitAt < 1 ? EARLY_EXIT_STEP : items.length;
  const logits: WindowLogits[] = [];
  let exitedEarly = false;
  for (let first = 0; first < items.length && !exitedEarly; first += step) {
    const runOptions: RunOptions = { ...options, onProgress: (done) => options.onProgress?.(first + done, items.length) };
    const read = await readWindows(model, items.slice(first, first + step), runOptions);
    logits.push(...read);
    exitedEarly = first + step < items.length && read.some((w) => windowConfidence(w, options) >= exitAt);
  }
  return { ...extractAnswers(logits, options), windowsRead: logits.length, windowsTotal: doc.chunks.length, exitedEarly };
}
