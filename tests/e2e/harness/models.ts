// A fake Hugging Face hub on disk: every file every registry model lists, as tiny random-weight models of the
// entry's modelType (MobileBERT, or BERT), in the hub's URL layout {repo}/resolve/{revision}/{path}, so the
// extension's real download path can be tested offline: ONNX files, and checkpoints (random tensors under the
// transformers names for the entry's config.json) for entries published without ONNX: model.safetensors, and
// pytorch_model.bin as transformers < 4.31 saved it (torch's zip format, with the int64 position_ids buffer).
// An entry pinned by Lens is served at its registry revision; a "pin": "first-install" entry at a fake 40-hex
// commit of its branch (hubCommit), recorded in {repo}/refs.json ({ branch: commit }) for the hub API that
// ./server.ts serves (/api/models/{repo}/revision/{ref}).
// Generated once under .tmp/e2e/hub and reused while the registry and this generator are unchanged.
// FULL_SIZE_QA_HUB_DIR: the same, but the MobileBERT models the extension works on after the download (the fp32
// QA model it quantizes, the checkpoints it builds and quantizes) are full-size (24.6 M parameters, 99 MB fp32),
// for work whose duration matters (the build and int8 steps).
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import { uncasedVocabText } from '../../helpers/vocab.js';
import { BERT_ARCHS, bertConfigJson } from '../../../src/modelgen/bert-config.js';
import { ARCHS, hfConfigJson, type ModelTask } from '../../../src/modelgen/mobilebert-config.js';
import { randomCheckpoint, randomModel, randomPytorchCheckpoint } from '../../../src/modelgen/random-model.js';
import { quantizeOnnx } from '../../../src/engine/quantize.js';
import { modelWeights } from '../../../src/shared/model-files.js';
import { specialTokensMapJson, tokenizerConfigJson, tokenizerJson } from '../../../src/modelgen/model-folder.js';

export const DEFAULT_HUB_DIR = join(ROOT, '.tmp', 'e2e', 'hub');
export const FULL_SIZE_QA_HUB_DIR = join(ROOT, '.tmp', 'e2e', 'hub-full-size-qa');
const REGISTRY_PATH = join(ROOT, 'models', 'registry.json');
/** Bump when the generated files change in a way the registry text does not show. */
const GENERATOR_VERSION = 6;
const MANIFEST = '.hub-manifest.json';
/** Per repository, beside its resolve/ folder: { [branch]: commit }, the branches the hub API resolves. */
export const REFS_FILE = 'refs.json';
const DEFAULT_LABELS: Record<string, string[]> = {
  'zero-shot': ['contradiction', 'neutral', 'entailment'],
  classify: ['negative', 'positive'],
};

export interface HubFile {
  repo: string;
  revision: string;
  /** path inside the repo, as the registry lists it */
  path: string;
  bytes: number;
  /** lowercase hex; the value the server sends as X-Linked-Etag for .onnx files */
  sha256: string;
}

interface RegistryModel {
  id: string;
  task: string;
  repo: string;
  /** absent for "pin": "first-install" entries */
  revision?: string;
  pin?: 'first-install';
  branch?: string;
  labels?: string[];
  /** config.json's model_type (default mobilebert) */
  modelType?: 'mobilebert' | 'bert';
  int8?: string;
  files: Array<{ path: string }>;
}

interface Manifest {
  key: string;
  files: HubFile[];
}

/**
 * The fake hub's commit for a "first-install" entry's branch: a made-up, deterministic 40-hex hash (as a real
 * commit it names one state of the repository; it changes with the generator, whose files it holds).
 */
export function hubCommit(repo: string, branch: string): string {
  return createHash('sha1').update(`lens e2e hub\n${repo}\n${branch}\n${GENERATOR_VERSION}`).digest('hex');
}

/** The commit the fake hub serves an entry's files at: its registry revision, or, first-install, hubCommit of its branch. */
export function hubRevision(entry: { repo: string; revision?: string; pin?: string; branch?: string }): string {
  if (entry.pin === 'first-install') return hubCommit(entry.repo, entry.branch ?? 'main');
  if (!entry.revision) throw new Error(`e2e hub: ${entry.repo} has neither a revision nor "pin": "first-install"`);
  return entry.revision;
}

/** The on-disk location of a hub file (also its URL path under the hub base). */
export function hubFilePath(dir: string, f: Pick<HubFile, 'repo' | 'revision' | 'path'>): string {
  return join(dir, f.repo, 'resolve', f.revision, f.path);
}

function modelTask(m: RegistryModel): ModelTask {
  if (m.task === 'qa') return { kind: 'qa' };
  const labels = m.labels ?? DEFAULT_LABELS[m.task];
  if (!labels) throw new Error(`e2e hub: no labels for task "${m.task}" of ${m.id}`);
  return { kind: 'classify', labels };
}

