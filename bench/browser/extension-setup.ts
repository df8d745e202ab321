// What every browser bench builds on (Node): the extension built for the bench (vite, LENS_OUT_DIR, a registry pinned
// to the bench's hub), the fake hub tree serving a model folder as the registry's QA repo, and messages to the
// background from an extension page, timed there. driver.ts, page-qa-sample.ts, real-pages.ts, pdf.ts and
// firefox.ts import it; it imports none of them (no import circles).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { tokenizerJson } from '../../src/modelgen/model-folder.js';
import { REFS_FILE, hubRevision } from '../../tests/e2e/harness/models.js';
import type { AskSample } from './types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const QA_MODEL_ID = 'mobilebert-squad2';
export const QA_REPO = 'csarron/mobilebert-uncased-squad-v2';
/**
 * The sentiment model, published as pytorch_model.bin only and pinned on the device at its first install: its
 * install resolves its branch through the hub's API, then builds the graph in the service worker.
 */
export const CHECKPOINT_MODEL_ID = 'mobilebert-sst2-alireza1044';

export interface RegistryModelJson {
  id: string;
  repo: string;
  revision?: string;
  pin?: 'first-install';
  branch?: string;
  files: Array<{ path: string }>;
}

/** A registry model as models/registry.json has it. */
export function registryModel(id: string): RegistryModelJson {
  const registry = JSON.parse(readFileSync(join(ROOT, 'models', 'registry.json'), 'utf8')) as { models: RegistryModelJson[] };
  const entry = registry.models.find((m) => m.id === id);
  if (!entry) throw new Error(`benchBrowser: no registry entry ${id}`);
  return entry;
}
/** The commit the hub tree serves the QA model at: the one the registry pins. */
export const QA_REVISION = hubRevision(registryModel(QA_MODEL_ID));

/** registryFile: LENS_REGISTRY, the registry pinned to the bench's hub tree (its random-weight files are not the real ones) */
export function viteBuild(outDir: string, bench: boolean, log: (s: string) => void, registryFile?: string): Promise<void> {
  log(`building the extension${bench ? ' with the bench pages' : ''} into ${outDir}...`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--mode', 'chrome', '--logLevel', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, LENS_OUT_DIR: outDir, LENS_BENCH: bench ? '1' : '', LENS_BUNDLE_MODEL: '', LENS_REGISTRY: registryFile ?? '' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`vite build exited with ${code}`))));
  });
}

/**
 * A hub tree serving modelDir as the registry's QA repo (…/resolve/<pinned revision>/): model.onnx at its root (as the
 * registry lists it) and onnx/model.onnx (as transformers.js looks for it), symlinks to the folder's files,
 * plus a generated tokenizer.json for transformers.js. checkpointRepoDir: the sentiment model's files as a fake hub
 * serves them (checkpointRepo()), linked in at the same commit, with its branch in the repo's refs.json for the
 * hub's API.
 */
export function makeHubTree(modelDir: string, hubDir: string, int8Dir?: string, checkpointRepoDir?: string): string {
  const base = join(hubDir, QA_REPO, 'resolve', QA_REVISION);
  rmSync(hubDir, { recursive: true, force: true });
  if (checkpointRepoDir) {
    // the sentiment model as the hub publishes it: config.json, tokenizer files, pytorch_model.bin (no ONNX)
    const entry = registryModel(CHECKPOINT_MODEL_ID);
    const commit = hubRevision(entry);
    const ckpt = join(hubDir, entry.repo, 'resolve', commit);
    mkdirSync(ckpt, { recursive: true });
    for (const f of entry.files) if (existsSync(join(checkpointRepoDir, f.path))) symlinkSync(resolve(join(checkpointRepoDir, f.path)), join(ckpt, f.path));
    if (entry.pin === 'first-install') writeFileSync(join(hubDir, entry.repo, REFS_FILE), `${JSON.stringify({ [entry.branch ?? 'main']: commit })}\n`);
  }
  mkdirSync(join(base, 'onnx'), { recursive: true });
  const onnx = ['onnx/model.onnx', 'model.onnx'].map((p) => join(modelDir, p)).find((p) => existsSync(p));
  if (!onnx) throw new Error(`benchBrowser: no onnx/model.onnx or model.onnx in ${modelDir}`);
  const link = (from: string, to: string) => symlinkSync(resolve(from), join(base, to));
  for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (existsSync(join(modelDir, f))) link(join(modelDir, f), f);
  }
  link(onnx, 'model.onnx');
  link(onnx, 'onnx/model.onnx');
  // not in the registry's file list (the extension quantizes on the device); for the int8 engine and transformers.js runs
  const int8 = int8Dir && join(int8Dir, 'onnx', 'model_quantized.onnx');
  if (int8 && existsSync(int8)) link(int8, 'onnx/model_quantized.onnx');
  if (existsSync(join(modelDir, 'tokenizer.json'))) link(join(modelDir, 'tokenizer.json'), 'tokenizer.json');
  else writeFileSync(join(base, 'tokenizer.json'), JSON.stringify(tokenizerJson(readFileSync(join(modelDir, 'vocab.txt'), 'utf8').replace(/\n$/, '').split('\n'))));
  return base;
}

// The slice of the extension API the callbacks use inside extension pages (no chrome types here).
interface ChromeRuntime {
  chrome: { runtime: { sendMessage(msg: unknown): Promise<unknown> } };
}
type Envelope<T> = { ok: true; value: T } | { ok: false; error: string };

/** Asks in turn for `warmupMs` (at least once, not counted), then every item `trials` times: the warm samples. */
export async function warmAsks<I, S extends AskSample>(items: readonly I[], ask: (item: I) => Promise<S>, options: { warmupMs: number; trials: number }, log: (line: string) => void): Promise<{ warmup: { ms: number; asks: number }; samples: S[] }> {
  const t = performance.now();
  let asks = 0;
  do {
    await ask(items[asks % items.length]);
    asks++;
  } while (performance.now() - t < options.warmupMs);
  const warmup = { ms: performance.now() - t, asks };
  log(`warmed up with ${asks} asks`);
  const samples: S[] = [];
  for (let trial = 0; trial < options.trials; trial++) {
    for (const item of items) {
      const sample = await ask(item);
      samples.push(sample);
      log(`warm ask: ${sample.ms.toFixed(0)} ms (${sample.windowsRead} windows, ${sample.pageTokensRead}/${sample.pageTokens} page tokens)`);
    }
  }
  return { warmup, samples };
}

export async function send<T>(page: Page, msg: unknown): Promise<{ ms: number; value: T }> {
  const { ms, reply } = await page.evaluate(async (m) => {
    const t = performance.now();
    const r = (await (globalThis as unknown as ChromeRuntime).chrome.runtime.sendMessage(m)) as unknown;
    return { ms: performance.now() - t, reply: r };
  }, msg);
  const env = reply as Envelope<T> | undefined;
  if (!env || typeof env !== 'object' || !('ok' in env)) throw new Error(`no reply to ${JSON.stringify(msg).slice(0, 80)}`);
  if (!env.ok) throw new Error(`${(msg as { type: string }).type}: ${env.error}`);
  return { ms, value: env.value };
}
