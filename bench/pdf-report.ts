// PDFs in the Lens reader (bench/browser/pdf.ts measures it, issue 18): the results' types, the Goals rows (a 50-page
// text PDF read and indexed: median <= 2 s; a warm question on it: median <= 500 ms) and the report's "PDFs in the
// Lens reader" section. Free of DOM and Node types, and of report.ts (which calls these), so that no import circle forms.
import type { SpreadStats } from './real-pages-report.js';

/** One fresh open of the reader on the test PDF, and the first question on it. */
export interface PdfOpenSample {
  /** the reader's data-read-ms: its navigation start to the text read (fetch, parse, text, reading order) */
  readMs: number;
  /** tokenizing and indexing the text for the first question (timeline `<where>:qa` to `<where>:prepared`) */
  indexMs?: number;
  /** where the model ran: 'offscreen' or 'worker' (the timeline's prefix) */
  where?: string;
  /** the first question, asking to answer, timed around runtime.sendMessage in an extension page */
  firstAskMs: number;
  /** the background's own reply.ms for it */
  backgroundMs: number;
  /** the question reaching the background to the reader's text back (timeline worker:ask to worker:extracted) */
  extractMs?: number;
  windowsRead: number;
  pageTokens: number;
  question: string;
}

/** One warm question on the open PDF. */
export interface PdfWarmSample {
  /** the 0-based page whose fact the question asks about */
  page: number;
  question: string;
  /** asking to answer, around runtime.sendMessage in an extension page */
  ms: number;
  backgroundMs: number;
  extractMs?: number;
  /** from the timeline: retrieval and the model's windows; then marking the answer in the reader and the reply */
  modelMs?: number;
  afterModelMs?: number;
  windowsRead: number;
  windowsTotal: number;
  pageTokensRead: number;
  pageTokens: number;
  /** the page (1-based) the best answer is on (random weights: a timing run, not an accuracy one) */
  answerPage?: number;
}

export interface PdfOpens {
  n: number;
  read: SpreadStats;
  /** over the opens whose first question's timeline marked the indexing */
  index?: SpreadStats;
  /** read + index of each such open */
  readIndex?: SpreadStats;
  firstQuestion: SpreadStats;
  samples: PdfOpenSample[];
  failures: Array<{ open: number; error: string }>;
}

export interface PdfWarm {
  n: number;
  ms: SpreadStats;
  backgroundMs: SpreadStats;
  /** the text handed from the reader to the background, part of ms (where the timeline marked it) */
  extractMs?: SpreadStats;
  /** retrieval and the model's windows (timeline `<where>:qa` to the last `<where>:windows-N`) */
  modelMs?: SpreadStats;
  /** the rest of the background's time after the model: marking the answer in the reader (its page drawn) and the reply */
  afterModelMs?: SpreadStats;
  windowsRead: SpreadStats;
  pageTokensRead: SpreadStats;
  /** asks on the same PDF before the timed ones (the first indexes it) */
  warmupAsks: number;
  samples: PdfWarmSample[];
  failures: Array<{ page: number; error: string }>;
}

/** results.pdf of a bench run */
export interface PdfSection {
  /** e.g. "Chromium 140.0.7339.80" */
  browser: string;
  /** how it was measured (what is timed, on what PDF) */
  note: string;
  /** the test PDF: its pages, bytes, and the characters and tokens the reader read from it */
  pdf: { pages: number; bytes: number; chars?: number; pageTokens?: number };
  /** the model warm-up before anything timed: fresh opens of another PDF and questions on it */
  warmup: { ms: number; opens: number; asks: number };
  opens?: PdfOpens;
  warm?: PdfWarm;
  /** set when this section was measured on its own and merged into an earlier run's results (BENCH_MERGE) */
  measuredAt?: string;
  /** the machine it was measured on then (cpus x model) */
  measuredOn?: string;
}

export const PDF_READ_INDEX_TARGET_MS = 2000;
export const PDF_WARM_TARGET_MS = 500;

type GoalRow = (name: string, measured: string, goal: string, met: boolean | undefined, by?: string) => string;

const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const x = (v: number, target: number) => `${(v / target).toFixed(2)}x the target`;

/** The two Goals rows; "not measured" for runs without the section (or without the part). */
export function pdfGoalRows(p: PdfSection | undefined, goalRow: GoalRow): string[] {
  const when = p?.measuredAt ? `, measured ${p.measuredAt.slice(0, 10)}` : '';
  const pages = p ? `${p.pdf.pages}-page` : '50-page';
  const o = p?.opens;
  const ri = o?.readIndex;
  const w = p?.warm;
  return [
    goalRow(
      `${pages} text PDF read and indexed, Lens reader, Chromium, ${o ? `${o.n} fresh opens, ` : ''}model warm (median${when})`,
      o && ri ? `${ms(ri.median)} (read ${ms(o.read.median)} + index ${ms(o.index?.median)}; p90 ${ms(ri.p90)})` : o ? `read ${ms(o.read.median)}, index not marked` : '–',
      `<= ${PDF_READ_INDEX_TARGET_MS / 1000} s`,
      ri ? ri.median <= PDF_READ_INDEX_TARGET_MS : undefined,
      ri ? x(ri.median, PDF_READ_INDEX_TARGET_MS) : '',
    ),
    goalRow(
      `warm question on a PDF, Lens reader, Chromium, ${w ? `${w.n} questions on different pages of the ${pages} PDF` : `a ${pages} PDF`}, asking to answer (median${when})`,
      w ? `${ms(w.ms.median)} (p90 ${ms(w.ms.p90)})` : '–',
      `<= ${PDF_WARM_TARGET_MS} ms`,
      w ? w.ms.median <= PDF_WARM_TARGET_MS : undefined,
      w ? x(w.ms.median, PDF_WARM_TARGET_MS) : '',
    ),
  ];
}

