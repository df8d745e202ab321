// `lens eval reference`: proves the engine computes what Hugging Face's PyTorch code computes. Each fixture of
// ../shared/data/hf-reference (config.json, model.safetensors, the PyTorch-exported model.onnx, expected.json with
// PyTorch's logits) or ../shared/data/hf-reference-pytorch (pytorch_model.bin in its zip, legacy or fp16 form) is
// loaded through the engine's own loader once per weights file it has, the others hidden: from the checkpoint (Lens
// builds the lean graph), from the ONNX file as it is, and from the ONNX file rebuilt as the lean graph (the weights
// recovered from it, as the extension's install does); every case is run and compared. Files under a `refused/` folder must be
// refused by the checkpoint reader the loader uses, and each refusal is reported with its reason.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { readCheckpoint } from '../engine/checkpoint.js';
import { stateDictFromOnnx } from '../engine/graph/from-onnx.js';
import { buildOnnxFromCheckpointSync } from '../engine/graph/index.js';
import { LensModel, type ModelSource } from '../engine/model.js';
import { directorySource } from '../modelgen/model-dir.js';
import { CHECKPOINT_FILES, ONNX_FILES, PYTORCH_FILE, PYTORCH_INDEX_FILE, SAFETENSORS_FILE } from '../shared/model-files.js';

export type ReferenceSource = 'safetensors' | 'pytorch' | 'onnx' | 'onnx-lean';

/** The file each source loads from (a sharded PyTorch checkpoint: its index). */
const SOURCE_FILES: Record<ReferenceSource, readonly string[]> = {
  safetensors: [SAFETENSORS_FILE],
  pytorch: [PYTORCH_FILE, PYTORCH_INDEX_FILE],
  onnx: [...ONNX_FILES.fp32, ...ONNX_FILES.quantized],
  'onnx-lean': ONNX_FILES.fp32,
};
const WEIGHT_FILES = [...CHECKPOINT_FILES, ...SOURCE_FILES.onnx];

export interface ReferenceCase {
  name: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  [output: string]: unknown;
}

export interface ReferenceFixture {
  model: string;
  outputs: string[];
  cases: ReferenceCase[];
}

export interface ReferenceResult {
  fixture: string;
  source: ReferenceSource;
  /** the graph that ran: the lean one Lens builds, or the file's own */
  graph: 'lean' | 'as exported';
  architecture: string;
  cases: number;
  /** largest |Lens - PyTorch| over every output value of every case */
  maxAbsDiff: number;
}

/** The tolerance the issue sets for agreeing with PyTorch. */
export const REFERENCE_TOLERANCE = 1e-4;

/** The folder as a ModelSource that shows one source's weights file and hides the others. */
function onlySource(dir: string, source: ReferenceSource): ModelSource {
  const folder = directorySource(dir);
  const hidden = WEIGHT_FILES.filter((p) => !SOURCE_FILES[source].includes(p));
  return { name: `${dir} (${source})`, read: async (p) => (hidden.includes(p) ? undefined : folder.read(p)) };
}

/** The folder with its fp32 ONNX file rebuilt as the lean graph from the weights in it (and nothing else to load). */
async function leanFromOnnx(dir: string): Promise<ModelSource> {
  const folder = directorySource(dir);
  let found: { path: string; bytes: Uint8Array } | undefined;
  for (const p of ONNX_FILES.fp32) {
    const bytes = await folder.read(p);
    if (bytes && !found) found = { path: p, bytes };
  }
  if (!found) throw new Error(`${dir} has no fp32 ONNX file (${ONNX_FILES.fp32.join(', ')})`);
  const config = JSON.parse(new TextDecoder().decode(await folder.read('config.json'))) as unknown;
  const recovered = stateDictFromOnnx(found.bytes, config);
  if (!recovered.ok) throw new Error(`${dir}: the weights of ${found.path} could not be recovered: ${recovered.reason}`);
  const lean = buildOnnxFromCheckpointSync(config, recovered.tensors, dir, { lean: true }).bytes;
  const path = found.path;
  return { name: `${dir} (onnx-lean)`, read: async (p) => (p === path ? lean : WEIGHT_FILES.includes(p) ? undefined : folder.read(p)) };
}

function flat(rows: number[][], what: string, batch: number, seqLen: number): Int32Array {
  if (rows.length !== batch || rows.some((r) => r.length !== seqLen)) throw new Error(`${what} is not ${batch} x ${seqLen}`);
  return Int32Array.from(rows.flat());
}

