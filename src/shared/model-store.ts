// Model files on the device. Bytes live in Cache Storage (shared by the background and the extension's
// pages, survives restarts, works offline); which models are complete lives in storage.local, written only
// after every file is stored, so an interrupted download or import never looks installed.
// A model that comes as a checkpoint (config.json + model.safetensors or pytorch_model.bin, no ONNX file) gets its
// ONNX graph built here once its files are stored, as the lean graph (src/engine/graph/lean.ts); a model that comes
// as an fp32 ONNX file gets the lean graph rebuilt from the weights in it, kept only if it computes what the file
// does (else the file runs as downloaded); a model whose registry entry says "int8": "on-device", or that was just
// built, then gets its int8 file made from the stored fp32 file: all steps are part of the same install.
// Downloads follow a plan of the entry's verification tier (src/shared/first-install.ts).
// Used by the background (downloads, imports, loading) and the options page (storing a folder from disk).
import browser from 'webextension-polyfill';
import { buildOnnxFromCheckpoint } from '../engine/graph/index.js';
import { stateDictFromOnnx } from '../engine/graph/from-onnx.js';
import type { ModelSource } from '../engine/model.js';
import { readCheckpoint } from '../engine/checkpoint.js';
import { quantizeOnnxAsync } from '../engine/quantize.js';
import { BUILT_ONNX_PATH, ONNX_FILES, checkModelFolder, isCheckpointFile, modelFolderFiles, modelWeights, type OnnxVariant } from './model-files.js';
import { onnxVariantOf, precisionInUse } from './precision.js';
import type { ModelRecord, StoredFile } from './protocol.js';
import { hubFileUrl, hubRevisionApiUrl, makesInt8OnDevice, onDeviceInt8Source, registryEntry, type RegistryEntry } from './registry.js';
import { devicePinPlan, gitBlobId, hubRevisionPlan, pinFits, registryPlan, sha256Hex, type DevicePin, type DownloadPlan, type PlannedFile } from './first-install.js';
import { getSettings } from './settings.js';

const CACHE_NAME = 'lens-models-v1';
const RECORDS_KEY = 'installedModels';
// Cache keys only: never fetched (".invalid" cannot resolve).
const KEY_ORIGIN = 'https://models.lens.invalid';

export type { StoredFile };
export type InstalledModel = ModelRecord;

export type Progress = (done: number, total: number | undefined) => void;

export interface InstallOptions {
  signal?: AbortSignal;
  /** bytes downloaded */
  onProgress?: Progress;
  /** building the ONNX file from model.safetensors: tensors placed */
  onBuild?: Progress;
  /** the on-device int8 step: bytes of fp32 weights quantized */
  onOptimize?: Progress;
  /**
   * Whether a graph rebuilt from a downloaded ONNX file's weights computes what the file does (the host runs both;
   * the store imports no runtime). Without it, a downloaded ONNX file runs as it is.
   */
  checkRebuild?: (downloaded: Uint8Array, rebuilt: Uint8Array, config: unknown) => Promise<{ ok: boolean; detail: string }>;
}

/** The file the on-device int8 step writes. */
const ON_DEVICE_INT8_PATH = ONNX_FILES.quantized[0];

