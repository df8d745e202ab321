// Answer-in-window recall of document QA's retriever on the 48 SQuAD articles: for each question, do the
// windows read under the budget contain a gold answer where it occurs in the question's own paragraph?
// Independent of model weights: it measures what the reader gets to see, and how many tokens it reads for it.
// The ranker was tuned on articles 0-23 only (TUNE_ARTICLES); 24-47 (HELD_OUT_ARTICLES) are the honest figure.
import { DEFAULT_READ_BUDGET, PreparedDocument, type PrepareOptions, type Passage, type ReadBudget } from '../engine/qa/document.js';
import type { BertTokenizer } from '../engine/tokenizer/index.js';
import type { SquadData } from './squad-data.js';

export const TUNE_ARTICLES: readonly number[] = Array.from({ length: 24 }, (_, i) => i);
export const HELD_OUT_ARTICLES: readonly number[] = Array.from({ length: 24 }, (_, i) => 24 + i);

export interface RetrievalReport {
  questions: number;
  /** questions whose gold answer lies inside a window read */
  hits: number;
  recall: number;
  budget: ReadBudget;
  /**
   * Tokens read per question: the real (unpadded) length of every window read, [CLS] question [SEP] span [SEP],
   * summed; mean and max over the questions
   */
  meanTokensRead: number;
  maxTokensRead: number;
  meanWindowsRead: number;
  /** mean windows per article page (the page in consecutive spans), and mean words per page */
  meanWindowsPerPage: number;
  meanWordsPerPage: number;
}

export interface ArticlePage {
  text: string;
  passages: Passage[];
  /** page offset of each paragraph, by context index */
  paragraphOffset: Map<number, number>;
}

/** An article as a page: its paragraphs separated by blank lines. */
export function articlePage(data: SquadData, article: number): ArticlePage {
  const passages: Passage[] = [];
  const paragraphOffset = new Map<number, number>();
  let text = '';
  for (const c of data.articles[article].paragraphs) {
    if (text) text += '\n\n';
    paragraphOffset.set(c, text.length);
    passages.push({ start: text.length, end: text.length + data.contexts[c].length });
    text += data.contexts[c];
  }
  return { text, passages, paragraphOffset };
}

/** Page offsets [start, end) of every occurrence of the answers in the paragraph. */
function answerOccurrences(paragraph: string, offset: number, answers: readonly string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const raw of answers) {
    const answer = raw.trim().replace(/\s+/g, ' ');
    if (!answer) continue;
    for (let i = paragraph.indexOf(answer); i >= 0; i = paragraph.indexOf(answer, i + 1)) out.push([offset + i, offset + i + answer.length]);
  }
  return out;
}

/** One question's whole reading order: tokens read after each window, and the first window with the answer. */
interface Reach {
  cumulativeTokens: number[];
  /** index of the first window holding a gold answer; Infinity if none */
  firstHit: number;
}

export interface RetrievalOptions {
  /** articles to evaluate (default: all 48) */
  articles?: readonly number[];
  prepare?: Partial<PrepareOptions>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Every question's reading order over its whole page, so that any budget can be evaluated without ranking again.
 */
export class RetrievalRun {
  private constructor(
    readonly reaches: readonly Reach[],
    readonly meanWindowsPerPage: number,
    readonly meanWordsPerPage: number,
  ) {}

