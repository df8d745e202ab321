// The extension the end-to-end tests install models into. The release registry (models/registry.json) pins the
// sha256 of the real upstream files, and the extension refuses anything else; the fake hub (./models.ts) serves
// random-weight files with other hashes. So the tests that download from a fake hub run a build of the same
// sources made with LENS_REGISTRY: the release registry with each file's sha256 (and exact size) replaced by those
// of the files that hub serves. Entries with "pin": "first-install" are left as they are: they carry no hashes
// (the registry refuses one that does), the extension takes them from the fake hub's API at the first install. Built once per browser and hub under .tmp/e2e/build/, and rebuilt when the sources
// or the registry change. dist/ (the release build) is never touched: the tests that need the real pins use it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import { DEFAULT_HUB_DIR, hubFilePath, prepareHub } from './models.js';

export type BuildBrowser = 'chrome' | 'firefox';

const REGISTRY_PATH = join(ROOT, 'models', 'registry.json');
const BUILD_ROOT = join(ROOT, '.tmp', 'e2e', 'build');
/** What a build is made from: a change to any of these makes the next e2eBuild() build again. */
const SOURCES = ['src', 'extension', 'manifest.json', 'vite.config.ts', 'package.json', 'package-lock.json', 'tsconfig.json'];

interface RegistryFileJson {
  path: string;
  size?: number;
  approx?: boolean;
  sha256?: string;
}
interface RegistryJson {
  models: Array<{ repo: string; revision?: string; pin?: string; files: RegistryFileJson[] }>;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * The release registry's text with every file a hub tree serves pinned to that file: its sha256 and exact size
 * (files the tree lacks keep the release values: optional files the hub does not have, files a bench tree omits).
 * First-install entries are kept as the release has them.
 */
export async function pinnedRegistryText(hubDir: string): Promise<string> {
  const registry = JSON.parse(await readFile(REGISTRY_PATH, 'utf8')) as RegistryJson;
  for (const m of registry.models) {
    // first install: no pins of its own (the hub's API gives them), and no revision to find its files under
    const revision = m.revision;
    if (m.pin === 'first-install' || revision === undefined) continue;
    for (const f of m.files) {
      const path = hubFilePath(hubDir, { repo: m.repo, revision, path: f.path });
      if (!existsSync(path)) continue;
      const bytes = await readFile(path);
      f.sha256 = sha256(bytes);
      f.size = bytes.length;
      delete f.approx;
    }
  }
  return `${JSON.stringify(registry, null, 2)}\n`;
}

/** A fingerprint of the build's inputs (file paths and contents under SOURCES). */
function sourcesKey(): string {
  const hash = createHash('sha256');
  const add = (rel: string) => {
    const abs = join(ROOT, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) add(`${rel}/${name}`);
      return;
    }
    hash.update(`${rel}\n`).update(readFileSync(abs));
  };
  for (const s of SOURCES) add(s);
  return hash.digest('hex');
}

/** Runs `vite build` for a browser into outDir with the given registry file. */
export function viteBuild(browser: BuildBrowser, outDir: string, registryFile: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((ok, fail) => {
    let stderr = '';
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--mode', browser, '--logLevel', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, LENS_OUT_DIR: outDir, LENS_REGISTRY: registryFile, LENS_BUNDLE_MODEL: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`vite build --mode ${browser} (LENS_REGISTRY=${registryFile}) exited with ${code}:\n${stderr}`))));
  });
}

const building = new Map<string, Promise<string>>();

async function buildFor(browser: BuildBrowser, hubDir: string): Promise<string> {
  await prepareHub(hubDir);
  const name = `${browser}-${basename(hubDir)}`;
  const outDir = join(BUILD_ROOT, name);
  const registryFile = join(BUILD_ROOT, `${name}.registry.json`);
  const keyFile = join(BUILD_ROOT, `${name}.key`);
  const registryText = await pinnedRegistryText(hubDir);
  const key = sha256(`${sourcesKey()}\n${registryText}`);
  if (existsSync(join(outDir, 'manifest.json')) && existsSync(keyFile) && (await readFile(keyFile, 'utf8')) === key) return outDir;

  await mkdir(BUILD_ROOT, { recursive: true });
  await writeFile(registryFile, registryText);
  // built beside the target and renamed, so an interrupted build never looks complete
  const staging = `${outDir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await viteBuild(browser, staging, registryFile);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(dirname(outDir), { recursive: true });
  await rename(staging, outDir);
  await writeFile(keyFile, key);
  return outDir;
}

/**
 * The extension build whose registry pins the files of this fake hub (default: the tiny-model hub), built if
 * needed; pass it as launchChromium/launchFirefox's extensionDir in tests that download from that hub.
 */
export function e2eBuild(browser: BuildBrowser, hubDir: string = DEFAULT_HUB_DIR): Promise<string> {
  const id = `${browser}\n${hubDir}`;
  let p = building.get(id);
  if (!p) {
    p = buildFor(browser, hubDir);
    building.set(id, p);
    p.catch(() => building.delete(id));
  }
  return p;
}
