// `lens model convert`: a checkpoint folder as the Hub ships most fine-tunes (config.json + model.safetensors or
// pytorch_model.bin) to
// an ONNX model folder, through the same graph builders the loader uses (src/engine/graph), for users who want
// the file. Optionally with the int8 variant the extension makes on the device.
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { readCheckpoint } from '../engine/checkpoint.js';
import { buildOnnxFromCheckpointSync, type GraphKind } from '../engine/graph/index.js';
import { CHECKPOINT_FILES, ONNX_FILES, PYTORCH_INDEX_FILE } from '../shared/model-files.js';
import { quantizeOnnx } from '../engine/quantize.js';

export interface ConvertFolderOptions {
  inDir: string;
  outDir: string;
  /** also write onnx/model_quantized.onnx (dynamic int8, as `lens model quantize`) */
  int8?: boolean;
  /** lean (default) or the exported graph's shape (src/engine/graph/index.ts GraphVariant) */
  graph?: GraphKind;
}

export interface ConvertFolderReport {
  architecture: string;
  task: 'qa' | 'classify';
  parameterCount: number;
  /** files written, relative to outDir, with their sizes */
  written: Array<{ path: string; bytes: number }>;
  copied: string[];
  /** checkpoint tensors the graph does not use */
  unused: string[];
  seconds: number;
}

export async function convertModelFolder(opts: ConvertFolderOptions): Promise<ConvertFolderReport> {
  const started = performance.now();
  const inDir = path.resolve(opts.inDir);
  const outDir = path.resolve(opts.outDir);
  const info = await stat(inDir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`model folder ${opts.inDir} not found`);
  if (inDir === outDir) throw new Error('--out must be another folder than --in');
  const read = async (name: string) => {
    const bytes = await readFile(path.join(inDir, name)).catch(() => undefined);
    return bytes && new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };

  const configBytes = await read('config.json');
  if (!configBytes) throw new Error(`${opts.inDir} has no config.json`);
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(configBytes));
  } catch (err) {
    throw new Error(`config.json of ${opts.inDir} is not valid JSON: ${(err as Error).message}`);
  }
  const checkpoint = await readCheckpoint(read, opts.inDir);
  if (!checkpoint) throw new Error(`${opts.inDir} has no checkpoint (${CHECKPOINT_FILES.join(', ')})`);
  const built = buildOnnxFromCheckpointSync(config, checkpoint.tensors, opts.inDir, { lean: opts.graph !== 'exported' });

  await mkdir(path.join(outDir, 'onnx'), { recursive: true });
  const written: ConvertFolderReport['written'] = [];
  const write = async (rel: string, bytes: Uint8Array) => {
    await writeFile(path.join(outDir, rel), bytes);
    written.push({ path: rel, bytes: bytes.length });
  };
  await write(ONNX_FILES.fp32[0], built.bytes);
  if (opts.int8) await write(ONNX_FILES.quantized[0], quantizeOnnx(built.bytes).bytes);
  // The tokenizer and config files travel along; the weights now live in the ONNX file.
  const copied: string[] = [];
  for (const entry of await readdir(inDir, { withFileTypes: true })) {
    if (!entry.isFile() || !/\.(json|txt|model)$/.test(entry.name) || entry.name === PYTORCH_INDEX_FILE) continue;
    await copyFile(path.join(inDir, entry.name), path.join(outDir, entry.name));
    copied.push(entry.name);
  }
  return { architecture: built.architecture, task: built.task, parameterCount: built.parameterCount, written, copied, unused: built.unused, seconds: (performance.now() - started) / 1000 };
}
