// `lens eval reference`: proves the engine computes what Hugging Face's PyTorch code computes. Each fixture of
// ../shared/data/hf-reference (config.json, model.safetensors, the PyTorch-exported model.onnx, expected.json with
// PyTorch's logits) is loaded twice through the engine's own loader: from model.safetensors alone (the ONNX file
// hidden, so Lens builds the graph) and from model.onnx alone; every case is run and compared.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { CHECKPOINT_FILE } from '../engine/graph/index.js';
import { LensModel, ONNX_FILES, type ModelSource } from '../engine/model.js';
import { directorySource } from '../cli/model-dir.js';

export type ReferenceSource = 'safetensors' | 'onnx';

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
  architecture: string;
  cases: number;
  /** largest |Lens - PyTorch| over every output value of every case */
  maxAbsDiff: number;
}

/** The tolerance the issue sets for agreeing with PyTorch. */
export const REFERENCE_TOLERANCE = 1e-4;

/** The folder as a ModelSource that shows either the checkpoint or the ONNX file, never both. */
function onlySource(dir: string, source: ReferenceSource): ModelSource {
  const folder = directorySource(dir);
  const hidden = source === 'safetensors' ? [...ONNX_FILES.fp32, ...ONNX_FILES.quantized] : [CHECKPOINT_FILE];
  return { name: `${dir} (${source})`, read: async (p) => (hidden.includes(p) ? undefined : folder.read(p)) };
}

function flat(rows: number[][], what: string, batch: number, seqLen: number): Int32Array {
  if (rows.length !== batch || rows.some((r) => r.length !== seqLen)) throw new Error(`${what} is not ${batch} x ${seqLen}`);
  return Int32Array.from(rows.flat());
}

export async function runFixture(dir: string, source: ReferenceSource): Promise<ReferenceResult> {
  const fixture = JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as ReferenceFixture;
  const model = await LensModel.load(onlySource(dir, source), { numThreads: 1 });
  try {
    if ((model.onnxFile === CHECKPOINT_FILE) !== (source === 'safetensors')) throw new Error(`${dir}: loaded ${model.onnxFile} when asked for ${source}`);
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
    return { fixture: path.basename(dir), source, architecture: fixture.model, cases: fixture.cases.length, maxAbsDiff };
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

export async function evalReference(dataDir: string, onResult?: (r: ReferenceResult) => void): Promise<ReferenceResult[]> {
  const results: ReferenceResult[] = [];
  for (const dir of await referenceFixtures(dataDir)) {
    for (const source of ['safetensors', 'onnx'] as const) {
      const r = await runFixture(dir, source);
      results.push(r);
      onResult?.(r);
    }
  }
  return results;
}

export function formatReferenceLine(r: ReferenceResult): string {
  return `${r.fixture} ${r.source}: max abs diff ${r.maxAbsDiff.toExponential(1)}`;
}
