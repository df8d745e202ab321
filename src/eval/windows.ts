// The golden check of tokenizer + window builder: rebuilds every SQuAD v1.1 dev window (max_seq_length 384,
// doc_stride 128, max_query_length 64) and compares it with windows-384.jsonl, the model inputs of the
// reference run_squad pipeline (see ../shared/data/README.md).
import { join } from 'node:path';
import { buildWindows, questionIds, tokenizeContext, type ContextTokens, type QaWindow, type WindowOptions } from '../engine/qa/windows.js';
import type { BertTokenizer } from '../engine/tokenizer/index.js';
import { loadSquad, readJsonLines } from './squad-data.js';

export const GOLDEN_WINDOW_OPTIONS: WindowOptions = Object.freeze({ maxSeqLength: 384, docStride: 128, maxQueryLength: 64 });
const FIRST_UNIQUE_ID = 1_000_000_000;
const MAX_MISMATCHES = 20;

/** One line of windows-384.jsonl. */
export interface GoldenWindow {
  qas_id: string;
  unique_id: number;
  tokens: string[];
  input_ids: number[];
  segment_ids: number[];
  token_to_orig_map: number[];
  token_is_max_context: number[];
}

export interface WindowMismatch {
  qasId: string;
  uniqueId: number;
  field: string;
  detail: string;
}

export interface WindowReport {
  /** golden windows */
  total: number;
  /** golden windows rebuilt exactly */
  identical: number;
  /** the first mismatches (at most 20), in file order */
  mismatches: WindowMismatch[];
}

const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x));

function isGoldenWindow(v: unknown): v is GoldenWindow {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  return (
    typeof w.qas_id === 'string' &&
    Number.isInteger(w.unique_id) &&
    Array.isArray(w.tokens) &&
    w.tokens.every((t) => typeof t === 'string') &&
    isIntArray(w.input_ids) &&
    isIntArray(w.segment_ids) &&
    isIntArray(w.token_to_orig_map) &&
    isIntArray(w.token_is_max_context)
  );
}

/** First index where two sequences differ, with a little of both around it; undefined when equal. */
function diff<T>(got: readonly T[], want: readonly T[]): string | undefined {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      const from = Math.max(0, i - 3);
      const show = (a: readonly T[]): string => JSON.stringify(a.slice(from, i + 4));
      return `first difference at ${i} (length ${got.length}, expected ${want.length}): got ${show(got)}, expected ${show(want)} from index ${from}`;
    }
  }
  return undefined;
}

/** The window's tokens as vocabulary pieces, as run_squad's `tokens` field has them. */
function windowTokens(tok: BertTokenizer, ctx: ContextTokens, w: QaWindow): string[] {
  const out: string[] = [];
  for (let i = 0; i < w.contextStart; i++) out.push(tok.vocab.token(w.inputIds[i]) ?? `<id ${w.inputIds[i]}>`);
  for (let i = 0; i < w.contextLength; i++) out.push(ctx.pieces[w.docStart + i]);
  out.push(tok.vocab.token(w.inputIds[w.inputIds.length - 1]) ?? '<?>');
  return out;
}

function compareOne(tok: BertTokenizer, ctx: ContextTokens, got: QaWindow, want: GoldenWindow): Array<{ field: string; detail: string }> {
  const problems: Array<{ field: string; detail: string }> = [];
  const check = (field: string, detail: string | undefined): void => {
    if (detail !== undefined) problems.push({ field, detail });
  };
  check('input_ids', diff(got.inputIds, want.input_ids));
  check('segment_ids', diff(got.segmentIds, want.segment_ids));
  check('token_to_orig_map', diff(got.tokenToOrigMap, want.token_to_orig_map));
  check('token_is_max_context', diff(got.tokenIsMaxContext.map((b) => (b ? 1 : 0)), want.token_is_max_context));
  check('tokens', diff(windowTokens(tok, ctx, got), want.tokens));
  return problems;
}

/**
 * Rebuilds every window of the SQuAD dev set in `dataDir` (questions.jsonl, contexts.json) and compares it
 * with windows-384.jsonl, question by question, in file order.
 */
export async function compareWindows(dataDir: string, tok: BertTokenizer, onProgress?: (done: number, total: number) => void): Promise<WindowReport> {
  const squad = await loadSquad(dataDir);
  const golden = await readJsonLines(join(dataDir, 'windows-384.jsonl'), isGoldenWindow);
  const mismatches: WindowMismatch[] = [];
  const note = (m: WindowMismatch): void => {
    if (mismatches.length < MAX_MISMATCHES) mismatches.push(m);
  };
  const contexts = new Map<number, ContextTokens>();
  const special = { cls: tok.clsId, sep: tok.sepId };
  const opts = GOLDEN_WINDOW_OPTIONS;
  let g = 0; // next golden line
  let uniqueId = FIRST_UNIQUE_ID;
  let identical = 0;
  let lastReport = 0;

  for (const q of squad.questions) {
    let ctx = contexts.get(q.context);
    if (ctx === undefined) {
      ctx = tokenizeContext(tok, squad.contexts[q.context]);
      contexts.set(q.context, ctx);
    }
    const windows = buildWindows(questionIds(tok, q.question, opts.maxQueryLength), ctx, opts, special);
    const first = g;
    while (g < golden.length && golden[g].qas_id === q.id) g++;
    const expected = golden.slice(first, g);
    if (expected.length !== windows.length) {
      note({ qasId: q.id, uniqueId, field: 'windows', detail: `built ${windows.length} windows, expected ${expected.length}` });
    }
    for (let k = 0; k < expected.length; k++) {
      const want = expected[k];
      if (want.unique_id !== uniqueId + k) {
        note({ qasId: q.id, uniqueId: want.unique_id, field: 'unique_id', detail: `expected unique_id ${uniqueId + k} at this line, the file has ${want.unique_id}` });
      }
      if (k >= windows.length) continue;
      const problems = compareOne(tok, ctx, windows[k], want);
      if (problems.length === 0) identical++;
      for (const p of problems) note({ qasId: q.id, uniqueId: want.unique_id, ...p });
    }
    uniqueId += expected.length;
    if (onProgress && (g - lastReport >= 500 || g === golden.length)) {
      lastReport = g;
      onProgress(g, golden.length);
    }
  }
  if (g < golden.length) {
    note({
      qasId: golden[g].qas_id,
      uniqueId: golden[g].unique_id,
      field: 'windows',
      detail: `${golden.length - g} golden windows left after the last question (question order differs from windows-384.jsonl?)`,
    });
  }
  return { total: golden.length, identical, mismatches };
}
