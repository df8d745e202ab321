// The messages between the background and a session worker (src/workers/session-worker.ts): Firefox runs each
// model session in a dedicated Web Worker of its own, so that several run at once (src/background/session-workers.ts).
// Plain data only (structured clone); typed arrays travel as copies, results' buffers are transferred.
import type { FloatOutput, TensorInput } from '../engine/runtime.js';

/** Where the Firefox package has the worker script (built apart by vite.config.ts; spawned by the background). */
export const SESSION_WORKER_PATH = 'src/workers/session-worker.js';

/** The background to a session worker. */
export type ToSessionWorker =
  /**
   * starts the worker's WebAssembly runtime (first message), from onnxruntime-web's module another worker compiled
   * when given: one compilation for all workers, and compiled code shared between them
   */
  | { type: 'init'; module?: WebAssembly.Module }
  /** creates the worker's session from the model's ONNX bytes (once) */
  | { type: 'create'; bytes: Uint8Array }
  /** runs a batch on it; answered by a 'result' or 'failed' with the same id */
  | { type: 'run'; id: number; feeds: Record<string, Int32Array>; batch: number; seqLen: number; outputs: string[] };

/** A session worker to the background. */
export type FromSessionWorker =
  /** its WebAssembly runtime started, with the module it compiled (for the other workers) if it compiled one; or not (error) */
  | { type: 'ready'; module?: WebAssembly.Module; error?: string }
  | { type: 'created'; inputs: TensorInput[]; outputNames: string[] }
  /** heapBytes: the size of its WebAssembly memory now (a diagnostic: weights, arena, activations) */
  | { type: 'result'; id: number; outputs: Record<string, FloatOutput>; heapBytes: number }
  /** id: the run that failed; none: the session could not be created */
  | { type: 'failed'; id?: number; error: string };
