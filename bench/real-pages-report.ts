// Reading real pages (bench/browser/real-pages.ts measures it): the results' types, the Goals rows (first read
// in Chromium: median <= 100 ms and max <= 1 s over the extraction development set; warm page QA on those pages,
// reading included: median <= 500 ms) and the report's "Reading real pages" section. Free of DOM and Node types,
// and of report.ts (which calls these), so that no import circle forms.
import type { Stats } from './stats.js';

/** Stats plus the p90 and the maximum, which the real-page targets are stated in. */
export interface SpreadStats extends Stats {
  p90: number;
  max: number;
}

/** One development-set page read twice: fresh (first read), then again unchanged (follow-up). */
export interface PageReadSample {
  /** the case's file (pages/....html) */
  file: string;
  /** content/extract round trips from an extension page (ms) */
  firstMs: number;
  followUpMs: number;
  /** the follow-up reply said it reused the first reading; undefined: the reply has no such flag */
  reused?: boolean;
  /** characters read and what was read (the reading's note) */
  chars: number;
  reading: string;
}

/** Reads of the development pages in one browser. */
export interface PageReadRun {
  browser: string;
  /** pages read (failures apart) */
  pages: number;
  first: SpreadStats;
  /** the page of the slowest first read */
  slowest: { file: string; ms: number; chars: number };
  followUp: SpreadStats;
  /** share of follow-up reads that reused the first reading; null: no reply carried the flag (a build before "read once") */
  reusedShare: number | null;
  failures: Array<{ file: string; error: string }>;
  samples: PageReadSample[];
}

/** One question on a development page, asked through the extension as the popup does (qa/ask). */
export interface RealPageAsk {
  file: string;
  question: string;
  /** the `with` snippet the question was made from */
  snippet: string;
  /** client time around sendMessage in the extension page: asking to answer, the page read included */
  ms: number;
  /** the background's own reply.ms */
  backgroundMs: number;
  /** from the background's timeline: the question reaching it to the page text back from the content script */
  readMs?: number;
  windowsRead: number;
  windowsTotal: number;
  pageTokens: number;
  answer: string;
}

export interface RealPagesQa {
  browser: string;
  /** how the pages and questions were chosen */
  method: string;
  warm: SpreadStats;
  /** the page-read part of the same asks (timeline marks), where the replies carried them */
  readMs?: SpreadStats;
  warmup: { ms: number; asks: number };
  samples: RealPageAsk[];
  failures: Array<{ file: string; error: string }>;
}

/** results.pages of a bench run */
export interface RealPagesSection {
  /** pages in the development set (all are read in a full run; a quick run reads a few) */
  setPages: number;
  chromium?: PageReadRun;
  firefox?: PageReadRun;
  qa?: RealPagesQa;
  firefoxQa?: RealPagesQa;
  note: string;
  /** set when this section was measured on its own and merged into an earlier run's results (BENCH_MERGE) */
  measuredAt?: string;
  /** the machine it was measured on then (cpus x model): the VM under the bench can change between days */
  measuredOn?: string;
}

export const READ_MEDIAN_TARGET_MS = 100;
export const READ_MAX_TARGET_MS = 1000;
export const REAL_QA_MEDIAN_TARGET_MS = 500;

type GoalRow = (name: string, measured: string, goal: string, met: boolean | undefined, by?: string) => string;

