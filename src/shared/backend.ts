// Where models run in Chrome's offscreen document: onnxruntime-web's WebGPU execution provider when the browser
// gives a WebGPU adapter, WebAssembly otherwise, and the words the options page shows for the choice. No browser
// API here: the offscreen document probes the adapter and passes the facts in, and Node tests check the choice.
//
// WebGPU runs a model's fp32 file (int8 MatMulInteger is a WebAssembly-only path in onnxruntime-web), so the
// precision setting applies to WebAssembly. 'auto' takes a hardware adapter only: a software one (SwiftShader,
// isFallbackAdapter) computes on the CPU and is far slower than WebAssembly; forcing WebGPU accepts it (tests).

/** The setting: 'auto' (WebGPU where a hardware adapter exists), or either one forced. */
export type BackendSetting = 'auto' | 'webgpu' | 'wasm';
export type Backend = 'webgpu' | 'wasm';

export const BACKEND_SETTINGS: readonly BackendSetting[] = ['auto', 'webgpu', 'wasm'];
export const DEFAULT_BACKEND: BackendSetting = 'auto';

export function checkBackendSetting(value: unknown): BackendSetting {
  if (BACKEND_SETTINGS.includes(value as BackendSetting)) return value as BackendSetting;
  throw new Error(`backend must be ${BACKEND_SETTINGS.map((b) => `"${b}"`).join(', ')} (got ${JSON.stringify(value)})`);
}

/** What navigator.gpu.requestAdapter() gave (GPUAdapterInfo's fields), or why there is none. */
export interface AdapterProbe {
  adapter?: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
  /** why there is no adapter, in words: "no WebGPU adapter", "navigator.gpu is not available here" */
  missing?: string;
}

/** Where one model runs, and why, in the words the options page shows after "Running on: ". */
export interface BackendChoice {
  backend: Backend;
  /** e.g. "WebGPU (adapter: nvidia ampere)", "WebAssembly: no WebGPU adapter", "WebAssembly: forced in settings" */
  text: string;
}

/** "nvidia ampere", "google swiftshader (software)": the adapter in a few words. */
export function adapterName(adapter: NonNullable<AdapterProbe['adapter']>): string {
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || adapter.description || 'unnamed';
  return adapter.isFallbackAdapter ? `${name} (software)` : name;
}

/**
 * The backend for a setting and an adapter probe. `hasFp32`: the model has an fp32 ONNX file (WebGPU runs that;
 * a model published only as int8 stays on WebAssembly). Undefined: not known yet (no model named).
 */
export function chooseBackend(setting: BackendSetting, probe: AdapterProbe, hasFp32?: boolean): BackendChoice {
  if (setting === 'wasm') return { backend: 'wasm', text: 'WebAssembly: forced in settings' };
  const forced = setting === 'webgpu';
  const adapter = probe.adapter;
  if (!adapter) {
    const why = probe.missing ?? 'no WebGPU adapter';
    return { backend: 'wasm', text: forced ? `WebAssembly: WebGPU is forced in settings but not available (${why})` : `WebAssembly: ${why}` };
  }
  if (adapter.isFallbackAdapter && !forced) {
    return { backend: 'wasm', text: `WebAssembly: the only WebGPU adapter is a software one (${adapterName(adapter)}), slower than WebAssembly` };
  }
  if (hasFp32 === false) {
    return { backend: 'wasm', text: `WebAssembly: this model is published only as int8, which WebGPU does not run (adapter: ${adapterName(adapter)})` };
  }
  return { backend: 'webgpu', text: `WebGPU (adapter: ${adapterName(adapter)})${forced ? ', forced in settings' : ''}` };
}

/** The choice after creating the WebGPU session failed: WebAssembly, with the reason. */
export function webGpuFailed(probe: AdapterProbe, error: string): BackendChoice {
  const on = probe.adapter ? ` on ${adapterName(probe.adapter)}` : '';
  return { backend: 'wasm', text: `WebAssembly: WebGPU could not load the model${on} (${error})` };
}

/** The options page's line when inference does not run in the offscreen document at all. */
export function noOffscreenChoice(why: string): BackendChoice {
  return { backend: 'wasm', text: `WebAssembly: ${why}` };
}
