// WebGPU in the offscreen document: probes navigator.gpu once, and for each model decides (src/shared/backend.ts)
// whether it runs on onnxruntime-web's WebGPU execution provider (the model's fp32 file) or on WebAssembly. The
// WebGPU build of onnxruntime-web (its own .wasm, which has the WebGPU provider) is imported only when a model
// is to run on WebGPU: a device without an adapter never loads it. If creating the WebGPU session fails, the model
// is loaded on WebAssembly and the reason is kept for the options page (and that model is not tried again on
// WebGPU until the setting changes or the document is recreated).
import { LensModel, type LoadStep, type ModelSource, type OnnxVariant } from '../engine/model.js';
import { errorMessage, type OrtModule } from '../engine/runtime.js';
import { chooseBackend, webGpuFailed, type AdapterProbe, type BackendChoice, type BackendSetting } from '../shared/backend.js';
import { precisionInUse } from '../shared/precision.js';
import type { OffscreenModelRef } from '../shared/protocol.js';

// The slice of WebGPU's API used here (the extension's tsconfig has no @webgpu/types).
interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapter {
  info?: GpuAdapterInfo;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options?: object): Promise<GpuAdapter | null>;
}

let probing: Promise<AdapterProbe> | undefined;

/** Whether navigator.gpu gives an adapter here, and which (asked once per document). */
export function probeWebGpu(): Promise<AdapterProbe> {
  probing ??= (async (): Promise<AdapterProbe> => {
    const scope = globalThis as unknown as { navigator?: { gpu?: Gpu }; WebAssembly?: { Suspending?: unknown } };
    const gpu = scope.navigator?.gpu;
    if (!gpu) return { missing: 'this browser has no WebGPU (navigator.gpu)' };
    // the WebGPU build bundled is onnxruntime-web's JSPI one (10 MB smaller than its Asyncify one): Chrome 137+
    if (typeof scope.WebAssembly?.Suspending !== 'function') return { missing: "this browser lacks WebAssembly JSPI (Chrome 137+), which Lens's WebGPU build needs" };
    try {
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { missing: 'no WebGPU adapter' };
      const info = adapter.info ?? {};
      return {
        adapter: {
          vendor: info.vendor ?? '',
          architecture: info.architecture ?? '',
          description: info.description ?? '',
          // GPUAdapterInfo.isFallbackAdapter (Chrome 136+), else the older GPUAdapter.isFallbackAdapter
          isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
        },
      };
    } catch (err) {
      return { missing: `no WebGPU adapter (${errorMessage(err)})` };
    }
  })();
  return probing;
}

let webGpuOrt: Promise<OrtModule> | undefined;

/**
 * onnxruntime-web's WebGPU build, a chunk of its own that only this import loads. Its JSPI variant (one 16.8 MB
 * .wasm; the Asyncify one, 'onnxruntime-web/webgpu', is 26.8 MB and ran the e2e test 3x slower on SwiftShader).
 */
function loadWebGpuOrt(): Promise<OrtModule> {
  webGpuOrt ??= import('onnxruntime-web/jspi').then((m) => m as unknown as OrtModule);
  webGpuOrt.catch(() => (webGpuOrt = undefined));
  return webGpuOrt;
}

/** What EngineHost loads (its ModelToLoad; not imported: that module needs the extension APIs, this one runs in Node tests too). */
export interface LoadPlan {
  source: ModelSource;
  variant: OnnxVariant;
  backend: string;
  load: (onStep?: (step: LoadStep) => void) => Promise<{ model: LensModel; variant: OnnxVariant; backend: string }>;
}

/** Where each model runs and why, with the setting it was decided under. */
export class Backends {
  private readonly chosen = new Map<string, BackendChoice & { setting: BackendSetting }>();
  /** models whose WebGPU session failed, with the setting then and the WebAssembly fallback's reason */
  private readonly failed = new Map<string, { setting: BackendSetting; choice: BackendChoice }>();

  /** probe, loadOrt: this document's by default (tests pass others) */
  constructor(
    private readonly numThreads: number,
    private readonly deps: { probe?: () => Promise<AdapterProbe>; loadOrt?: () => Promise<OrtModule> } = {},
  ) {}

  /** What EngineHost loads for a model under the request's backend setting. */
  async plan(ref: OffscreenModelRef, source: ModelSource): Promise<LoadPlan> {
    const setting = ref.backend ?? 'auto';
    const probe: AdapterProbe = setting === 'wasm' ? {} : await (this.deps.probe ?? probeWebGpu)();
    const hasFp32 = precisionInUse(ref.record, 'fp32')?.precision === 'fp32';
    const failed = this.failed.get(ref.modelId);
    let choice = chooseBackend(setting, probe, hasFp32);
    if (choice.backend === 'webgpu' && failed?.setting === setting) choice = failed.choice;
    else if (failed && failed.setting !== setting) this.failed.delete(ref.modelId);
    const wasm = async (onStep?: (step: LoadStep) => void) => ({ model: await LensModel.load(source, { numThreads: this.numThreads, variant: ref.variant, onStep }), variant: ref.variant, backend: 'wasm' });
    if (choice.backend === 'wasm') {
      this.chosen.set(ref.modelId, { ...choice, setting });
      return { source, variant: ref.variant, backend: 'wasm', load: wasm };
    }
    return {
      source,
      variant: 'fp32',
      backend: 'webgpu',
      load: async (onStep) => {
        try {
          const ort = await (this.deps.loadOrt ?? loadWebGpuOrt)();
          // one WebAssembly thread: the GPU does the work; more threads would only start Workers for nothing
          const model = await LensModel.load(source, { numThreads: 1, variant: 'fp32', executionProvider: 'webgpu', ort, onStep });
          this.chosen.set(ref.modelId, { ...choice, setting });
          return { model, variant: 'fp32' as const, backend: 'webgpu' };
        } catch (err) {
          const fallback = webGpuFailed(probe, errorMessage(err));
          console.warn(`Lens: ${fallback.text}`);
          this.failed.set(ref.modelId, { setting, choice: fallback });
          this.chosen.set(ref.modelId, { ...fallback, setting });
          return wasm(onStep);
        }
      },
    };
  }

  /** Where the loaded models run (by model id); `loaded`: the ids EngineHost holds. */
  status(loaded: readonly string[]): Record<string, BackendChoice & { setting: BackendSetting }> {
    return Object.fromEntries([...this.chosen].filter(([id]) => loaded.includes(id)));
  }
}