function cacheKey(id: string, path: string): string {
  return `${KEY_ORIGIN}/${encodeURIComponent(id)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export async function installedModels(): Promise<Record<string, InstalledModel>> {
  const stored = (await browser.storage.local.get(RECORDS_KEY))[RECORDS_KEY] as Record<string, InstalledModel> | undefined;
  const records = { ...(stored ?? {}) };
  for (const bundled of await bundledModels()) records[bundled.id] ??= bundled;
  return records;
}

async function writeRecord(record: InstalledModel): Promise<void> {
  const stored = ((await browser.storage.local.get(RECORDS_KEY))[RECORDS_KEY] as Record<string, InstalledModel> | undefined) ?? {};
  await browser.storage.local.set({ [RECORDS_KEY]: { ...stored, [record.id]: record } });
}

async function deleteRecord(id: string): Promise<void> {
  const stored = ((await browser.storage.local.get(RECORDS_KEY))[RECORDS_KEY] as Record<string, InstalledModel> | undefined) ?? {};
  delete stored[id];
  await browser.storage.local.set({ [RECORDS_KEY]: stored });
}

/** Bytes the stored (downloaded or imported) models take; bundled ones are part of the package. */
export async function storageBytes(): Promise<number> {
  const records = Object.values(await installedModels());
  return records.filter((r) => r.source !== 'bundled').reduce((sum, r) => sum + r.bytes, 0);
}

/** Removes a downloaded or imported model's files and record. Bundled models cannot be removed. */
export async function removeModel(id: string): Promise<boolean> {
  const record = (await installedModels())[id];
  if (record?.source === 'bundled') throw new Error('this model is part of the extension package and cannot be removed');
  await deleteFiles(id, record?.files.map((f) => f.path) ?? []);
  await deleteRecord(id);
  return record !== undefined;
}

async function deleteFiles(id: string, paths: readonly string[]): Promise<void> {
  const cache = await caches.open(CACHE_NAME);
  // also any file a partial download may have left that is not in the record
  const keys = await cache.keys();
  const prefix = cacheKey(id, '');
  await Promise.all(keys.filter((k) => k.url.startsWith(prefix) || paths.some((p) => k.url === cacheKey(id, p))).map((k) => cache.delete(k)));
}

/**
 * Removes the stored models this version's registry no longer lists (an update replaced a model, e.g. the
 * sentiment default): nothing can load them any more, and their files would still count in the storage used.
 * Returns their ids.
 */
export async function removeUnlisted(listed: readonly string[]): Promise<string[]> {
  const stored = ((await browser.storage.local.get(RECORDS_KEY))[RECORDS_KEY] as Record<string, InstalledModel> | undefined) ?? {};
  const gone = Object.keys(stored).filter((id) => !listed.includes(id));
  for (const id of gone) {
    await deleteFiles(id, stored[id].files.map((f) => f.path));
    await deleteRecord(id);
  }
  return gone;
}

/** An installed model's record and which of its ONNX files to run under the precision setting. */
export async function loadPlan(modelId: string): Promise<{ record: InstalledModel; variant: OnnxVariant }> {
  const entry = registryEntry(modelId);
  const record = (await installedModels())[modelId];
  if (!record) throw new Error(`the model "${entry.name}" is not installed; download it first`);
  const use = precisionInUse(record, (await getSettings()).precision, makesInt8OnDevice(entry));
  if (!use) throw new Error(`the installed model "${entry.name}" has no ONNX file; remove it and download it again`);
  return { record, variant: onnxVariantOf(use.precision) };
}

/**
 * Reads an installed model's files: from Cache Storage, or from the package for a bundled model. `known`: its
 * record when the caller has it (an offscreen document cannot read storage.local, only Cache Storage).
 */
export async function modelSource(entry: RegistryEntry, known?: InstalledModel): Promise<ModelSource> {
  const record = known ?? (await installedModels())[entry.id];
  if (!record) throw new Error(`the model "${entry.name}" is not installed; download it first`);
  const present = new Set(record.files.map((f) => f.path));
  const name = `${entry.name} (${entry.repo})`;
  if (record.source === 'bundled') {
    return {
      name,
      read: async (path) => {
        if (!present.has(path)) return undefined;
        const res = await fetch(browser.runtime.getURL(`models/${entry.id}/${path}`));
        if (!res.ok) throw new Error(`bundled file ${path} of ${entry.name} is missing from the package`);
        return new Uint8Array(await res.arrayBuffer());
      },
    };
  }
  const cache = await caches.open(CACHE_NAME);
  return {
    name,
    read: async (path) => {
      if (!present.has(path)) return undefined;
      const res = await cache.match(cacheKey(entry.id, path));
      if (!res) throw new Error(`the stored file ${path} of ${entry.name} is gone (browser storage was cleared?); remove the model and download it again`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

const PINS_KEY = 'devicePins';

/** The commits and hashes recorded on this device at first installs (kept when the model is removed: a re-download is held to them). */
export async function devicePins(): Promise<Map<string, DevicePin>> {
  const stored = (await browser.storage.local.get(PINS_KEY))[PINS_KEY] as Record<string, DevicePin> | undefined;
  return new Map(Object.entries(stored ?? {}));
}

async function writeDevicePin(id: string, pin: DevicePin): Promise<void> {
  const pins = await devicePins();
  pins.set(id, pin);
  await browser.storage.local.set({ [PINS_KEY]: Object.fromEntries(pins) });
}

/**
 * The hub's X-Linked-Etag (the LFS sha256 it sends with a file): a check against damage in transit for a small
 * file nothing else vouches for, not against the hub itself.
 */
function linkedEtag(res: Response): string | undefined {
  const etag = res.headers.get('x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '');
  return etag && /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined;
}

/** Who vouched for the hash a file failed, in words. */
function voucher(file: PlannedFile, plan: DownloadPlan, want: string): string {
  const commit = plan.revision.slice(0, 7);
  switch (file.by) {
    case 'registry':
      return `the registry pins ${want} for revision ${plan.revision}`;
    case 'device':
      return `this device pinned ${want} at its first install (commit ${commit})`;
    case 'hub-lfs':
      return `the hub's API gives ${want} for commit ${commit}`;
    case 'hub-git':
      return `the hub's API gives git blob ${want} for commit ${commit}`;
    default:
      return `the hub states ${want}`;
  }
}

