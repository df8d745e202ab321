// Span retrieval for document QA: which short stretches of a page the reader should see for a question.
// BM25 over whole passages ranks the right paragraph first often enough, but the answer sits next to the
// question's words, not anywhere in the paragraph; so each candidate span is scored by the query terms it
// holds (IDF-weighted, saturating) plus how densely they cluster near its centre, and spans are placed on
// a fine grid so the best one is centred on the densest match instead of cut at a fixed packing boundary.
// Terms are stemmed words (Porter, `stemmer`), question words and stop words dropped. The index is built
// once per page; `rank` touches only the sections holding a query term. The defaults were tuned on SQuAD
// v1.1 dev articles 0-23 only (src/eval/retrieval.ts reports 24-47 apart).
import { stemmer } from 'stemmer';
import type { BertTokenizer } from '../tokenizer/index.js';
import type { ContextTokens } from './windows.js';

export interface RankerOptions {
  /** context tokens per span (the window adds the question and 3 special tokens) */
  spanTokens: number;
  /** candidate spans start every `gridStep` tokens */
  gridStep: number;
  /** the density peak is looked for in this part of the span, as fractions of its length */
  peakFrom: number;
  peakTo: number;
  /** reach of one query-term occurrence in the density, in tokens (triangular kernel) */
  radius: number;
  /** weight of the density peak against the span's term coverage */
  density: number;
  /** weight of the term coverage of `contextTokens` on either side of the span (the paragraph's topic) */
  context: number;
  contextTokens: number;
  /** BM25-style saturation of repeated terms: tf (k + 1) / (tf + k) */
  saturation: number;
  /** IDF is computed over blocks of this many tokens of the page */
  blockTokens: number;
  /**
   * Words longer than this also match on their first `prefixLength` letters (ctenophora / ctenophores,
   * Warsaw / Warszawa), weighted by `prefixWeight` x the prefix's IDF; 0: off
   */
  prefixLength: number;
  prefixWeight: number;
  /** weight of a pair of consecutive question words found together, x their mean weight; 0: off */
  pairWeight: number;
}

export const DEFAULT_RANKER_OPTIONS: RankerOptions = Object.freeze({
  spanTokens: 96,
  gridStep: 8,
  peakFrom: 0.25,
  peakTo: 0.75,
  radius: 40,
  density: 1,
  context: 1,
  contextTokens: 200,
  saturation: 1.2,
  blockTokens: 64,
  prefixLength: 5,
  prefixWeight: 0.5,
  pairWeight: 1,
});

// Words that carry no retrieval signal in questions (wh-words included): IDF alone weighs them too high on
// short pages, and in a question they say what is asked, not where it is.
const STOP_WORDS = new Set(
  ('a about after also an and any are as at be been before being but by can could did do does during for from had has have he her his how i if in into is it its many may more most much not of on one or other our she should so some such than that the their them then there these they this those through to under up us was we were what when where whether which while who whom whose why will with within would you').split(' '),
);

/** A stemmed retrieval term for a lowercased word, or undefined when it carries no signal. */
export function termOf(word: string): string | undefined {
  if (STOP_WORDS.has(word)) return undefined;
  // punctuation and other single non-alphanumeric characters
  if (!/[\p{L}\p{N}]/u.test(word)) return undefined;
  return /^[a-z]+$/.test(word) ? stemmer(word) : word;
}

/** Visits each word of WordPiece pieces (a piece and its ## continuations) at the index of its first piece. */
function wordTerms(pieces: readonly string[], visit: (index: number, word: string) => void): void {
  let i = 0;
  while (i < pieces.length) {
    let word = pieces[i];
    let j = i + 1;
    while (j < pieces.length && pieces[j].startsWith('##')) word += pieces[j++].slice(2);
    visit(i, word);
    i = j;
  }
}

export interface SpanQuery {
  /** term id -> weight */
  terms: Map<number, number>;
  /** consecutive content words of the question, as term ids */
  pairs: Array<[number, number]>;
}

export interface RankedSpan {
  section: number;
  /** first context token of the span in its section, and its length */
  docStart: number;
  length: number;
  score: number;
}

interface IndexedSection {
  length: number;
}

/** tokens from a pair's first word to its second, at most ("civil servants' salary", "city centre of warsaw") */
const PAIR_GAP = 4;

export class SpanRanker {
  private readonly termIds = new Map<string, number>();
  private readonly sections: IndexedSection[];
  /** per term: the sections and positions where it occurs, in page order */
  private readonly postings: Array<{ sections: number[]; positions: number[] }> = [];
  private readonly idf: Float64Array;

