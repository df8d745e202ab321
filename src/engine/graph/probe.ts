// Do two sessions compute the same function? Run both on one fixed batch and compare every float output they
// share. Used to accept a rebuilt graph (e.g. the lean graph made from an ONNX file's recovered weights) only when it
// agrees with the file the user downloaded. Browser-safe.
import type { FloatOutput, ModelSession } from '../runtime.js';

/** What the probe needs of a session (a ModelSession, or a host's stand-in with the same run). */
export type ProbeSession = Pick<ModelSession, 'outputNames' | 'run'>;

/** A batch of token sequences, row-major `batch x seqLen`, for every input a BERT-family session may take. */
export interface ProbeBatch {
  batch: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
}

export interface ProbeOptions {
  /** token ids are drawn below this (config.json's vocab_size) */
  vocabSize: number;
  /** default 2 (segment ids 0 and 1); 1 keeps every id 0 */
  typeVocabSize?: number;
  /** default 12 */
  seqLen?: number;
}

export interface ProbeResult {
  ok: boolean;
  /** largest |a - b| over every compared value (Infinity when shapes differ or a value is not finite in one only) */
  maxAbsDiff: number;
  /** the outputs compared (those both sessions have) */
  compared: string[];
}

/** Relative tolerance: a difference is accepted up to this times max(1, max|a|) of that output. */
export const PROBE_TOLERANCE = 1e-3;

/**
 * A deterministic batch of 3 rows: ids spread over the vocabulary (row 0 from the low ids, where [CLS]/[SEP]-like
 * tokens sit, row 1 from the top), two segments, and row 2 padded for its last third (id 0, mask 0, type 0), so a
 * graph that ignores the mask or the segment ids disagrees.
 */
export function probeBatch(options: ProbeOptions): ProbeBatch {
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new Error(`probe: vocabSize must be an integer >= 2, got ${vocabSize}`);
  const seqLen = options.seqLen ?? 12;
  const types = (options.typeVocabSize ?? 2) > 1;
  const batch = 3;
  const inputIds = new Int32Array(batch * seqLen);
  const attentionMask = new Int32Array(batch * seqLen);
  const tokenTypeIds = new Int32Array(batch * seqLen);
  const padFrom = seqLen - Math.max(1, Math.floor(seqLen / 3));
  for (let r = 0; r < batch; r++) {
    for (let i = 0; i < seqLen; i++) {
      const k = r * seqLen + i;
      const padded = r === 2 && i >= padFrom;
      // 1 + (a step coprime-ish with most vocab sizes): ids in [1, vocabSize)
      const id = r === 1 ? vocabSize - 1 - ((i * 13) % (vocabSize - 1)) : 1 + ((i * 37 + r * 11) % (vocabSize - 1));
      inputIds[k] = padded ? 0 : id;
      attentionMask[k] = padded ? 0 : 1;
      tokenTypeIds[k] = types && !padded && i >= seqLen / 2 ? 1 : 0;
    }
  }
  return { batch, seqLen, inputIds, attentionMask, tokenTypeIds };
}

function feedsOf(p: ProbeBatch): Record<string, Int32Array> {
  return { input_ids: p.inputIds, attention_mask: p.attentionMask, token_type_ids: p.tokenTypeIds };
}

/** |a - b| judged against max(1, max|a|) of the output, per output; any NaN or shape mismatch fails. */
function compareOutput(a: FloatOutput, b: FloatOutput): { ok: boolean; diff: number } {
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i]) || a.data.length !== b.data.length) return { ok: false, diff: Infinity };
  let diff = 0;
  let scale = 1;
  let finite = true;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (!(x === y)) finite = false;
      continue;
    }
    scale = Math.max(scale, Math.abs(x));
    diff = Math.max(diff, Math.abs(x - y));
  }
  if (!finite) return { ok: false, diff: Infinity };
  return { ok: diff <= PROBE_TOLERANCE * scale, diff };
}

/**
 * Runs `a` and `b` on the same probe batch and compares every float output both have. ok: at least one output
 * compared, and each within PROBE_TOLERANCE * max(1, max|a|) of that output. Errors of a run are thrown.
 */
export async function sameOutputs(a: ProbeSession, b: ProbeSession, probe: ProbeBatch | ProbeOptions): Promise<ProbeResult> {
  const batch = 'inputIds' in probe ? probe : probeBatch(probe);
  const compared = a.outputNames.filter((n) => b.outputNames.includes(n));
  if (compared.length === 0) return { ok: false, maxAbsDiff: Infinity, compared };
  const feeds = feedsOf(batch);
  const [outA, outB] = [await a.run(feeds, batch.batch, batch.seqLen, compared), await b.run(feeds, batch.batch, batch.seqLen, compared)];
  let ok = true;
  let maxAbsDiff = 0;
  for (const name of compared) {
    const r = compareOutput(outA[name], outB[name]);
    ok &&= r.ok;
    maxAbsDiff = Math.max(maxAbsDiff, r.diff);
  }
  return { ok, maxAbsDiff, compared };
}
