// `lens model quantize`: the engine's dynamic int8 quantizer (src/engine/quantize.ts) applied to a Hugging Face
// style model folder on disk.
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { AlreadyQuantizedError, quantizeOnnx, type QuantizedOnnx, type QuantizeOptions, type QuantizeReport } from '../engine/quantize.js';
import { ONNX_FILES } from '../shared/model-files.js';

export interface QuantizeFolderOptions extends QuantizeOptions {
  inDir: string;
  outDir: string;
  /** also copy the fp32 model.onnx (the engine then prefers it unless asked for the quantized variant) */
  keepFp32?: boolean;
}

export interface QuantizeFolderReport extends QuantizeReport {
  inFile: string;
  outFile: string;
  copied: string[];
  seconds: number;
}

const QUANTIZED_PATH = ONNX_FILES.quantized[0];
const FP32_PATH = ONNX_FILES.fp32[0];

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Reads DIR's fp32 ONNX file (onnx/model.onnx or model.onnx), writes OUT/onnx/model_quantized.onnx and copies the
 * folder's other top-level files (config.json, tokenizer files). OUT gets no model.onnx unless keepFp32, so the
 * engine loads the quantized file.
 */
export async function quantizeModelFolder(opts: QuantizeFolderOptions): Promise<QuantizeFolderReport> {
  const started = performance.now();
  const inDir = path.resolve(opts.inDir);
  const outDir = path.resolve(opts.outDir);
  const info = await stat(inDir).catch(() => undefined);
  if (!info) throw new Error(`model folder ${opts.inDir} not found`);
  if (!info.isDirectory()) throw new Error(`${opts.inDir} is not a folder (a model is a folder with config.json, vocab.txt and an ONNX file)`);
  if (inDir === outDir) throw new Error('--out must be another folder than --in');

  let inFile: string | undefined;
  for (const p of ONNX_FILES.fp32) if (await isFile(path.join(inDir, p))) { inFile = p; break; }
  if (!inFile) {
    const quantized = await Promise.all(ONNX_FILES.quantized.map((p) => isFile(path.join(inDir, p))));
    if (quantized.some(Boolean)) throw new AlreadyQuantizedError(`model folder ${opts.inDir} is already quantized (it has only ${ONNX_FILES.quantized[quantized.indexOf(true)]})`);
    throw new Error(`model folder ${opts.inDir} has no ONNX file (looked for ${ONNX_FILES.fp32.join(', ')})`);
  }
  if (!opts.keepFp32 && (await isFile(path.join(outDir, FP32_PATH)) || await isFile(path.join(outDir, 'model.onnx')))) {
    throw new Error(`${opts.outDir} already holds an fp32 model.onnx, which the engine would load instead of the quantized one: use an empty --out folder or --keep-fp32`);
  }

  let result: QuantizedOnnx;
  try {
    result = quantizeOnnx(new Uint8Array(await readFile(path.join(inDir, inFile))), opts);
  } catch (err) {
    const message = `${path.join(opts.inDir, inFile)}: ${err instanceof Error ? err.message : String(err)}`;
    throw err instanceof AlreadyQuantizedError ? new AlreadyQuantizedError(message) : new Error(message);
  }

  await mkdir(path.join(outDir, 'onnx'), { recursive: true });
  const copied: string[] = [];
  for (const entry of await readdir(inDir, { withFileTypes: true })) {
    if (!entry.isFile() || /\.onnx(_data)?$/.test(entry.name)) continue;
    await copyFile(path.join(inDir, entry.name), path.join(outDir, entry.name));
    copied.push(entry.name);
  }
  await writeFile(path.join(outDir, QUANTIZED_PATH), result.bytes);
  if (opts.keepFp32) {
    await copyFile(path.join(inDir, inFile), path.join(outDir, FP32_PATH));
    copied.push(FP32_PATH);
  }
  return { ...result.report, inFile: path.join(inDir, inFile), outFile: path.join(outDir, QUANTIZED_PATH), copied, seconds: (performance.now() - started) / 1000 };
}
