// The model registry (models/registry.json): which models exist, where on the hub, which files.
import registryJson from '../../models/registry.json' with { type: 'json' };
import { ONNX_FILES } from '../engine/onnx-files.js';
import { CHECKPOINT_FILE, isPickleFile, modelWeights } from './model-files.js';
import type { ModelTask } from './protocol.js';

export interface RegistryFile {
  path: string;
  /** bytes; exact unless approx */
  size?: number;
  approx?: boolean;
  /**
   * lowercase hex sha256 of the file at the entry's revision (for an LFS file, the hub's "SHA256" / its pointer's
   * oid). Required for the weights (see unpinnedWeights); checked for any file that has one.
   */
  sha256?: string;
  /** a 404 for this file is not an error */
  optional?: boolean;
}

export interface RegistryEntry {
  id: string;
  name: string;
  task: ModelTask;
  repo: string;
  revision: string;
  license: string;
  description: string;
  labels?: string[];
  files: RegistryFile[];
  /**
   * 'on-device': the hub publishes only fp32, so after the files are stored the extension quantizes the fp32 ONNX
   * file to int8 (src/engine/quantize.ts) and stores it as onnx/model_quantized.onnx, part of the same install.
   * An entry whose weights are model.safetensors always gets this step, after its ONNX file is built.
   */
  int8?: 'on-device';
  /** config.json's model_type (default 'mobilebert'); the end-to-end tests' fake hub writes its files by it */
  modelType?: ModelType;
  /** per-window latency measured by `npm run bench` (docs/PERFORMANCE.md), shown in the options page */
  speed?: ModelSpeed;
}

export interface ModelSpeed {
  /** median latency of one 384-token window (int8, the extension's default precision) */
  msPerWindow384: number;
  /** where it was measured, in words: runtime, threads, machine */
  measuredOn: string;
}

/**
 * A revision is a commit hash, never a branch: what is downloaded is then what was checked. A full 40-hex hash,
 * or the hub's 7-hex short form where only that could be read (see models/registry.json).
 */
const COMMIT_HASH = /^[0-9a-f]{7}$|^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The display name of a classifier's label: transformers' generic "LABEL_n" (a fine-tune whose config.json never
 * named its classes) becomes the registry's name for class n; a real name is kept.
 */
export function labelName(entry: RegistryEntry, label: string): string {
  const id = /^LABEL_(\d+)$/.exec(label)?.[1];
  return entry.task === 'classify' && id !== undefined ? entry.labels?.[Number(id)] ?? label : label;
}

export type ModelType = 'mobilebert' | 'bert';
const MODEL_TYPES: readonly ModelType[] = ['mobilebert', 'bert'];