  constructor(sections: readonly ContextTokens[], readonly options: RankerOptions = DEFAULT_RANKER_OPTIONS) {
    const blockDf: number[] = [];
    const lastBlock: number[] = [];
    let blocks = 0;
    this.sections = sections.map((ctx, s) => {
      const firstBlock = blocks;
      blocks += Math.max(1, Math.ceil(ctx.pieces.length / options.blockTokens));
      const add = (term: string, i: number) => {
        let id = this.termIds.get(term);
        if (id === undefined) {
          id = this.termIds.size;
          this.termIds.set(term, id);
          this.postings.push({ sections: [], positions: [] });
          blockDf.push(0);
          lastBlock.push(-1);
        }
        this.postings[id].sections.push(s);
        this.postings[id].positions.push(i);
        const block = firstBlock + Math.floor(i / options.blockTokens);
        if (lastBlock[id] !== block) {
          lastBlock[id] = block;
          blockDf[id]++;
        }
      };
      wordTerms(ctx.pieces, (i, word) => {
        const term = termOf(word);
        if (term === undefined) return;
        add(term, i);
        const prefix = this.prefixOf(word);
        if (prefix) add(prefix, i);
      });
      return { length: ctx.pieces.length };
    });
    this.idf = Float64Array.from(blockDf, (df) => Math.log(1 + (blocks - df + 0.5) / (df + 0.5)));
  }

  /** Where `second` follows `first` within PAIR_GAP tokens in the same section. */
  private pairPostings(first: number, second: number): { sections: number[]; positions: number[] } {
    const a = this.postings[first];
    const b = this.postings[second];
    const out = { sections: [] as number[], positions: [] as number[] };
    let i = 0;
    for (let k = 0; k < b.sections.length; k++) {
      const s = b.sections[k];
      const p = b.positions[k];
      while (i < a.sections.length && (a.sections[i] < s || (a.sections[i] === s && a.positions[i] < p - PAIR_GAP))) i++;
      if (i < a.sections.length && a.sections[i] === s && a.positions[i] < p) {
        out.sections.push(s);
        out.positions.push(p);
      }
    }
    return out;
  }

  private prefixOf(word: string): string | undefined {
    const n = this.options.prefixLength;
    return n > 0 && word.length > n && /^[a-z]+$/.test(word) ? `${word.slice(0, n)}~` : undefined;
  }

  /** The question's terms that occur on the page, with their IDF weights, and its consecutive term pairs. */
  query(tokenizer: BertTokenizer, question: string): SpanQuery {
    const pieces: string[] = [];
    tokenizer.tokenizeTo(question, (_id, piece) => pieces.push(piece));
    const out = new Map<number, number>();
    const set = (id: number, weight: number) => out.set(id, Math.max(out.get(id) ?? 0, weight));
    const pairs: Array<[number, number]> = [];
    let previous = -1;
    wordTerms(pieces, (_i, word) => {
      const term = termOf(word);
      if (term === undefined) return;
      const id = this.termIds.get(term);
      if (id !== undefined) set(id, this.idf[id]);
      if (id !== undefined && previous >= 0 && previous !== id) pairs.push([previous, id]);
      previous = id ?? -1;
      const prefix = this.prefixOf(word);
      const pid = prefix === undefined ? undefined : this.termIds.get(prefix);
      if (pid !== undefined) set(pid, this.options.prefixWeight * this.idf[pid]);
    });
    return { terms: out, pairs };
  }

