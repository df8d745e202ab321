// The model registry (models/registry.json): which models exist, where on the hub, which files.
import registryJson from '../../models/registry.json' with { type: 'json' };
import { ONNX_FILES, isUnreadablePickle, modelWeights, weightFiles } from './model-files.js';
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

/**
 * How the entry's files are verified. Pinned by Lens (no `pin`): `revision` is a full commit hash and the registry
 * holds the sha256 of the weights. "first-install": no hash of the weights could be read from our machines, so
 * the entry names a branch; at the first install the extension resolves it to a commit through the hub's API,
 * verifies each file against the hub's own hashes at that commit and records commit and hashes for this profile
 * (src/shared/first-install.ts); from then on the model is pinned to them like any other.
 */
export type PinTier = 'registry' | 'first-install';

/** A figure the model's publisher reports on its card (not measured by Lens: trained weights are not reachable here). */
export interface ReportedScore {
  /** e.g. "accuracy" */
  metric: string;
  /** as a fraction, e.g. 0.9037 */
  value: number;
  /** e.g. "GLUE SST-2 dev" */
  dataset: string;
  /** who reports it, e.g. "its model card" */
  source: string;
}

export interface RegistryEntry {
  id: string;
  name: string;
  task: ModelTask;
  repo: string;
  /** a full 40-hex commit hash; absent for "pin": "first-install" entries, whose commit is resolved per profile */
  revision?: string;
  /** "first-install": see PinTier */
  pin?: 'first-install';
  /** the branch a "first-install" entry resolves at its first install */
  branch?: string;
  license: string;
  description: string;
  reported?: ReportedScore;
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

/** A revision is a full commit hash, never a branch (which can move) nor a short hash (which a later commit may share). */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** A git branch name as the hub takes it in a URL path segment (encoded): no "..", no leading "-" or "/". */
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}$/;

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
    for (const key of ['id', 'name', 'task', 'repo', 'license', 'description'] as const) {
      if (typeof m[key] !== 'string' || m[key] === '') throw new Error(`model registry entry ${i}: "${key}" must be a non-empty string`);
    }
    if (!['qa', 'zero-shot', 'classify'].includes(m.task as string)) throw new Error(`model registry entry ${m.id}: unknown task "${m.task}"`);
    if (ids.has(m.id as string)) throw new Error(`model registry: duplicate id "${m.id}"`);
    ids.add(m.id as string);
    if (!Array.isArray(m.files) || m.files.length === 0) throw new Error(`model registry entry ${m.id}: no files`);
    for (const f of m.files) {
      if (typeof f.path !== 'string' || f.path.startsWith('/') || f.path.split('/').includes('..')) throw new Error(`model registry entry ${m.id}: bad file path ${JSON.stringify(f.path)}`);
      if (isUnreadablePickle(f.path)) throw new Error(`model registry entry ${m.id}: ${f.path} is a pickle Lens has no reader for; list model.safetensors, pytorch_model.bin or an ONNX file`);
      if (f.sha256 !== undefined && !SHA256.test(f.sha256)) throw new Error(`model registry entry ${m.id}: the sha256 of ${f.path} must be 64 lowercase hex digits (got ${JSON.stringify(f.sha256)})`);
    }
    const paths = m.files.map((f) => f.path);
    const weights = modelWeights(paths);
    if (!weights) throw new Error(`model registry entry ${m.id}: no weights: list model.safetensors, pytorch_model.bin or an ONNX file (${ONNX_FILES.fp32.join(', ')}, ${ONNX_FILES.quantized.join(', ')})`);
    // a checkpoint is only downloaded to build the ONNX file: beside one already listed, or another checkpoint, it would be fetched for nothing
    const checkpoints = paths.filter((p) => modelWeights([p])?.kind === 'checkpoint');
    if (weights.kind === 'onnx' && checkpoints.length > 0) throw new Error(`model registry entry ${m.id}: lists ${checkpoints.join(', ')} and ${weights.paths.join(', ')}; list one or the other`);
    if (checkpoints.length > 1) throw new Error(`model registry entry ${m.id}: lists ${checkpoints.join(' and ')}; list one checkpoint`);
    if (weights.kind === 'checkpoint' && !paths.includes('config.json')) throw new Error(`model registry entry ${m.id}: ${weights.path} needs config.json to build the model from`);
    if (m.int8 !== undefined) {
      if (m.int8 !== 'on-device') throw new Error(`model registry entry ${m.id}: "int8" must be "on-device" (got ${JSON.stringify(m.int8)})`);
      if (weights.kind === 'onnx' && !paths.some((p) => ONNX_FILES.fp32.includes(p))) throw new Error(`model registry entry ${m.id}: "int8": "on-device" needs an fp32 ONNX file to quantize (${ONNX_FILES.fp32.join(' or ')}) or a checkpoint`);
      const quantized = paths.find((p) => ONNX_FILES.quantized.includes(p));
      if (quantized) throw new Error(`model registry entry ${m.id}: "int8": "on-device" with the hub's ${quantized} as well; list one or the other`);
    }
    checkPin(m as RegistryEntry);
    if (m.reported !== undefined) {
      const r = m.reported as Partial<ReportedScore>;
      if (typeof r.value !== 'number' || !(r.value >= 0 && r.value <= 1) || [r.metric, r.dataset, r.source].some((t) => typeof t !== 'string' || !t)) throw new Error(`model registry entry ${m.id}: "reported" must be { "metric", "dataset", "source": text, "value": a fraction from 0 to 1 }`);
    }
    if (m.speed !== undefined) {
      const { msPerWindow384, measuredOn } = m.speed as Partial<ModelSpeed>;
      if (typeof msPerWindow384 !== 'number' || !(msPerWindow384 > 0) || typeof measuredOn !== 'string' || !measuredOn) throw new Error(`model registry entry ${m.id}: "speed" must be { "msPerWindow384": a positive number, "measuredOn": text }`);
    }
    if (m.modelType !== undefined && !MODEL_TYPES.includes(m.modelType)) throw new Error(`model registry entry ${m.id}: "modelType" must be ${MODEL_TYPES.map((t) => `"${t}"`).join(' or ')} (got ${JSON.stringify(m.modelType)})`);
    return m as RegistryEntry;
  });
}