export async function runFixture(dir: string, source: ReferenceSource): Promise<ReferenceResult> {
  const fixture = JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as ReferenceFixture;
  const model = await LensModel.load(source === 'onnx-lean' ? await leanFromOnnx(dir) : onlySource(dir, source), { numThreads: 1 });
  try {
    if (!SOURCE_FILES[source].includes(model.onnxFile)) throw new Error(`${dir}: loaded ${model.onnxFile} when asked for ${source}`);
    let maxAbsDiff = 0;
    for (const c of fixture.cases) {
      const batch = c.input_ids.length;
      const seqLen = c.input_ids[0]?.length ?? 0;
      const feeds = {
        input_ids: flat(c.input_ids, `${c.name} input_ids`, batch, seqLen),
        attention_mask: flat(c.attention_mask, `${c.name} attention_mask`, batch, seqLen),
        token_type_ids: flat(c.token_type_ids, `${c.name} token_type_ids`, batch, seqLen),
      };
      const out = await model.session.run(feeds, batch, seqLen, fixture.outputs);
      for (const name of fixture.outputs) {
        const want = (c[name] as number[][]).flat();
        const got = out[name].data;
        if (got.length !== want.length) throw new Error(`${dir} ${c.name}: ${name} has ${got.length} values, PyTorch ${want.length}`);
        for (let i = 0; i < want.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - want[i]));
      }
    }
    const graph = source === 'onnx' ? 'as exported' : 'lean';
    return { fixture: path.basename(dir), source, graph, architecture: fixture.model, cases: fixture.cases.length, maxAbsDiff };
  } finally {
    await model.release();
  }
}

/** Every fixture folder (one with expected.json) under dataDir, in name order. */
export async function referenceFixtures(dataDir: string): Promise<string[]> {
  const entries = await readdir(dataDir, { withFileTypes: true }).catch(() => {
    throw new Error(`reference data folder ${dataDir} not found`);
  });
  const dirs: string[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const files = await readdir(path.join(dataDir, e.name));
    if (files.includes('expected.json')) dirs.push(path.join(dataDir, e.name));
  }
  if (dirs.length === 0) throw new Error(`${dataDir} holds no reference fixtures (folders with expected.json)`);
  return dirs;
}

/** The weights a fixture folder has, as sources to load it from. */
async function fixtureSources(dir: string): Promise<ReferenceSource[]> {
  const files = await readdir(dir);
  return (['safetensors', 'pytorch', 'onnx', 'onnx-lean'] as const).filter((s) => SOURCE_FILES[s].some((f) => files.includes(f.split('/')[0])));
}

export interface RefusalResult {
  /** e.g. "refused/runs-code.bin" */
  file: string;
  refused: boolean;
  /** the reader's message, or what it read when it did not refuse */
  reason: string;
}

/**
 * Each file under `refused/` read the way the loader reads a checkpoint (readCheckpoint): it must throw, and what
 * it says is the reason reported. A file the reader accepts fails the evaluation.
 */
export async function checkRefusals(dataDir: string): Promise<RefusalResult[]> {
  const dir = path.join(dataDir, 'refused');
  const names = await readdir(dir).catch(() => [] as string[]);
  const results: RefusalResult[] = [];
  for (const name of names.sort()) {
    const file = `refused/${name}`;
    const bytes = new Uint8Array(await readFile(path.join(dir, name)));
    try {
      // shown to the loader under the checkpoint name it would have in a model folder
      const read = await readCheckpoint(async (p) => (p === PYTORCH_FILE ? bytes : undefined), file);
      results.push({ file, refused: false, reason: `read ${read?.tensors.names().length ?? 0} tensors without an error` });
    } catch (err) {
      results.push({ file, refused: true, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}

export interface ReferenceReport {
  results: ReferenceResult[];
  refusals: RefusalResult[];
  /** every load within REFERENCE_TOLERANCE and every file under refused/ refused */
  ok: boolean;
}

export async function evalReference(dataDir: string, on: { result?: (r: ReferenceResult) => void; refusal?: (r: RefusalResult) => void } = {}): Promise<ReferenceReport> {
  const results: ReferenceResult[] = [];
  for (const dir of await referenceFixtures(dataDir)) {
    const sources = await fixtureSources(dir);
    if (sources.length === 0) throw new Error(`${dir} has expected.json but no weights (${WEIGHT_FILES.join(', ')})`);
    for (const source of sources) {
      const r = await runFixture(dir, source);
      results.push(r);
      on.result?.(r);
    }
  }
  const refusals = await checkRefusals(dataDir);
  for (const r of refusals) on.refusal?.(r);
  const ok = results.every((r) => r.maxAbsDiff <= REFERENCE_TOLERANCE) && refusals.every((r) => r.refused);
  return { results, refusals, ok };
}

export function formatReferenceLine(r: ReferenceResult): string {
  return `${r.fixture} ${r.source} (${r.graph} graph): max abs diff ${r.maxAbsDiff.toExponential(1)}`;
}

export function formatRefusalLine(r: RefusalResult): string {
  return r.refused ? `${r.file}: refused: ${r.reason}` : `${r.file}: NOT refused (${r.reason})`;
}
