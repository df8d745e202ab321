// Imported FIRST by the bench pages: records every WebAssembly.Memory that an instantiated module imports or
// exports (onnxruntime-web's Emscripten glue creates one, shared in the threaded build), so the pages can
// report the wasm heap's size. Nothing else about instantiation changes.

import type { MemoryReport } from './types.js';

export type { MemoryReport };

const memories = new Set<WebAssembly.Memory>();

function collect(value: unknown, depth = 0): void {
  if (value instanceof WebAssembly.Memory) {
    memories.add(value);
    return;
  }
  if (depth > 1 || typeof value !== 'object' || value === null) return;
  for (const v of Object.values(value as Record<string, unknown>)) collect(v, depth + 1);
}

function seen(result: WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance): void {
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  collect(instance.exports);
}

const wasm = WebAssembly as unknown as {
  instantiate(source: unknown, imports?: WebAssembly.Imports): Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance>;
  instantiateStreaming(source: unknown, imports?: WebAssembly.Imports): Promise<WebAssembly.WebAssemblyInstantiatedSource>;
};
const instantiate = wasm.instantiate.bind(WebAssembly);
const instantiateStreaming = wasm.instantiateStreaming.bind(WebAssembly);
wasm.instantiate = async (source, imports) => {
  collect(imports);
  const result = await instantiate(source, imports);
  seen(result);
  return result;
};
wasm.instantiateStreaming = async (source, imports) => {
  collect(imports);
  const result = await instantiateStreaming(source, imports);
  seen(result);
  return result;
};


export async function memoryReport(): Promise<MemoryReport> {
  const perf = performance as Performance & {
    memory?: { usedJSHeapSize: number; totalJSHeapSize: number };
    measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>;
  };
  let uaSpecificBytes: number | string = 'unavailable: the page is not cross-origin isolated';
  if (globalThis.crossOriginIsolated && perf.measureUserAgentSpecificMemory) {
    try {
      uaSpecificBytes = (await perf.measureUserAgentSpecificMemory()).bytes;
    } catch (err) {
      uaSpecificBytes = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const list = [...memories];
  return {
    jsHeapUsedBytes: perf.memory?.usedJSHeapSize ?? null,
    jsHeapTotalBytes: perf.memory?.totalJSHeapSize ?? null,
    wasmMemoryBytes: list.length ? list.reduce((sum, m) => sum + m.buffer.byteLength, 0) : null,
    wasmMemories: list.length,
    uaSpecificBytes,
  };
}