/**
 * The release check: every entry installs on a fresh profile. Pinned by Lens: a full commit hash and the sha256 of
 * every weights file (without one the download would be refused, so the model could not be had at all). First
 * install: a branch to resolve, and no commit or hashes of its own (the profile records those).
 */
function checkPin(m: RegistryEntry): void {
  const what = `model registry entry ${m.id}`;
  if (m.pin === undefined) {
    if (m.branch !== undefined) throw new Error(`${what}: "branch" belongs to "pin": "first-install" entries; a pinned entry names its commit in "revision"`);
    if (typeof m.revision !== 'string' || !COMMIT_HASH.test(m.revision)) throw new Error(`${what}: "revision" must be a full 40-hex commit hash (got ${JSON.stringify(m.revision)}): a branch such as "main" can change under the extension, and a short hash could come to match another commit; where no commit and sha256 are known, mark the entry "pin": "first-install" with its "branch"`);
    const unpinned = unpinnedWeights(m);
    if (unpinned.length > 0) throw new Error(`${what}: no sha256 for ${unpinned.join(', ')} at revision ${m.revision}, so no profile could install it (an unverified download is refused); add the hub's sha256 of each, or mark the entry "pin": "first-install"`);
    return;
  }
  if (m.pin !== 'first-install') throw new Error(`${what}: "pin" must be "first-install" (got ${JSON.stringify(m.pin)})`);
  if (m.revision !== undefined) throw new Error(`${what}: a "first-install" entry names a "branch", not a "revision" (its commit is resolved at the first install)`);
  if (typeof m.branch !== 'string' || !BRANCH.test(m.branch)) throw new Error(`${what}: "pin": "first-install" needs a "branch" to resolve, e.g. "main" (got ${JSON.stringify(m.branch)})`);
  const hashed = m.files.filter((f) => f.sha256 !== undefined).map((f) => f.path);
  if (hashed.length > 0) throw new Error(`${what}: a "first-install" entry takes its hashes from the hub at the first install; ${hashed.join(', ')} has a sha256 of its own: pin the entry to its commit instead`);
}

/** Which verification tier the entry is in. */
export function pinTier(entry: RegistryEntry): PinTier {
  return entry.pin === 'first-install' ? 'first-install' : 'registry';
}

export const REGISTRY: readonly RegistryEntry[] = parseRegistry(registryJson);

export function registryEntry(id: string): RegistryEntry {
  const entry = REGISTRY.find((m) => m.id === id);
  if (!entry) throw new Error(`unknown model "${id}" (known: ${REGISTRY.map((m) => m.id).join(', ')})`);
  return entry;
}

/** Whether installing this entry from the hub ends with making its int8 file on the device. */
export function makesInt8OnDevice(entry: RegistryEntry): boolean {
  return entry.int8 === 'on-device' || modelWeights(entry.files.map((f) => f.path))?.kind === 'checkpoint';
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
 * The entry's weight files (its ONNX files, or its checkpoint and any shards) that the registry gives no sha256 for. A revision
 * pin alone trusts whoever serves the bytes (the hub, a mirror, the network path); the sha256 is what says these
 * are the bytes that were reviewed, so an entry pinned by Lens must have none of these (checkPin).
 */
export function unpinnedWeights(entry: RegistryEntry): string[] {
  return weightFiles(entry.files.map((f) => f.path)).filter((p) => !entry.files.find((f) => f.path === p)?.sha256);
}

/** Download size as the registry states it. */
export function approxBytes(entry: RegistryEntry): number {
  return entry.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
}

const encPath = (s: string) => s.split('/').map(encodeURIComponent).join('/');
const hubRoot = (hubBaseUrl: string) => hubBaseUrl.replace(/\/+$/, '');

/** The Hugging Face URL layout: {hub}/{repo}/resolve/{revision}/{file} (revision: always a commit hash here). */
export function hubFileUrl(hubBaseUrl: string, repo: string, revision: string, path: string): string {
  return `${hubRoot(hubBaseUrl)}/${encPath(repo)}/resolve/${encodeURIComponent(revision)}/${encPath(path)}`;
}

/** The hub's API for a repository at a revision, with each file's size, git blob id and LFS sha256 (?blobs=true). */
export function hubRevisionApiUrl(hubBaseUrl: string, repo: string, revision: string): string {
  return `${hubRoot(hubBaseUrl)}/api/models/${encPath(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
}