  static run(data: SquadData, tokenizer: BertTokenizer, options: RetrievalOptions = {}): RetrievalRun {
    const articles = options.articles ?? data.articles.map((_, a) => a);
    const byArticle = new Map<number, typeof data.questions>();
    for (const q of data.questions) byArticle.set(q.article, [...(byArticle.get(q.article) ?? []), q]);
    const reaches: Reach[] = [];
    let windows = 0;
    let words = 0;
    articles.forEach((a, done) => {
      if (!data.articles[a]) throw new Error(`article ${a} does not exist (the data has ${data.articles.length})`);
      const page = articlePage(data, a);
      const doc = PreparedDocument.prepare(tokenizer, page, options.prepare);
      windows += doc.chunks.length;
      words += page.text.split(/\s+/).filter(Boolean).length;
      for (const q of byArticle.get(a) ?? []) {
        const offset = page.paragraphOffset.get(q.context);
        if (offset === undefined) throw new Error(`question ${q.id} belongs to article ${a} but its paragraph is not in it`);
        const gold = answerOccurrences(data.contexts[q.context], offset, q.answers);
        const overhead = doc.questionTokens(q.question) + 3;
        const chunks = doc.select(q.question, {});
        const cumulativeTokens: number[] = [];
        let firstHit = Infinity;
        let total = 0;
        chunks.forEach((c, i) => {
          total += overhead + c.length;
          cumulativeTokens.push(total);
          if (firstHit === Infinity && gold.some(([s, e]) => c.start <= s && e <= c.end)) firstHit = i;
        });
        reaches.push({ cumulativeTokens, firstHit });
      }
      options.onProgress?.(done + 1, articles.length);
    });
    return new RetrievalRun(reaches, windows / articles.length, words / articles.length);
  }

  /** The figures under a budget: windows are read in ranked order while both limits hold, at least one. */
  at(budget: ReadBudget): RetrievalReport {
    const { windows = Infinity, tokens = Infinity } = budget;
    let hits = 0;
    let tokenSum = 0;
    let tokenMax = 0;
    let windowSum = 0;
    for (const r of this.reaches) {
      let k = 0;
      while (k < r.cumulativeTokens.length && k < windows && (k === 0 || r.cumulativeTokens[k] <= tokens)) k++;
      if (r.firstHit < k) hits++;
      const read = k ? r.cumulativeTokens[k - 1] : 0;
      tokenSum += read;
      tokenMax = Math.max(tokenMax, read);
      windowSum += k;
    }
    const n = this.reaches.length;
    return {
      questions: n,
      hits,
      recall: n ? hits / n : 0,
      budget: { ...budget },
      meanTokensRead: n ? tokenSum / n : 0,
      maxTokensRead: tokenMax,
      meanWindowsRead: n ? windowSum / n : 0,
      meanWindowsPerPage: this.meanWindowsPerPage,
      meanWordsPerPage: this.meanWordsPerPage,
    };
  }
}

/** Answer-in-window recall under one budget (default: the engine's). */
export function evalRetrieval(data: SquadData, tokenizer: BertTokenizer, budget: ReadBudget = DEFAULT_READ_BUDGET, options: RetrievalOptions = {}): RetrievalReport {
  return RetrievalRun.run(data, tokenizer, options).at(budget);
}

export interface CurvePoint {
  half: 'tune' | 'held-out';
  spanTokens: number;
  budget: ReadBudget;
  recall: number;
  meanTokensRead: number;
  maxTokensRead: number;
  meanWindowsRead: number;
}

export const CURVE_SPANS: readonly number[] = [64, 96, 128, 192];
export const CURVE_TOKEN_BUDGETS: readonly number[] = [384, 512, 640, 768, 896, 1024, 1152, 1536];

/**
 * The trade-off curve: recall, windows and tokens read, for each span size and token budget, on the tuning
 * and the held-out articles separately.
 */
export function retrievalCurve(
  data: SquadData,
  tokenizer: BertTokenizer,
  spans: readonly number[] = CURVE_SPANS,
  tokenBudgets: readonly number[] = CURVE_TOKEN_BUDGETS,
  onProgress?: (done: number, total: number) => void,
): CurvePoint[] {
  const points: CurvePoint[] = [];
  const halves = [['tune', TUNE_ARTICLES], ['held-out', HELD_OUT_ARTICLES]] as const;
  let done = 0;
  for (const spanTokens of spans) {
    for (const [half, articles] of halves) {
      const run = RetrievalRun.run(data, tokenizer, { articles, prepare: { spanTokens } });
      for (const tokens of tokenBudgets) {
        const r = run.at({ tokens });
        points.push({ half, spanTokens, budget: { tokens }, recall: r.recall, meanTokensRead: r.meanTokensRead, maxTokensRead: r.maxTokensRead, meanWindowsRead: r.meanWindowsRead });
      }
      onProgress?.(++done, spans.length * halves.length);
    }
  }
  return points;
}
