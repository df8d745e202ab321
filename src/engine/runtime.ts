// The one module that talks to onnxruntime-web. Everything else sees plain typed arrays, so Node, the
// service worker and an offscreen document can each configure threads and wasm paths their own way.
import * as ort from 'onnxruntime-web';

/** The onnxruntime-web module; a host may pass another build of it (e.g. the WebGPU bundle, loaded only where used). */
export type OrtModule = typeof ort;

/** Where a session runs: onnxruntime-web's WebAssembly (CPU) or WebGPU execution provider. */
export type ExecutionProvider = 'wasm' | 'webgpu';

export interface RuntimeOptions {
  /** WebAssembly threads; 1 in a service worker (no Worker there), more only where cross-origin isolated. */
  numThreads?: number;
  /** default 'wasm'; 'webgpu' needs `ort` to be a build with that provider (the host knows whether a GPU exists) */
  executionProvider?: ExecutionProvider;
  /** the onnxruntime-web module to create the session with; default: the one imported here */
  ort?: OrtModule;
}

export type IntegerType = 'int64' | 'int32';

export interface TensorInput {
  name: string;
  /** element type the model declares; token ids are fed in this type */
  type: IntegerType;
}

export interface FloatOutput {
  data: Float32Array;
  dims: number[];
}

// The smallest model onnxruntime-web accepts (one Identity node, float[1] -> float[1]), for initRuntime.
const TINY_MODEL = new Uint8Array([
  8, 8, 58, 55, 10, 16, 10, 1, 120, 18, 1, 121, 34, 8, 73, 100, 101, 110, 116, 105, 116, 121, 18, 1, 103, 90, 15, 10, 1, 120, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 98, 15, 10,
  1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 66, 4, 10, 0, 16, 14,
]);

/**
 * What the engine needs of a loaded model: a ModelSession, or a host's stand-in for one (e.g. Firefox's pool of
 * Web Workers, each with its own session of the same model), which may run several batches at once.
 */
export interface SessionLike {
  readonly inputs: readonly TensorInput[];
  readonly outputNames: readonly string[];
  readonly executionProvider: ExecutionProvider;
  /** model runs that make progress at once (1: a run waits for the one before); runRows keeps this many in flight */
  readonly parallelism: number;
  hasInput(name: string): boolean;
  run(feeds: Record<string, Int32Array>, batch: number, seqLen: number, outputs: readonly string[]): Promise<Record<string, FloatOutput>>;
  release(): Promise<void>;
}

let runtimeReady: Promise<void> | undefined;

/**
 * Starts onnxruntime-web's WebAssembly runtime (fetching and compiling its module, starting its threads) without a
 * model, so a host can do it while it reads the model's bytes. onnxruntime-web has no call for this alone: a
 * session on a one-node model does it. Later sessions reuse the runtime; the thread count is fixed by the first call.
 */
export function initRuntime(options: RuntimeOptions = {}): Promise<void> {
  runtimeReady ??= (async () => {
    if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
    const session = await ort.InferenceSession.create(TINY_MODEL, { executionProviders: ['wasm'] });
    await session.release();
  })();
  runtimeReady.catch(() => {
    runtimeReady = undefined;
  });
  return runtimeReady;
}

/** A loaded ONNX model: created once from bytes, reused, released explicitly. */
export class ModelSession implements SessionLike {
  /** onnxruntime-web runs one model call at a time per session */
  readonly parallelism = 1;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputs: readonly TensorInput[],
    readonly outputNames: readonly string[],
    private readonly runtime: OrtModule,
    readonly executionProvider: ExecutionProvider,
  ) {}

  static async create(bytes: Uint8Array, options: RuntimeOptions = {}): Promise<ModelSession> {
    const runtime = options.ort ?? ort;
    const executionProvider = options.executionProvider ?? 'wasm';
    let session: ort.InferenceSession;
    try {
      // the default WebAssembly runtime may already be starting (initRuntime); another build (WebGPU) starts here
      if (runtime === ort && executionProvider === 'wasm') await initRuntime(options);
      else if (options.numThreads !== undefined) runtime.env.wasm.numThreads = options.numThreads;
      session = await runtime.InferenceSession.create(bytes, { executionProviders: [executionProvider], graphOptimizationLevel: 'all' });
    } catch (err) {
      throw new Error(`the ONNX model could not be loaded${executionProvider === 'wasm' ? '' : ` with ${executionProvider}`}: ${errorMessage(err)}`);
    }
    const inputs = session.inputMetadata.map((meta): TensorInput => {
      const type = meta.isTensor ? meta.type : undefined;
      if (type !== 'int64' && type !== 'int32') {
        throw new Error(`model input "${meta.name}" has type ${type ?? 'non-tensor'}; expected int64 or int32 token ids`);
      }
      return { name: meta.name, type };
    });
    return new ModelSession(session, inputs, session.outputNames, runtime, executionProvider);
  }

  hasInput(name: string): boolean {
    return this.inputs.some((i) => i.name === name);
  }

  /**
   * Runs the model on a batch of integer sequences (row-major, `batch x seqLen`), one array per named
   * input; returns the requested float outputs.
   */
  async run(feeds: Record<string, Int32Array>, batch: number, seqLen: number, outputs: readonly string[]): Promise<Record<string, FloatOutput>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const input of this.inputs) {
      const values = feeds[input.name];
      if (!values) throw new Error(`no values for model input "${input.name}"`);
      if (values.length !== batch * seqLen) throw new Error(`input "${input.name}" has ${values.length} values, expected ${batch * seqLen}`);
      const data = input.type === 'int64' ? BigInt64Array.from(values, (v) => BigInt(v)) : values;
      // the tensor class of the session's own onnxruntime-web build (another build's tensors are not its own)
      ortFeeds[input.name] = new this.runtime.Tensor(input.type, data, [batch, seqLen]);
    }
    const results = await this.session.run(ortFeeds, [...outputs]);
    const out: Record<string, FloatOutput> = {};
    for (const name of outputs) {
      const tensor = results[name];
      if (!tensor || tensor.type !== 'float32') throw new Error(`model output "${name}" is missing or not float32`);
      out[name] = { data: tensor.data as Float32Array, dims: tensor.dims.map(Number) };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
