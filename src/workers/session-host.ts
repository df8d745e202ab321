// What a session worker does, apart from how it receives messages (a Web Worker in Firefox: session-worker.ts; a
// worker_threads Worker in the Node tests): one onnxruntime-web instance, one WebAssembly thread, one session.
import { ModelSession, errorMessage, initRuntime } from '../engine/runtime.js';
import type { FromSessionWorker, ToSessionWorker } from './session-protocol.js';

export interface HostPort {
  post(message: FromSessionWorker, transfer: ArrayBuffer[]): void;
  onMessage(listener: (message: ToSessionWorker) => void): void;
}

/** A result's own buffer, to transfer (a view into a larger buffer is copied first). */
function ownBuffer(data: Float32Array): Float32Array<ArrayBuffer> {
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
  return own ? (data as Float32Array<ArrayBuffer>) : data.slice();
}

interface Instantiated {
  module: WebAssembly.Module;
  instance: unknown;
}
/** The slice of the WebAssembly namespace used here (typed loosely: the libs' declarations differ between hosts). */
interface WasmApi {
  Module: abstract new (...args: never[]) => WebAssembly.Module;
  Memory: abstract new (...args: never[]) => { buffer: ArrayBufferLike };
  instantiate(source: unknown, imports?: unknown): Promise<unknown>;
  instantiateStreaming?(source: unknown, imports?: unknown): Promise<Instantiated>;
}

/** onnxruntime-web's WebAssembly memory in this worker, once started */
let heap: { buffer: ArrayBufferLike } | undefined;

/**
 * Starts onnxruntime-web's WebAssembly runtime (1 thread: a worker is not cross-origin isolated, no
 * SharedArrayBuffer; the parallelism is the workers'). onnxruntime-web compiles its module itself and takes no
 * compiled one, so while it starts, WebAssembly.instantiate(Streaming) are wrapped here: given `module`, they
 * instantiate it (one compilation for all workers, its code shared); else they let it compile and keep the module
 * for the other workers. Only onnxruntime-web runs in this worker, and the originals are back once it started.
 */
async function startRuntime(module: WebAssembly.Module | undefined): Promise<WebAssembly.Module | undefined> {
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const { instantiate, instantiateStreaming } = api;
  let compiled: WebAssembly.Module | undefined;
  // its memory (exported, or imported: the threaded build's is made by its loader), for the size of its heap
  // (the weights, the arena): a diagnostic the host reports
  const findMemory = (instance: unknown, imports: unknown) => {
    const exported = Object.values((instance as { exports?: Record<string, unknown> }).exports ?? {});
    const imported = Object.values((imports ?? {}) as Record<string, unknown>).flatMap((m) => (m && typeof m === 'object' ? Object.values(m) : []));
    heap = [...exported, ...imported].find((value): value is { buffer: ArrayBufferLike } => value instanceof api.Memory) ?? heap;
  };
  const fromModule = async (given: WebAssembly.Module, imports: unknown): Promise<Instantiated> => {
    const instance = await instantiate.call(api, given, imports);
    findMemory(instance, imports);
    return { module: given, instance };
  };
  const keep = (result: Instantiated, imports: unknown): Instantiated => {
    compiled = result.module;
    findMemory(result.instance, imports);
    return result;
  };
  api.instantiate = (source, imports) => {
    if (source instanceof api.Module) return instantiate.call(api, source, imports);
    if (module) return fromModule(module, imports);
    return instantiate.call(api, source, imports).then((r) => keep(r as Instantiated, imports));
  };
  if (instantiateStreaming) {
    api.instantiateStreaming = (source, imports) => {
      if (!module) return instantiateStreaming.call(api, source, imports).then((r) => keep(r, imports));
      // the response onnxruntime-web fetched is not needed
      void Promise.resolve(source as Promise<{ body?: { cancel(): Promise<void> } | null }>)
        .then((response) => response.body?.cancel())
        .catch(() => undefined);
      return fromModule(module, imports);
    };
  }
  try {
    await initRuntime({ numThreads: 1 });
  } finally {
    api.instantiate = instantiate;
    api.instantiateStreaming = instantiateStreaming;
  }
  return module ? undefined : compiled;
}

export function serveSession(port: HostPort): void {
  // the runtime starts on 'init' (the first message: at once for the first worker, with its module for the others);
  // a 'create' that comes sooner waits for it
  let init!: (module: WebAssembly.Module | undefined) => void;
  const runtime = new Promise<WebAssembly.Module | undefined>((resolve) => (init = resolve)).then(startRuntime);
  runtime.then(
    (module) => port.post({ type: 'ready', ...(module ? { module } : {}) }, []),
    (err: unknown) => port.post({ type: 'ready', error: errorMessage(err) }, []),
  );
  let session: Promise<ModelSession> | undefined;
  // runs one at a time, in order (one session runs one call at a time)
  let queue: Promise<void> = Promise.resolve();

  port.onMessage((message) => {
    if (message.type === 'init') {
      init(message.module);
      return;
    }
    if (message.type === 'create') {
      if (session) {
        port.post({ type: 'failed', error: 'the session was already created' }, []);
        return;
      }
      // a failed start is retried (and reported) by ModelSession.create
      const created = (session = runtime.catch(() => undefined).then(() => ModelSession.create(message.bytes, { numThreads: 1 })));
      created.then(
        (s) => port.post({ type: 'created', inputs: [...s.inputs], outputNames: [...s.outputNames] }, []),
        (err: unknown) => port.post({ type: 'failed', error: errorMessage(err) }, []),
      );
      return;
    }
    const { id, feeds, batch, seqLen, outputs } = message;
    queue = queue.then(async () => {
      try {
        if (!session) throw new Error('no session was created');
        const out = await (await session).run(feeds, batch, seqLen, outputs);
        const sent: FromSessionWorker = { type: 'result', id, outputs: {}, heapBytes: heap?.buffer.byteLength ?? 0 };
        const transfer: ArrayBuffer[] = [];
        for (const [name, { data, dims }] of Object.entries(out)) {
          const own = ownBuffer(data);
          sent.outputs[name] = { data: own, dims };
          transfer.push(own.buffer);
        }
        port.post(sent, transfer);
      } catch (err) {
        port.post({ type: 'failed', id, error: errorMessage(err) }, []);
      }
    });
  });
}
