// The bench's WebGPU section (Node driver): starts Chromium with the GPU allowed and WebGPU switched on, asks the
// bench page (bench.html, in the bench build) for an adapter, and measures per-window latency on onnxruntime-web's
// WebGPU provider only when the adapter is a hardware one (see bench/webgpu.ts). Called by driver.ts after its
// engine runs (same build, same fake hub); run alone: node --import tsx bench/browser/webgpu.ts (after one
// `npm run bench` or BENCH_ONLY=browser built .tmp/bench/ext and .tmp/bench/hub).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedRegistryText, viteBuild } from '../../tests/e2e/harness/build.js';
import { launchChromium } from '../../tests/e2e/harness/chromium.js';
import { prepareHub } from '../../tests/e2e/harness/models.js';
import { startTestServer } from '../../tests/e2e/harness/server.js';
import type { WebGpuAdapterFacts, WebGpuBench } from '../webgpu.js';
import type { BenchPageGlobals, EngineBenchOptions } from './types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** WebGPU on Linux Chromium is behind --enable-unsafe-webgpu and wants Vulkan; the GPU blocklist would hide many GPUs */
export const WEBGPU_SWITCHES = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

export interface WebGpuBenchOptions {
  /** the bench build (LENS_BENCH=1), with bench/browser/bench.html */
  extensionDir: string;
  /** the QA model folder URL on a running fake hub (ends with /) */
  modelUrl: string;
  trials: number;
  warmupMs: number;
  seqLens: number[];
  /** measure on a software adapter too (harness check; figures marked as such) */
  software?: boolean;
  log?: (line: string) => void;
}

export async function benchWebGpu(o: WebGpuBenchOptions): Promise<WebGpuBench> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const lens = await launchChromium({ extensionDir: o.extensionDir, gpu: true, args: WEBGPU_SWITCHES });
  try {
    const page = await lens.openExtensionPage('bench/browser/bench.html');
    await page.waitForFunction(() => typeof (globalThis as BenchPageGlobals).__benchRun === 'function');
    const adapter = await page.evaluate(async (): Promise<WebGpuAdapterFacts | null> => {
      // (typed by hand: the driver is also checked with Node's types, without the DOM)
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<{ info?: Partial<WebGpuAdapterFacts>; isFallbackAdapter?: boolean } | null> } } }).navigator.gpu;
      const a = gpu ? await gpu.requestAdapter() : null;
      if (!a) return null;
      const info = a.info ?? {};
      return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', isFallbackAdapter: info.isFallbackAdapter ?? a.isFallbackAdapter ?? false };
    });
    if (!adapter) return { adapter, switches: WEBGPU_SWITCHES, note: 'no WebGPU adapter on this machine' };
    if (adapter.isFallbackAdapter && !o.software) return { adapter, switches: WEBGPU_SWITCHES, note: 'no hardware WebGPU adapter on this machine' };
    log(`WebGPU adapter: ${JSON.stringify(adapter)}; per-window latency...`);
    const opts: EngineBenchOptions = { modelUrl: o.modelUrl, trials: o.trials, warmupMs: o.warmupMs, threads: 1, seqLens: o.seqLens, variant: 'fp32', executionProvider: 'webgpu' };
    const r = await page.evaluate((x) => (globalThis as BenchPageGlobals).__benchRun!(x), opts);
    for (const [k, s] of Object.entries(r.perWindowMs)) log(`  WebGPU ${k}: median ${s.median.toFixed(1)} ms`);
    return { adapter, switches: WEBGPU_SWITCHES, run: { software: adapter.isFallbackAdapter, loadMs: r.loadMs.first, perWindow: r.perWindowMs, runtime: r.runtime } };
  } finally {
    await lens.close();
  }
}

// Run alone: on the last bench build and hub (full-size model) when there is one, else on a bench build of its own
// with the end-to-end tests' tiny-model hub (enough to check the harness). BENCH_WEBGPU_SOFTWARE=1 measures on
// SwiftShader too.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let extensionDir = join(ROOT, '.tmp', 'bench', 'ext');
  let hubDir = join(ROOT, '.tmp', 'bench', 'hub');
  if (!existsSync(join(extensionDir, 'bench', 'browser', 'bench.html')) || !existsSync(hubDir)) {
    hubDir = await prepareHub();
    extensionDir = join(ROOT, '.tmp', 'bench', 'webgpu-ext');
    const registryFile = `${extensionDir}.registry.json`;
    const registryText = await pinnedRegistryText(hubDir);
    // built again only when the pins changed (delete the folder after changing sources)
    if (!existsSync(join(extensionDir, 'bench', 'browser', 'bench.html')) || !existsSync(registryFile) || readFileSync(registryFile, 'utf8') !== registryText) {
      mkdirSync(dirname(registryFile), { recursive: true });
      writeFileSync(registryFile, registryText);
      process.stderr.write(`no full bench build: building ${extensionDir} (LENS_BENCH=1) with the tiny-model hub ${hubDir}\n`);
      await viteBuild('chrome', extensionDir, registryFile, { LENS_BENCH: '1' });
    }
  }
  const server = await startTestServer({ hubDir });
  try {
    const entry = (JSON.parse(readFileSync(join(ROOT, 'models', 'registry.json'), 'utf8')) as { models: Array<{ id: string; repo: string; revision: string }> }).models.find((m) => m.id === 'mobilebert-squad2');
    if (!entry) throw new Error('no mobilebert-squad2 in the registry');
    const quick = process.env.BENCH_QUICK === '1';
    const result = await benchWebGpu({
      extensionDir,
      modelUrl: `${server.hubUrl}/${entry.repo}/resolve/${entry.revision}/`,
      trials: quick ? 2 : 10,
      warmupMs: quick ? 1000 : 10_000,
      seqLens: quick ? [128] : [128, 256, 384],
      software: process.env.BENCH_WEBGPU_SOFTWARE === '1',
    });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server.close();
  }
}