const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const x = (v: number, target: number) => `${(v / target).toFixed(2)}x`;
const base = (file: string) => file.replace(/^pages\//, '');

/** The Goals rows: first read in Chromium, and warm page QA on real pages; "not measured" for runs without them. */
export function realPagesGoalRows(p: RealPagesSection | undefined, goalRow: GoalRow): string[] {
  const c = p?.chromium;
  const readMet = c ? c.first.median <= READ_MEDIAN_TARGET_MS && c.first.max <= READ_MAX_TARGET_MS : undefined;
  const qa = p?.qa;
  // rows measured in a run of this section alone say when
  const when = p?.measuredAt ? `, measured ${p.measuredAt.slice(0, 10)}` : '';
  return [
    goalRow(
      `reading a real page, first read, Chromium, ${c ? `${c.pages} ` : ''}extraction development-set pages (median / max${when})`,
      c ? `${ms(c.first.median)} / ${ms(c.first.max)} (${base(c.slowest.file)})` : '–',
      `median <= ${READ_MEDIAN_TARGET_MS} ms, max <= ${READ_MAX_TARGET_MS / 1000} s`,
      readMet,
      c ? `median ${x(c.first.median, READ_MEDIAN_TARGET_MS)}, max ${x(c.first.max, READ_MAX_TARGET_MS)} of the targets` : '',
    ),
    goalRow(
      `page QA on real pages, warm, Chromium, ${qa ? `${qa.warm.n} ` : ''}development-set pages, one question each, page read included (median${when})`,
      qa ? `${ms(qa.warm.median)} (p90 ${ms(qa.warm.p90)})` : '–',
      `<= ${REAL_QA_MEDIAN_TARGET_MS} ms`,
      qa ? qa.warm.median <= REAL_QA_MEDIAN_TARGET_MS : undefined,
      qa ? `${x(qa.warm.median, REAL_QA_MEDIAN_TARGET_MS)} the target` : '',
    ),
  ];
}

/** What report.ts hands over for comparison: the generated page's extraction and today's SQuAD-page QA rows. */
export interface RealPagesContext {
  extraction?: { elements: number; ms: Stats };
  squadQa: Array<{ label: string; questions?: number; warm: Stats }>;
}

function readRows(run: PageReadRun): string[] {
  const reused = run.reusedShare === null ? 'no flag in the replies' : `${(100 * run.reusedShare).toFixed(0)}% (${run.samples.filter((s) => s.reused).length}/${run.samples.length})`;
  return [
    `| first read (page just loaded) | ${run.browser} | ${run.first.n} | ${ms(run.first.median)} | ${ms(run.first.p90)} | ${ms(run.first.max)} (${base(run.slowest.file)}, ${Math.round(run.slowest.chars / 1000)}k characters) | |`,
    `| follow-up read (same page, unchanged) | ${run.browser} | ${run.followUp.n} | ${ms(run.followUp.median)} | ${ms(run.followUp.p90)} | ${ms(run.followUp.max)} | ${reused} |`,
  ];
}

/** The "Reading real pages" section; empty for runs without it. */
export function realPagesSection(p: RealPagesSection | undefined, ctx: RealPagesContext): string[] {
  if (!p) return [];
  const lines = ['## Reading real pages', '', p.note, ''];
  if (p.measuredAt) {
    lines.push(`Measured on ${p.measuredAt.slice(0, 10)} in a run of this section alone (\`BENCH_ONLY=pages BENCH_MERGE=…\`) on ${p.measuredOn ?? 'a machine not recorded'}; the SQuAD-page rows beside it come from the run the rest of this report comes from, which may have had another machine: compare within a run only.`, '');
  }
  const runs = [p.chromium, p.firefox].filter((r): r is PageReadRun => r !== undefined);
  if (runs.length) {
    lines.push(`Targets (Chromium): first read median <= ${READ_MEDIAN_TARGET_MS} ms and max <= ${READ_MAX_TARGET_MS / 1000} s over the development set.`, '');
    lines.push('| read | browser | pages | median | p90 | max (page) | reused the first reading |', '|---|---|---|---|---|---|---|');
    for (const run of runs) lines.push(...readRows(run));
    if (ctx.extraction) lines.push(`| for comparison: the generated ${ctx.extraction.elements.toLocaleString('en')}-element page (the extraction goal), a full read each time | Chromium | | ${ms(ctx.extraction.ms.median)} | | | |`);
    lines.push('');
    const c = p.chromium;
    if (c) {
      const verdict = c.first.median <= READ_MEDIAN_TARGET_MS && c.first.max <= READ_MAX_TARGET_MS ? 'met' : 'missed';
      lines.push(`Chromium first read: median ${ms(c.first.median)} (target ${READ_MEDIAN_TARGET_MS} ms), max ${ms(c.first.max)} (target ${READ_MAX_TARGET_MS / 1000} s): ${verdict}.`, '');
    }
    for (const run of runs) {
      if (run.failures.length) lines.push(`${run.browser}: ${run.failures.length} page(s) not read: ${run.failures.map((f) => `${base(f.file)} (${f.error.slice(0, 120)})`).join('; ')}.`, '');
    }
  }
  const qas = [p.qa, p.firefoxQa].filter((q): q is RealPagesQa => q !== undefined);
  if (qas.length || ctx.squadQa.length) {
    lines.push(`Page QA on real pages, warm (model loaded), through the extension as the popup asks (qa/ask): from asking to the answer, the page read included (a fresh page per question, so each is the first question on its page). Target: median <= ${REAL_QA_MEDIAN_TARGET_MS} ms. Beside it, today's SQuAD-page rows of the same run.`, '');
    lines.push('| pages | browser | questions | median | p90 | p95 | page read part (median) |', '|---|---|---|---|---|---|---|');
    for (const q of qas) lines.push(`| development-set pages, one question each from a \`with\` snippet | ${q.browser} | ${q.warm.n} | ${ms(q.warm.median)} | ${ms(q.warm.p90)} | ${ms(q.warm.p95)} | ${ms(q.readMs?.median)} |`);
    for (const s of ctx.squadQa) lines.push(`| ${s.label} | Chromium | ${s.questions ?? s.warm.n} | ${ms(s.warm.median)} | – | ${ms(s.warm.p95)} | |`);
    lines.push('');
    for (const q of qas) {
      lines.push(`${q.browser}: ${q.method} Warm-up: ${q.warmup.asks} asks in ${ms(q.warmup.ms)} on other development pages.${q.failures.length ? ` Not answered: ${q.failures.map((f) => `${base(f.file)} (${f.error.slice(0, 120)})`).join('; ')}.` : ''}`, '');
    }
  }
  return lines;
}
