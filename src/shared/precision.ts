// Which of an installed model's ONNX files runs under the precision setting, and how the UI says it. No browser
// API here: the background (both inference paths) and the pages decide alike, and Node tests check it.
import { pickOnnxFile, type OnnxVariant } from '../shared/model-files.js';
import type { ModelRecord, Precision, PrecisionInUse } from './protocol.js';

export const PRECISIONS: readonly Precision[] = ['int8', 'fp32'];

export function checkPrecision(value: unknown): Precision {
  if (PRECISIONS.includes(value as Precision)) return value as Precision;
  throw new Error(`precision must be ${PRECISIONS.map((p) => `"${p}"`).join(' or ')} (got ${JSON.stringify(value)})`);
}

export function onnxVariantOf(precision: Precision): OnnxVariant {
  return precision === 'int8' ? 'quantized' : 'fp32';
}

/**
 * The file a model runs with: the setting's precision when the model has that file, else the one it has (the
 * hub's int8-only MNLI model under fp32; a model whose on-device int8 step failed, under int8). `makesInt8`:
 * its registry entry has the int8 file made on the device ("int8": "on-device").
 */
export function precisionInUse(record: Pick<ModelRecord, 'files' | 'int8Error'>, setting: Precision, makesInt8 = false): PrecisionInUse | undefined {
  const picked = pickOnnxFile(
    record.files.map((f) => f.path),
    onnxVariantOf(setting),
  );
  if (!picked) return undefined;
  const precision: Precision = picked.variant === 'quantized' ? 'int8' : 'fp32';
  const derived = record.files.some((f) => f.path === picked.path && f.derived === 'int8');
  const use: PrecisionInUse = { precision, path: picked.path, derived };
  if (precision === setting) return use;
  if (precision === 'int8') return { ...use, note: 'this model is published only as int8, so the fp32 setting does not apply to it' };
  if (record.int8Error) return { ...use, note: `making the int8 file on this device failed: ${record.int8Error}` };
  // e.g. installed by a version of Lens that did not make int8 files yet
  return { ...use, note: makesInt8 ? 'no int8 file was made for it on this device; remove it and download or import it again to make one' : 'this model has no int8 file' };
}

/** "int8, optimized on this device", "fp32, the published weights (…why…)". */
export function precisionText(use: PrecisionInUse): string {
  const what = use.precision === 'fp32' ? 'fp32, the published weights' : use.derived ? 'int8, optimized on this device' : 'int8, as published';
  return use.note ? `${what} (${use.note})` : what;
}