export function parseRegistry(json: unknown): RegistryEntry[] {
  const models = (json as { models?: unknown }).models;
  if (!Array.isArray(models)) throw new Error('model registry: "models" must be an array');
  const ids = new Set<string>();
  return models.map((m: Partial<RegistryEntry>, i) => {
    for (const key of ['id', 'name', 'task', 'repo', 'revision', 'license', 'description'] as const) {
      if (typeof m[key] !== 'string' || m[key] === '') throw new Error(`model registry entry ${i}: "${key}" must be a non-empty string`);
    }
    if (!['qa', 'zero-shot', 'classify'].includes(m.task as string)) throw new Error(`model registry entry ${m.id}: unknown task "${m.task}"`);
    if (ids.has(m.id as string)) throw new Error(`model registry: duplicate id "${m.id}"`);
    ids.add(m.id as string);
    if (!Array.isArray(m.files) || m.files.length === 0) throw new Error(`model registry entry ${m.id}: no files`);
    for (const f of m.files) {
      if (typeof f.path !== 'string' || f.path.startsWith('/') || f.path.split('/').includes('..')) throw new Error(`model registry entry ${m.id}: bad file path ${JSON.stringify(f.path)}`);
      if (isPickleFile(f.path)) throw new Error(`model registry entry ${m.id}: ${f.path} is a PyTorch pickle, which Lens never loads; list ${CHECKPOINT_FILE} or an ONNX file`);
      if (f.sha256 !== undefined && !SHA256.test(f.sha256)) throw new Error(`model registry entry ${m.id}: the sha256 of ${f.path} must be 64 lowercase hex digits (got ${JSON.stringify(f.sha256)})`);
    }
    const paths = m.files.map((f) => f.path);
    const weights = modelWeights(paths);
    if (!weights) throw new Error(`model registry entry ${m.id}: no weights: list ${CHECKPOINT_FILE} or an ONNX file (${ONNX_FILES.fp32.join(', ')}, ${ONNX_FILES.quantized.join(', ')})`);
    // the checkpoint is only downloaded to build the ONNX file: with one already listed it would be fetched for nothing
    if (weights.kind === 'onnx' && paths.includes(CHECKPOINT_FILE)) throw new Error(`model registry entry ${m.id}: lists ${CHECKPOINT_FILE} and ${weights.paths.join(', ')}; list one or the other`);
    if (weights.kind === 'checkpoint' && !paths.includes('config.json')) throw new Error(`model registry entry ${m.id}: ${CHECKPOINT_FILE} needs config.json to build the model from`);
    if (m.int8 !== undefined) {
      if (m.int8 !== 'on-device') throw new Error(`model registry entry ${m.id}: "int8" must be "on-device" (got ${JSON.stringify(m.int8)})`);
      if (weights.kind === 'onnx' && !paths.some((p) => ONNX_FILES.fp32.includes(p))) throw new Error(`model registry entry ${m.id}: "int8": "on-device" needs an fp32 ONNX file to quantize (${ONNX_FILES.fp32.join(' or ')}) or ${CHECKPOINT_FILE}`);
      const quantized = paths.find((p) => ONNX_FILES.quantized.includes(p));
      if (quantized) throw new Error(`model registry entry ${m.id}: "int8": "on-device" with the hub's ${quantized} as well; list one or the other`);
    }
    if (!COMMIT_HASH.test(m.revision as string)) throw new Error(`model registry entry ${m.id}: "revision" must be a commit hash (got ${JSON.stringify(m.revision)}): a branch such as "main" can change under the extension`);
    if (m.speed !== undefined) {
      const { msPerWindow384, measuredOn } = m.speed as Partial<ModelSpeed>;
      if (typeof msPerWindow384 !== 'number' || !(msPerWindow384 > 0) || typeof measuredOn !== 'string' || !measuredOn) throw new Error(`model registry entry ${m.id}: "speed" must be { "msPerWindow384": a positive number, "measuredOn": text }`);
    }
    if (m.modelType !== undefined && !MODEL_TYPES.includes(m.modelType)) throw new Error(`model registry entry ${m.id}: "modelType" must be ${MODEL_TYPES.map((t) => `"${t}"`).join(' or ')} (got ${JSON.stringify(m.modelType)})`);
    return m as RegistryEntry;
  });
}

export const REGISTRY: readonly RegistryEntry[] = parseRegistry(registryJson);

export function registryEntry(id: string): RegistryEntry {
  const entry = REGISTRY.find((m) => m.id === id);
  if (!entry) throw new Error(`unknown model "${id}" (known: ${REGISTRY.map((m) => m.id).join(', ')})`);
  return entry;
}

/** Whether installing this entry from the hub ends with making its int8 file on the device. */
export function makesInt8OnDevice(entry: RegistryEntry): boolean {
  return entry.int8 === 'on-device' || entry.files.some((f) => f.path === CHECKPOINT_FILE);
}

/**
 * The fp32 ONNX file to quantize on the device after an install, for an entry with "int8": "on-device" whose
 * stored files have no int8 file yet (a folder import may bring its own); undefined when there is nothing to do.
 * `built`: the fp32 file was built on the device from a checkpoint, which never comes with an int8 file, so it
 * is quantized whatever the entry says.
 */
export function onDeviceInt8Source(entry: RegistryEntry, storedPaths: readonly string[], built = false): string | undefined {
  if ((!built && entry.int8 !== 'on-device') || storedPaths.some((p) => ONNX_FILES.quantized.includes(p))) return undefined;
  return ONNX_FILES.fp32.find((p) => storedPaths.includes(p));
}

/**
 * The entry's weight files (its ONNX files, or model.safetensors) that the registry gives no sha256 for. A hub
 * download of such an entry is refused: a revision pin alone trusts whoever serves the bytes (the hub, a mirror,
 * the network path); the registry's sha256 is what says these are the bytes that were reviewed. Importing the
 * folder from disk stays allowed: the user then vouches for the files.
 */
export function unpinnedWeights(entry: RegistryEntry): string[] {
  const weights = modelWeights(entry.files.map((f) => f.path));
  const paths = weights?.kind === 'onnx' ? weights.paths : weights ? [weights.path] : [];
  return paths.filter((p) => !entry.files.find((f) => f.path === p)?.sha256);
}

/** Download size as the registry states it. */
export function approxBytes(entry: RegistryEntry): number {
  return entry.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
}

/** The Hugging Face URL layout: {hub}/{repo}/resolve/{revision}/{file}. */
export function hubFileUrl(hubBaseUrl: string, entry: RegistryEntry, path: string): string {
  const enc = (s: string) => s.split('/').map(encodeURIComponent).join('/');
  return `${hubBaseUrl.replace(/\/+$/, '')}/${enc(entry.repo)}/resolve/${encodeURIComponent(entry.revision)}/${enc(path)}`;
}
