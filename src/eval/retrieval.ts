// Answer-in-window recall of document QA's retriever on the 48 SQuAD articles: for each question, do the
// windows chosen under the budget contain a gold answer where it occurs in the question's own paragraph?
// Independent of model weights: it measures what the reader gets to see.
import { PreparedDocument, type PrepareOptions, type Passage } from '../engine/qa/document.js';
import type { BertTokenizer } from '../engine/tokenizer/index.js';
import type { SquadData } from './squad-data.js';

export interface RetrievalReport {
  questions: number;
  /** questions whose gold answer lies inside a selected window */
  hits: number;
  recall: number;
  budget: number;
  /** mean windows per article page, and mean words per page */
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

export function evalRetrieval(
  data: SquadData,
  tokenizer: BertTokenizer,
  budget: number,
  options: Partial<PrepareOptions> = {},
  onProgress?: (done: number, total: number) => void,
): RetrievalReport {
  const byArticle = new Map<number, typeof data.questions>();
  for (const q of data.questions) byArticle.set(q.article, [...(byArticle.get(q.article) ?? []), q]);
  let hits = 0;
  let questions = 0;
  let windows = 0;
  let words = 0;
  data.articles.forEach((_, a) => {
    const page = articlePage(data, a);
    const doc = PreparedDocument.prepare(tokenizer, page, options);
    windows += doc.chunks.length;
    words += page.text.split(/\s+/).filter(Boolean).length;
    for (const q of byArticle.get(a) ?? []) {
      const offset = page.paragraphOffset.get(q.context);
      if (offset === undefined) throw new Error(`question ${q.id} belongs to article ${a} but its paragraph is not in it`);
      const gold = answerOccurrences(data.contexts[q.context], offset, q.answers);
      const chunks = doc.select(q.question, budget);
      if (gold.some(([s, e]) => chunks.some((c) => c.start <= s && e <= c.end))) hits++;
      questions++;
    }
    onProgress?.(a + 1, data.articles.length);
  });
  return {
    questions,
    hits,
    recall: questions ? hits / questions : 0,
    budget,
    meanWindowsPerPage: windows / data.articles.length,
    meanWordsPerPage: words / data.articles.length,
  };
}
