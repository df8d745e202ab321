// The bench's WebGPU section: its result and its part of docs/PERFORMANCE.md. Measured by bench/browser/webgpu.ts
// only where Chromium gives a hardware WebGPU adapter; a software one (SwiftShader) computes on the CPU, so its
// figures would say nothing about WebGPU's speed and are not measured (BENCH_WEBGPU_SOFTWARE=1 does, to check the
// harness, and the report marks them so).
import type { Stats } from './stats.js';

export interface WebGpuAdapterFacts {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface WebGpuBench {
  /** the adapter Chromium gave the bench page, or null (none) */
  adapter: WebGpuAdapterFacts | null;
  /** why nothing was measured, e.g. "no WebGPU adapter on this machine" */
  note?: string;
  /** the switches Chromium was started with for this section */
  switches: string[];
  /** measured: fp32 on onnxruntime-web's WebGPU provider in an extension page (bench.html), per-window latency */
  run?: { software: boolean; loadMs: number; perWindow: Record<string, Stats>; runtime: string };
}

const ms = (v: number | undefined) => (v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);

/** "## WebGPU" for PERFORMANCE.md: the per-window latency, or that there is no adapter to measure on. */
export function webGpuSection(w: WebGpuBench | undefined, wasmPerWindow?: Record<string, Stats>): string[] {
  if (!w) return [];
  const out = ['## WebGPU', ''];
  const name = w.adapter ? [w.adapter.vendor, w.adapter.architecture].filter(Boolean).join(' ') || w.adapter.description || 'unnamed' : undefined;
  if (!w.run) {
    out.push(`${w.note ?? 'no WebGPU adapter on this machine'}${name ? ` (Chromium offered: ${name}${w.adapter?.isFallbackAdapter ? ', a software adapter' : ''})` : ''}: WebGPU latency not measured. Chromium was started with \`${w.switches.join(' ')}\`.`, '');
    out.push('Correctness on WebGPU is checked by tests/e2e/webgpu.test.ts on SwiftShader\'s software adapter (same answers, logits within 1e-3 of WebAssembly).', '');
    return out;
  }
  out.push(`Adapter: ${name}${w.run.software ? ' (software: SwiftShader on the CPU; these figures check the harness and say nothing about GPU speed)' : ''}. ${w.run.runtime}, fp32, 1 thread; session creation ${ms(w.run.loadMs)}.`, '');
  out.push('| backend | 128 tokens | 256 tokens | 384 tokens | 4 x 384 |', '|---|---|---|---|---|');
  const cell = (s: Record<string, Stats> | undefined, k: string) => ms(s?.[k]?.median);
  out.push(`| WebGPU, fp32 | ${cell(w.run.perWindow, '128')} | ${cell(w.run.perWindow, '256')} | ${cell(w.run.perWindow, '384')} | ${cell(w.run.perWindow, '4x384')} |`);
  if (wasmPerWindow) out.push(`| WebAssembly, the engine page's first run | ${cell(wasmPerWindow, '128')} | ${cell(wasmPerWindow, '256')} | ${cell(wasmPerWindow, '384')} | ${cell(wasmPerWindow, '4x384')} |`);
  out.push('');
  return out;
}