const row = (label: string, s: SpreadStats | undefined) => (s ? `| ${label} | ${s.n} | ${ms(s.median)} | ${ms(s.p90)} | ${ms(s.max)} |` : `| ${label} | 0 | – | – | – |`);

/** The "PDFs in the Lens reader" section; empty for runs without it. */
export function pdfSection(p: PdfSection | undefined): string[] {
  if (!p) return [];
  const lines = ['## PDFs in the Lens reader', '', p.note, ''];
  if (p.measuredAt) {
    lines.push(`Measured on ${p.measuredAt.slice(0, 10)} in a run of this section alone (\`BENCH_ONLY=pdf BENCH_MERGE=…\`) on ${p.measuredOn ?? 'a machine not recorded'}, not in the run the rest of this report comes from: compare within a run only.`, '');
  }
  const doc = `${p.pdf.pages} pages, ${(p.pdf.bytes / 1000).toFixed(0)} kB${p.pdf.chars ? `, ${p.pdf.chars.toLocaleString('en')} characters read` : ''}${p.pdf.pageTokens ? `, ${p.pdf.pageTokens.toLocaleString('en')} tokens` : ''}`;
  lines.push(`${p.browser}; the PDF: ${doc}. Targets: read and indexed <= ${PDF_READ_INDEX_TARGET_MS / 1000} s, a warm question <= ${PDF_WARM_TARGET_MS} ms (medians).`, '');
  lines.push('| step | n | median | p90 | max |', '|---|---|---|---|---|');
  const o = p.opens;
  if (o) {
    lines.push(row('read: the reader page opened to the text read (fetch, parse, text extraction, reading order)', o.read));
    lines.push(row('index: tokenizing and indexing the text, in the first question', o.index));
    lines.push(row('**read + index** (each open)', o.readIndex));
    lines.push(row('first question, asking to answer (reading the text from the reader and indexing included)', o.firstQuestion));
  }
  const w = p.warm;
  if (w) {
    lines.push(row('**warm question**, asking to answer', w.ms));
    lines.push(row('warm question, the background\'s own time (reply.ms)', w.backgroundMs));
    if (w.extractMs) lines.push(row('warm question, of which: the text handed from the reader to the background', w.extractMs));
    if (w.modelMs) lines.push(row('warm question, of which: retrieval and the model\'s windows', w.modelMs));
    if (w.afterModelMs) lines.push(row('warm question, of which: marking the answer in the reader (its page drawn) and the reply', w.afterModelMs));
  }
  lines.push('');
  if (o?.readIndex) lines.push(`Read and indexed: median ${ms(o.readIndex.median)} (target ${PDF_READ_INDEX_TARGET_MS / 1000} s): ${o.readIndex.median <= PDF_READ_INDEX_TARGET_MS ? 'met' : 'missed'}.${o.index && o.index.n < o.n ? ` The indexing was marked in ${o.index.n} of ${o.n} first questions.` : ''}`, '');
  else if (o) lines.push(`Read and indexed: no first question's timeline marked the indexing (\`<where>:prepared\`), so only the read is known.`, '');
  if (w) {
    lines.push(`Warm question: median ${ms(w.ms.median)} (target ${PDF_WARM_TARGET_MS} ms): ${w.ms.median <= PDF_WARM_TARGET_MS ? 'met' : 'missed'}. Windows read per question: median ${w.windowsRead.median}, max ${w.windowsRead.max}; page tokens read: median ${w.pageTokensRead.median.toLocaleString('en')} of ${(w.samples[0]?.pageTokens ?? p.pdf.pageTokens ?? 0).toLocaleString('en')}. ${w.warmupAsks} question(s) on the same PDF came first, untimed (the first of them indexed it).`, '');
  }
  const where = [...new Set((o?.samples ?? []).map((s) => s.where).filter((v): v is string => v !== undefined))];
  lines.push(`Warm-up before anything timed: ${p.warmup.opens} fresh opens of another PDF and ${p.warmup.asks} questions on it in ${ms(p.warmup.ms)}, so the model is loaded and the JIT warm${where.length ? `; the model ran in the ${where.join(' and ')}${where.includes('offscreen') ? ' document' : ''}` : ''}.`, '');
  const failures = [...(o?.failures ?? []).map((f) => `open ${f.open + 1}: ${f.error.slice(0, 120)}`), ...(w?.failures ?? []).map((f) => `the question on page ${f.page + 1}: ${f.error.slice(0, 120)}`)];
  if (failures.length) lines.push(`Failed: ${failures.join('; ')}.`, '');
  return lines;
}