/** Throws when the bytes are not what the plan (or, for a file it has no hash for, the hub's header) says. */
async function verify(entry: RegistryEntry, plan: DownloadPlan, file: PlannedFile, bytes: Uint8Array, res: Response): Promise<string> {
  const sha256 = await sha256Hex(bytes);
  let failed: { have: string; want: string } | undefined;
  if (file.sha256) failed = file.sha256 === sha256 ? undefined : { have: `its sha256 is ${sha256}`, want: file.sha256 };
  else if (file.gitBlob) {
    const blob = await gitBlobId(bytes);
    failed = blob === file.gitBlob ? undefined : { have: `its git blob id is ${blob}`, want: file.gitBlob };
  } else {
    const etag = linkedEtag(res);
    failed = etag && etag !== sha256 ? { have: `its sha256 is ${sha256}`, want: etag } : undefined;
  }
  if (failed) throw new Error(`${file.path} of ${entry.repo} failed verification: ${failed.have}, ${voucher(file, plan, failed.want)}. The file on the hub is not the one Lens expects; nothing was stored.`);
  return sha256;
}

/** Where a download's files come from and what they must hash to (src/shared/first-install.ts). */
async function downloadPlan(entry: RegistryEntry, hubBaseUrl: string, signal: AbortSignal | undefined): Promise<DownloadPlan> {
  if (entry.pin !== 'first-install') return registryPlan(entry);
  const pin = (await devicePins()).get(entry.id);
  if (pinFits(entry, pin)) return devicePinPlan(entry, pin);
  const url = hubRevisionApiUrl(hubBaseUrl, entry.repo, entry.branch ?? '');
  let res: Response;
  try {
    res = await fetch(url, { signal, cache: 'no-store', credentials: 'omit' });
  } catch (err) {
    if (signal?.aborted) throw new Error('download cancelled');
    throw new Error(`could not reach the model hub at ${new URL(url).origin} (${err instanceof Error ? err.message : String(err)}); check your connection or the hub URL in the options`);
  }
  if (!res.ok) throw new Error(`resolving ${entry.repo} at ${entry.branch} failed: HTTP ${res.status} ${res.statusText} from ${url}`);
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new Error(`the hub's answer for ${entry.repo} at ${entry.branch} is not JSON (${url})`);
  }
  return hubRevisionPlan(entry, json);
}