const jsonBytes = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** The MobileBERT entries the extension processes after the download: fp32 ONNX it quantizes, checkpoints it builds. */
function worksOnDevice(m: RegistryModel): boolean {
  return m.int8 === 'on-device' || modelWeights(m.files.map((f) => f.path))?.kind === 'checkpoint';
}

/** config.json of a registry model as the fake hub has it: tiny (or, fullSize, google/mobilebert-uncased) widths. */
function hubConfigJson(m: RegistryModel, fullSize: boolean): Record<string, unknown> {
  const task = modelTask(m);
  if (m.modelType === 'bert') return bertConfigJson(BERT_ARCHS['bert-tiny'], task);
  return hfConfigJson(fullSize && worksOnDevice(m) ? ARCHS.mobilebert : ARCHS.tiny, task);
}

async function fileBytes(m: RegistryModel, index: number, path: string, vocabText: string, fullSize: boolean): Promise<Buffer> {
  const config = hubConfigJson(m, fullSize);
  const seed = 1000 + index;
  const name = path.split('/').pop();
  if (path.endsWith('.onnx')) {
    // an ONNX file on the hub is an export: the graph shaped as PyTorch's exporter writes it (the extension rebuilds it lean)
    const fp32 = randomModel(config, seed, { lean: false }).bytes;
    // the hub's int8 variant, made the way `lens model quantize` makes it
    return Buffer.from(/_quantized\.onnx$/.test(path) ? quantizeOnnx(fp32).bytes : fp32);
  }
  switch (name) {
    case 'model.safetensors': return Buffer.from(randomCheckpoint(config, seed));
    case 'pytorch_model.bin': return Buffer.from(randomPytorchCheckpoint(config, seed));
    case 'config.json': return jsonBytes(config);
    case 'vocab.txt': return Buffer.from(vocabText);
    case 'tokenizer.json': return jsonBytes(tokenizerJson(vocabText.replace(/\n$/, '').split('\n')));
    case 'tokenizer_config.json': return jsonBytes(tokenizerConfigJson({ maxPositionEmbeddings: config.max_position_embeddings as number }, m.modelType === 'bert' ? 'BertTokenizer' : 'MobileBertTokenizer'));
    case 'special_tokens_map.json': return jsonBytes(specialTokensMapJson());
    default: throw new Error(`e2e hub: no generator for ${path} of ${m.id}; teach tests/e2e/harness/models.ts about it`);
  }
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function isComplete(dir: string, manifest: Manifest | undefined, key: string): manifest is Manifest {
  if (!manifest || manifest.key !== key) return false;
  return manifest.files.every((f) => {
    const p = hubFilePath(dir, f);
    return existsSync(p) && statSync(p).size === f.bytes;
  });
}

const prepared = new Map<string, Promise<Manifest>>();

async function build(dir: string): Promise<Manifest> {
  const registryText = await readFile(REGISTRY_PATH, 'utf8');
  const fullSize = dir === FULL_SIZE_QA_HUB_DIR;
  const key = createHash('sha256').update(`${GENERATOR_VERSION}\n${fullSize}\n${registryText}`).digest('hex');
  const existing = await readManifest(dir);
  if (isComplete(dir, existing, key)) return existing;

  // Build beside the target and rename, so an interrupted run never leaves a half tree that looks complete.
  const staging = `${dir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const models = (JSON.parse(registryText) as { models: RegistryModel[] }).models;
  const vocabText = await uncasedVocabText();
  const files: HubFile[] = [];
  const refs = new Map<string, Record<string, string>>();
  for (const [index, m] of models.entries()) {
    const revision = hubRevision(m);
    if (m.pin === 'first-install') refs.set(m.repo, { ...refs.get(m.repo), [m.branch ?? 'main']: revision });
    for (const { path } of m.files) {
      const bytes = await fileBytes(m, index, path, vocabText, fullSize);
      const target = hubFilePath(staging, { repo: m.repo, revision, path });
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes);
      files.push({ repo: m.repo, revision, path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
  }
  for (const [repo, branches] of refs) await writeFile(join(staging, repo, REFS_FILE), `${JSON.stringify(branches, null, 2)}\n`);
  const manifest: Manifest = { key, files };
  await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  await rename(staging, dir);
  return manifest;
}

/** Generates the fake hub tree once (reused when present and complete); returns its directory. */
export async function prepareHub(dir: string = DEFAULT_HUB_DIR): Promise<string> {
  let p = prepared.get(dir);
  if (!p) {
    p = build(dir);
    prepared.set(dir, p);
    p.catch(() => prepared.delete(dir));
  }
  await p;
  return dir;
}

/** Every file of the fake hub with its size and sha256 (prepares the hub if needed). */
export async function hubFiles(dir: string = DEFAULT_HUB_DIR): Promise<HubFile[]> {
  await prepareHub(dir);
  const manifest = await readManifest(dir);
  if (!manifest) throw new Error(`e2e hub: ${join(dir, MANIFEST)} vanished`);
  return manifest.files;
}