  /**
   * Spans of the sections holding a query term, best first, none overlapping: together they cover those
   * sections (the last ones score nothing).
   */
  rank(query: SpanQuery): RankedSpan[] {
    const o = this.options;
    // occurrences of the query's terms, per section; a pair of question words found together in the page's
    // order ("super bowl", "civil servants") counts as one more term, at its second word
    const groups: Array<{ weight: number; postings: { sections: number[]; positions: number[] } }> = [];
    for (const [id, weight] of query.terms) groups.push({ weight, postings: this.postings[id] });
    if (o.pairWeight > 0) {
      for (const [first, second] of query.pairs) {
        const found = this.pairPostings(first, second);
        if (found.sections.length) groups.push({ weight: (o.pairWeight * ((query.terms.get(first) ?? 0) + (query.terms.get(second) ?? 0))) / 2, postings: found });
      }
    }
    const bySection = new Map<number, Array<{ weight: number; positions: number[] }>>();
    for (const { weight, postings: p } of groups) {
      let current: { weight: number; positions: number[] } | undefined;
      for (let k = 0; k < p.sections.length; k++) {
        const s = p.sections[k];
        if (k === 0 || p.sections[k - 1] !== s) {
          current = { weight, positions: [] };
          const list = bySection.get(s);
          if (list) list.push(current);
          else bySection.set(s, [current]);
        }
        current?.positions.push(p.positions[k]);
      }
    }
    const heap = new SpanHeap();
    const scorers = new Map<number, (from: number, length: number) => number>();
    for (const [s, occurrences] of bySection) {
      const n = this.sections[s].length;
      const span = Math.min(o.spanTokens, n);
      // density: per term, the nearest occurrence's triangular kernel; summed over terms
      const density = new Float64Array(n);
      const termDensity = new Float64Array(n);
      for (const { weight, positions } of occurrences) {
        termDensity.fill(0);
        for (const p of positions) {
          const lo = Math.max(0, p - o.radius + 1);
          const hi = Math.min(n - 1, p + o.radius - 1);
          for (let x = lo; x <= hi; x++) {
            const k = 1 - Math.abs(x - p) / o.radius;
            if (k > termDensity[x]) termDensity[x] = k;
          }
        }
        for (let x = 0; x < n; x++) density[x] += weight * termDensity[x];
      }
      const cover = (from: number, to: number) => {
        let total = 0;
        for (const { weight, positions } of occurrences) {
          let tf = 0;
          for (const p of positions) if (p >= from && p < to) tf++;
          if (tf) total += (weight * tf * (o.saturation + 1)) / (tf + o.saturation);
        }
        return total;
      };
      const score = (a: number, length: number) => {
        let peak = 0;
        const to = a + Math.ceil(length * o.peakTo);
        for (let x = a + Math.floor(length * o.peakFrom); x < to; x++) if (density[x] > peak) peak = density[x];
        return cover(a, a + length) + o.density * peak + o.context * cover(Math.max(0, a - o.contextTokens), Math.min(n, a + length + o.contextTokens));
      };
      scorers.set(s, score);
      const starts: number[] = [];
      for (let a = 0; a + span < n; a += o.gridStep) starts.push(a);
      starts.push(n - span);
      for (const a of starts) heap.push({ section: s, docStart: a, length: span, score: score(a, span) });
    }
    // Lazy greedy: the best span is taken; one overlapping a taken span is moved into the free tokens next
    // to it (shorter if the gap is), re-scored and queued again, so no token is read twice and every token
    // of a matching section is still reachable.
    const chosen: RankedSpan[] = [];
    const taken = new Map<number, Array<[number, number]>>();
    for (let c = heap.pop(); c; c = heap.pop()) {
      const spans = taken.get(c.section) ?? [];
      const moved = fitIntoGap(c.docStart, c.docStart + c.length, Math.min(o.spanTokens, this.sections[c.section].length), spans, this.sections[c.section].length);
      if (!moved) continue;
      if (moved[0] !== c.docStart || moved[1] !== c.docStart + c.length) {
        const length = moved[1] - moved[0];
        heap.push({ section: c.section, docStart: moved[0], length, score: (scorers.get(c.section) as (a: number, l: number) => number)(moved[0], length) });
        continue;
      }
      spans.push([c.docStart, c.docStart + c.length]);
      taken.set(c.section, spans);
      chosen.push(c);
    }
    return chosen;
  }
}

/**
 * [from, to) moved into the free tokens it overlaps most (taken: sorted or not), keeping up to `span` tokens
 * and staying as close as it can to where it was; undefined when it lies wholly in taken tokens.
 */
function fitIntoGap(from: number, to: number, span: number, taken: ReadonlyArray<[number, number]>, n: number): [number, number] | undefined {
  if (!taken.some(([a, b]) => from < b && a < to)) return [from, to];
  // the free gaps of the section
  const sorted = [...taken].sort((x, y) => x[0] - y[0]);
  let best: [number, number] | undefined;
  let bestOverlap = 0;
  let free = 0;
  for (const [a, b] of [...sorted, [n, n] as [number, number]]) {
    if (a > free) {
      const overlap = Math.min(to, a) - Math.max(from, free);
      if (overlap > bestOverlap) {
        bestOverlap = overlap;
        best = [free, a];
      }
    }
    free = Math.max(free, b);
  }
  if (!best) return undefined;
  const [gapStart, gapEnd] = best;
  const length = Math.min(span, gapEnd - gapStart);
  const start = Math.min(Math.max(from, gapStart), gapEnd - length);
  return [start, start + length];
}

/** A max-heap of spans by score; ties go to the earlier span in the page. */
class SpanHeap {
  private readonly items: RankedSpan[] = [];

  private before(x: RankedSpan, y: RankedSpan): boolean {
    return x.score > y.score || (x.score === y.score && (x.section < y.section || (x.section === y.section && x.docStart < y.docStart)));
  }

  push(item: RankedSpan): void {
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): RankedSpan | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