async function readBody(res: Response, onChunk: (bytes: number) => void): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    onChunk(value.length);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Downloads a registry model from the hub into Cache Storage, checking each file's size against Content-Length and
 * its hash against the download plan (the registry's pins; for a "first-install" entry, the hub's own hashes at the
 * commit its branch resolves to, then this device's record of them), each before it is stored. On any failure or
 * cancel the partial files are deleted and nothing is recorded; a first install records its pin with the model.
 */
export async function downloadModel(entry: RegistryEntry, hubBaseUrl: string, options: InstallOptions = {}): Promise<InstalledModel> {
  options.onProgress?.(0, undefined);
  const plan = await downloadPlan(entry, hubBaseUrl, options.signal);
  const cache = await caches.open(CACHE_NAME);
  const estimates = plan.files.map((f) => f.size ?? 0);
  const total = () => estimates.reduce((a, b) => a + b, 0);
  let done = 0;
  const stored: Array<StoredFile & { sha256: string }> = [];
  try {
    for (const [i, file] of plan.files.entries()) {
      const url = hubFileUrl(hubBaseUrl, entry.repo, plan.revision, file.path);
      let res: Response;
      try {
        res = await fetch(url, { signal: options.signal, cache: 'no-store', credentials: 'omit' });
      } catch (err) {
        if (options.signal?.aborted) throw new Error('download cancelled');
        throw new Error(`could not reach the model hub at ${new URL(url).origin} (${err instanceof Error ? err.message : String(err)}); check your connection or the hub URL in the options`);
      }
      if (res.status === 404 && file.optional) continue;
      if (!res.ok) throw new Error(`downloading ${file.path} of ${entry.repo} failed: HTTP ${res.status} ${res.statusText} from ${url}`);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared)) estimates[i] = declared;
      if (file.size !== undefined && !file.approx && Number.isFinite(declared) && declared !== file.size) {
        const expected = file.by === 'device' ? `this device recorded ${file.size} at its first install` : file.by === 'hub-lfs' || file.by === 'hub-git' ? `the hub's API gives ${file.size} for commit ${plan.revision.slice(0, 7)}` : `the registry expects ${file.size}`;
        throw new Error(`${file.path} of ${entry.repo} is ${declared} bytes on the hub, ${expected}: refusing it`);
      }
      let bytes: Uint8Array;
      try {
        bytes = await readBody(res, (n) => {
          done += n;
          options.onProgress?.(done, total());
        });
      } catch (err) {
        if (options.signal?.aborted) throw new Error('download cancelled');
        throw new Error(`the download of ${file.path} was interrupted (${err instanceof Error ? err.message : String(err)})`);
      }
      if (Number.isFinite(declared) && bytes.length !== declared) throw new Error(`${file.path} arrived incomplete (${bytes.length} of ${declared} bytes)`);
      const sha256 = await verify(entry, plan, file, bytes, res);
      await cache.put(cacheKey(entry.id, file.path), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
      stored.push({ path: file.path, size: bytes.length, sha256 });
    }
    const record = await completeInstall(entry, cache, { source: 'hub', files: stored, url: hubFileUrl(hubBaseUrl, entry.repo, plan.revision, ''), revision: plan.revision }, options);
    if (plan.firstInstall) {
      // installed from files verified against the hub's hashes at the resolved commit: this profile now holds the
      // model to them. Only once the install is complete: a failed or cancelled one leaves the branch unresolved.
      try {
        await writeDevicePin(entry.id, { repo: entry.repo, branch: plan.firstInstall.branch, commit: plan.revision, files: stored.map(({ path, sha256, size }) => ({ path, sha256, size })), pinnedAt: Date.now() });
      } catch (err) {
        await deleteRecord(entry.id);
        throw new Error(`${entry.name} was not installed: its pin could not be recorded (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    return record;
  } catch (err) {
    await deleteFiles(entry.id, stored.map((f) => f.path));
    throw err;
  }
}

/**
 * The last steps of a download or import, its files stored: builds the ONNX file when the model came as a
 * checkpoint, makes the int8 file where the registry asks for it (or the model was just built), then writes the
 * record. A failed build throws (without an ONNX file there is no model); a failed int8 step leaves the model
 * installed with its fp32 file and the reason in the record (logged too); a cancel throws. When this throws,
 * the caller deletes the files.
 */
async function completeInstall(entry: RegistryEntry, cache: Cache, stored: Pick<InstalledModel, 'source' | 'files' | 'url' | 'revision'>, options: InstallOptions): Promise<InstalledModel> {
  let files = [...stored.files];
  let built = modelWeights(files.map((f) => f.path))?.kind === 'checkpoint';
  const downloadedOnnx = ONNX_FILES.fp32.find((p) => files.some((f) => f.path === p));
  if (built) {
    files.push(await storeBuiltOnnx(entry, cache, options));
    // The checkpoint is not kept: onnx/model.onnx holds the same weights (fp32, exactly), so the fp32 precision
    // setting still runs them, and keeping both would double the storage of the model.
    const checkpoint = files.filter((f) => isCheckpointFile(f.path));
    await Promise.all(checkpoint.map((f) => cache.delete(cacheKey(entry.id, f.path))));
    files = files.filter((f) => !isCheckpointFile(f.path));
  } else if (downloadedOnnx && options.checkRebuild) {
    try {
      // the downloaded file is replaced (same weights, exactly, in the lean graph); the device pin keeps its hash
      const lean = await storeLeanRebuild(entry, cache, downloadedOnnx, options.checkRebuild, options);
      if (downloadedOnnx !== lean.path) await cache.delete(cacheKey(entry.id, downloadedOnnx));
      files = [...files.filter((f) => f.path !== downloadedOnnx && f.path !== lean.path), lean];
      built = true;
    } catch (err) {
      if (options.signal?.aborted) throw new Error('download cancelled');
      // not an install failure: the downloaded graph is a working model, only slower to start
      console.warn(`Lens: ${entry.name} runs the ONNX graph it was downloaded with: its lean graph was not made: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let int8Error: string | undefined;
  const fp32Path = onDeviceInt8Source(entry, files.map((f) => f.path), built);
  if (fp32Path) {
    try {
      files.push(await storeOnDeviceInt8(entry, cache, fp32Path, options));
    } catch (err) {
      if (options.signal?.aborted) throw new Error('download cancelled');
      int8Error = err instanceof Error ? err.message : String(err);
      console.warn(`Lens: ${entry.name} is installed with its fp32 weights only: making its int8 file on this device failed: ${int8Error}`);
    }
  }
  options.signal?.throwIfAborted();
  const record: InstalledModel = {
    id: entry.id,
    ...stored,
    files,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    installedAt: Date.now(),
    ...(int8Error === undefined ? {} : { int8Error }),
  };
  await writeRecord(record);
  return record;
}

/**
 * Builds the model's ONNX graph from its stored config.json and checkpoint (src/engine/graph; a pytorch_model.bin
 * is read as data by src/engine/pytorch.ts, never unpickled) and stores it as onnx/model.onnx. What goes wrong (a
 * malformed or truncated checkpoint, missing tensors, an architecture Lens does not know) is thrown with the
 * engine's words: the install is refused.
 */
async function storeBuiltOnnx(entry: RegistryEntry, cache: Cache, options: InstallOptions): Promise<StoredFile> {
  options.onBuild?.(0, undefined);
  const read = storedReader(entry, cache);
  const config = await storedConfig(entry, read);
  let bytes: Uint8Array;
  try {
    // no name: the engine's messages then name the file alone ("model.safetensors is truncated: …"), and this one the model
    const checkpoint = await readCheckpoint(read);
    if (!checkpoint) throw new Error('its checkpoint is missing from storage');
    ({ bytes } = await buildOnnxFromCheckpoint(config, checkpoint.tensors, { signal: options.signal, onProgress: (done, total) => options.onBuild?.(done, total) }));
  } catch (err) {
    if (options.signal?.aborted) throw new Error('download cancelled');
    throw new Error(`could not build ${entry.name} from its weights: ${err instanceof Error ? err.message : String(err)}`);
  }
  return storeBuilt(entry, cache, bytes, options);
}

async function storeBuilt(entry: RegistryEntry, cache: Cache, bytes: Uint8Array, options: InstallOptions): Promise<StoredFile> {
  options.signal?.throwIfAborted();
  await cache.put(cacheKey(entry.id, BUILT_ONNX_PATH), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
  return { path: BUILT_ONNX_PATH, size: bytes.length, sha256: await sha256Hex(bytes), derived: 'onnx' };
}

function storedReader(entry: RegistryEntry, cache: Cache): (path: string) => Promise<Uint8Array | undefined> {
  return async (path) => {
    const res = await cache.match(cacheKey(entry.id, path));
    return res ? new Uint8Array(await res.arrayBuffer()) : undefined;
  };
}

async function storedConfig(entry: RegistryEntry, read: (path: string) => Promise<Uint8Array | undefined>): Promise<unknown> {
  const configBytes = await read('config.json');
  if (!configBytes) throw new Error(`config.json of ${entry.name} is missing from storage`);
  try {
    return JSON.parse(new TextDecoder().decode(configBytes)) as unknown;
  } catch (err) {
    throw new Error(`config.json of ${entry.name} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * The lean graph of a downloaded fp32 ONNX file: its weights recovered by state_dict name (src/engine/graph/from-onnx.ts),
 * the graph built from them, kept only when `check` finds it computes what the file does. Throws why not.
 */
async function storeLeanRebuild(entry: RegistryEntry, cache: Cache, onnxPath: string, check: NonNullable<InstallOptions['checkRebuild']>, options: InstallOptions): Promise<StoredFile> {
  options.onBuild?.(0, undefined);
  const read = storedReader(entry, cache);
  const config = await storedConfig(entry, read);
  const downloaded = await read(onnxPath);
  if (!downloaded) throw new Error(`${onnxPath} is missing from storage`);
  const recovered = stateDictFromOnnx(downloaded, config);
  if (!recovered.ok) throw new Error(recovered.reason);
  const { bytes } = await buildOnnxFromCheckpoint(config, recovered.tensors, { signal: options.signal, onProgress: (done, total) => options.onBuild?.(done, total) });
  options.signal?.throwIfAborted();
  const agreed = await check(downloaded, bytes, config);
  if (!agreed.ok) throw new Error(`the rebuilt graph does not compute what ${onnxPath} does (${agreed.detail})`);
  return storeBuilt(entry, cache, bytes, options);
}

/** Quantizes the stored fp32 ONNX file to int8 (src/engine/quantize.ts) and stores it beside it. */
async function storeOnDeviceInt8(entry: RegistryEntry, cache: Cache, fp32Path: string, options: InstallOptions): Promise<StoredFile> {
  options.onOptimize?.(0, undefined);
  const res = await cache.match(cacheKey(entry.id, fp32Path));
  if (!res) throw new Error(`${fp32Path} is missing from storage`);
  const fp32 = new Uint8Array(await res.arrayBuffer());
  const { bytes } = await quantizeOnnxAsync(fp32, { signal: options.signal, onProgress: (p) => options.onOptimize?.(p.done, p.total) });
  await cache.put(cacheKey(entry.id, ON_DEVICE_INT8_PATH), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
  return { path: ON_DEVICE_INT8_PATH, size: bytes.length, sha256: await sha256Hex(bytes), derived: 'int8' };
}

/**
 * Stores the files of a model folder the user picked on disk (the options page does this; the background then
 * completes the install with completeImport). Only the files the engine reads are kept (modelFolderFiles): the
 * tokenizer files and the ONNX files, or, in a folder without ONNX, its checkpoint (the background builds the ONNX
 * file from it).
 * Checks the folder has what a model needs before storing anything; replaces an installed copy.
 */
export async function storeImportedFiles(entry: RegistryEntry, files: ReadonlyArray<{ path: string; bytes: Uint8Array }>, onProgress?: (done: number, total: number) => void): Promise<StoredFile[]> {
  const byPath = new Map(files.map((f) => [f.path.replace(/^\.?\//, ''), f.bytes]));
  checkModelFolder([...byPath.keys()]);
  try {
    JSON.parse(new TextDecoder().decode(byPath.get('config.json')));
  } catch {
    throw new Error('config.json in this folder is not valid JSON');
  }
  const keep = modelFolderFiles([...byPath.keys()]);
  const total = keep.reduce((sum, p) => sum + (byPath.get(p)?.length ?? 0), 0);
  await removeModel(entry.id).catch(() => undefined);
  const cache = await caches.open(CACHE_NAME);
  const stored: StoredFile[] = [];
  let done = 0;
  try {
    for (const path of keep) {
      const bytes = byPath.get(path) as Uint8Array;
      await cache.put(cacheKey(entry.id, path), new Response(bytes as Uint8Array<ArrayBuffer>));
      stored.push({ path, size: bytes.length, sha256: await sha256Hex(bytes) });
      done += bytes.length;
      onProgress?.(done, total);
    }
    return stored;
  } catch (err) {
    await deleteFiles(entry.id, keep);
    throw err;
  }
}

/** Completes the install of an imported folder's stored files (build, on-device int8, the record); deletes them if that fails. */
export async function completeImport(entry: RegistryEntry, stored: StoredFile[], options: InstallOptions = {}): Promise<InstalledModel> {
  const cache = await caches.open(CACHE_NAME);
  try {
    return await completeInstall(entry, cache, { source: 'import', files: stored }, options);
  } catch (err) {
    await deleteFiles(entry.id, stored.map((f) => f.path));
    throw err;
  }
}

let bundledCache: InstalledModel[] | undefined;

/** Models bundled into the package at build time (LENS_BUNDLE_MODEL), listed in models/bundled.json. */
export async function bundledModels(): Promise<InstalledModel[]> {
  if (bundledCache) return bundledCache;
  try {
    const res = await fetch(browser.runtime.getURL('models/bundled.json'));
    const json = (await res.json()) as { models?: Array<{ id: string; files: Array<{ path: string; size: number }> }> };
    bundledCache = (json.models ?? []).map((m) => ({
      id: m.id,
      source: 'bundled',
      files: m.files,
      bytes: m.files.reduce((s, f) => s + f.size, 0),
      installedAt: 0,
    }));
  } catch {
    bundledCache = [];
  }
  return bundledCache;
}
