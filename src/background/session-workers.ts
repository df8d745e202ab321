// Firefox runs onnxruntime-web on one WebAssembly thread (its extension pages cannot be cross-origin isolated, so
// no SharedArrayBuffer), in the event page. To use more than one core, the model is loaded into several dedicated
// Web Workers instead, each its own onnxruntime-web instance and session of the same ONNX bytes; this pool stands in
// for a ModelSession (SessionLike) whose parallelism is its live workers, and runRows (src/engine/batch.ts) splits a
// question's windows over them. Each worker holds its own copy of the weights: memory grows with the workers. The
// first worker compiles onnxruntime-web's WebAssembly module; the others instantiate that module (one compilation,
// and the engine's compiled code, with what the browser optimises of it as it runs, shared by all).
//
// Portable on purpose (no DOM or extension types): the host passes how a worker is spawned, a Web Worker in Firefox
// (inference.ts), a worker_threads Worker in the Node tests.
import type { ExecutionProvider, FloatOutput, SessionLike, TensorInput } from '../engine/runtime.js';
import { mark } from '../shared/timeline.js';
import type { FromSessionWorker, ToSessionWorker } from '../workers/session-protocol.js';

/** One worker as the pool sees it. */
export interface WorkerPort {
  post(message: ToSessionWorker, transfer: ArrayBuffer[]): void;
  onMessage(listener: (message: FromSessionWorker) => void): void;
  /** the worker failed (its script did not load, it crashed): it is dropped */
  onError(listener: (reason: string) => void): void;
  terminate(): void;
}

export interface SessionWorkersOptions {
  /** how long a worker may take to create its session (default 120 s: a full-size fp32 model on a loaded machine) */
  createTimeoutMs?: number;
  /** names the timeline marks (default 'worker', the background's) */
  label?: string;
  /** called once when no worker is left after the pool was created (the host then loads the model elsewhere) */
  onLost?: (reason: string) => void;
  /** onnxruntime-web's compiled WebAssembly module (from an earlier pool): every worker starts from it at once */
  module?: WebAssembly.Module;
  /** called with the module the first worker compiled, for later pools */
  onModule?: (module: WebAssembly.Module) => void;
}

interface Job {
  id: number;
  message: Extract<ToSessionWorker, { type: 'run' }>;
  resolve: (outputs: Record<string, FloatOutput>) => void;
  reject: (err: Error) => void;
}

interface Member {
  index: number;
  port: WorkerPort;
  alive: boolean;
  /** 'init' was sent */
  started: boolean;
  running?: Job;
  created?: { resolve: (value: { inputs: TensorInput[]; outputNames: string[] }) => void; reject: (err: Error) => void };
  /** rows of the batches this worker ran */
  rows: number;
  runs: number;
  /** its WebAssembly memory after its last run */
  heapBytes: number;
}

/** A diagnostic: how many workers there are and what each ran. */
export interface SessionWorkersStats {
  workers: number;
  alive: number;
  rowsPerWorker: number[];
  runsPerWorker: number[];
  /** workers that started from a module another one compiled */
  sharedModule: number;
  /** each worker's WebAssembly memory after its last run (onnxruntime-web's heap: its copy of the weights, its arena) */
  heapBytesPerWorker: number[];
}

let nextId = 1;

export class SessionWorkers implements SessionLike {
  readonly executionProvider: ExecutionProvider = 'wasm';
  inputs: readonly TensorInput[] = [];
  outputNames: readonly string[] = [];
  private readonly members: Member[] = [];
  private readonly spawnErrors: string[] = [];
  private sharedModule = 0;
  private readonly waiting: Job[] = [];
  private created = false;
  private released = false;
  private lostReason: string | undefined;
  private readonly label: string;

  private constructor(private readonly options: SessionWorkersOptions) {
    this.label = options.label ?? 'worker';
  }

  /**
   * Spawns `count` workers at once: each starts its WebAssembly runtime while the host reads the model's bytes.
   * A worker that cannot be spawned is left out (create fails only if none is left).
   */
  static start(count: number, spawn: (index: number) => WorkerPort, options: SessionWorkersOptions = {}): SessionWorkers {
    const pool = new SessionWorkers(options);
    mark(`${pool.label}:workers-spawn`);
    for (let index = 0; index < count; index++) {
      let port: WorkerPort;
      try {
        port = spawn(index);
      } catch (err) {
        pool.spawnErrors.push(err instanceof Error ? err.message : String(err));
        continue;
      }
      const member: Member = { index, port, alive: true, started: false, rows: 0, runs: 0, heapBytes: 0 };
      pool.members.push(member);
      port.onMessage((message) => pool.received(member, message));
      port.onError((reason) => pool.drop(member, reason));
    }
    // the first compiles the module; the others start with it once it is ready (or compile their own if it failed)
    if (options.module) pool.init(pool.members, options.module);
    else pool.init(pool.members.slice(0, 1));
    return pool;
  }

  /** Creates every worker's session from the bytes (each gets a copy); resolves once all that could have. */
  async create(bytes: Uint8Array): Promise<this> {
    if (this.created) throw new Error('the session workers were already created');
    this.created = true;
    const timeoutMs = this.options.createTimeoutMs ?? 120_000;
    const attempts = this.members.map(
      (member) =>
        new Promise<{ inputs: TensorInput[]; outputNames: string[] }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no session after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
          member.created = {
            resolve: (value) => {
              clearTimeout(timer);
              resolve(value);
            },
            reject: (err) => {
              clearTimeout(timer);
              reject(err);
            },
          };
          if (!member.alive) member.created.reject(new Error('the worker stopped'));
          else member.port.post({ type: 'create', bytes }, []);
        }),
    );
    const results = await Promise.allSettled(attempts);
    const errors = [...this.spawnErrors];
    results.forEach((result, i) => {
      const member = this.members[i];
      member.created = undefined;
      if (result.status === 'fulfilled') {
        if (this.inputs.length === 0) {
          this.inputs = result.value.inputs;
          this.outputNames = result.value.outputNames;
        }
        return;
      }
      errors.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
      this.stop(member, 'its session could not be created');
    });
    if (this.aliveCount() === 0) {
      await this.release();
      throw new Error(`no session worker could load the model: ${[...new Set(errors)].join('; ') || 'no worker was started'}`);
    }
    if (errors.length > 0) console.warn(`Lens: ${this.aliveCount()} of ${this.members.length + this.spawnErrors.length} session workers loaded the model: ${[...new Set(errors)].join('; ')}`);
    mark(`${this.label}:workers-created`);
    return this;
  }

  /** Runs one batch at a time per worker: as many batches at once as there are live workers. */
  get parallelism(): number {
    return Math.max(1, this.aliveCount());
  }

  hasInput(name: string): boolean {
    return this.inputs.some((i) => i.name === name);
  }

  run(feeds: Record<string, Int32Array>, batch: number, seqLen: number, outputs: readonly string[]): Promise<Record<string, FloatOutput>> {
    return new Promise((resolve, reject) => {
      if (this.released) return reject(new Error('the session workers were released'));
      if (this.lostReason !== undefined) return reject(new Error(`the session workers stopped: ${this.lostReason}`));
      const id = nextId++;
      this.waiting.push({ id, message: { type: 'run', id, feeds, batch, seqLen, outputs: [...outputs] }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers (their memory goes with them). */
  async release(): Promise<void> {
    this.released = true;
    for (const member of this.members) this.stop(member, 'the session workers were released');
    for (const job of this.waiting.splice(0)) job.reject(new Error('the session workers were released'));
  }

  stats(): SessionWorkersStats {
    return { workers: this.members.length, alive: this.aliveCount(), rowsPerWorker: this.members.map((m) => m.rows), runsPerWorker: this.members.map((m) => m.runs), sharedModule: this.sharedModule, heapBytesPerWorker: this.members.map((m) => m.heapBytes) };
  }

  /** Starts the runtimes of these workers, from `module` when given. */
  private init(members: readonly Member[], module?: WebAssembly.Module): void {
    for (const member of members) {
      if (!member.alive || member.started) continue;
      member.started = true;
      try {
        member.port.post({ type: 'init', ...(module ? { module } : {}) }, []);
        if (module) this.sharedModule++;
      } catch (err) {
        // e.g. a module that cannot be posted: this worker compiles its own
        if (!module) this.drop(member, err instanceof Error ? err.message : String(err));
        else {
          member.started = false;
          this.init([member]);
        }
      }
    }
  }

  private aliveCount(): number {
    return this.members.filter((m) => m.alive).length;
  }

  private dispatch(): void {
    for (const member of this.members) {
      if (!member.alive || member.running) continue;
      const job = this.waiting.shift();
      if (!job) return;
      member.running = job;
      try {
        member.port.post(job.message, []);
      } catch (err) {
        this.drop(member, err instanceof Error ? err.message : String(err));
      }
    }
  }

  private received(member: Member, message: FromSessionWorker): void {
    switch (message.type) {
      case 'ready':
        if (message.error === undefined) mark(`${this.label}:session-${member.index}:runtime`);
        if (message.module) this.options.onModule?.(message.module);
        this.init(
          this.members.filter((m) => !m.started),
          message.module,
        );
        return;
      case 'created':
        member.created?.resolve({ inputs: message.inputs, outputNames: message.outputNames });
        return;
      case 'failed':
        if (message.id === undefined) {
          member.created?.reject(new Error(message.error));
          return;
        }
        if (member.running?.id === message.id) this.finish(member)?.reject(new Error(message.error));
        return;
      case 'result': {
        if (member.running?.id !== message.id) return;
        const { batch, seqLen } = member.running.message;
        member.rows += batch;
        member.runs++;
        member.heapBytes = message.heapBytes;
        // which worker ran what: the reply's timeline shows that the work was split (e2e tests count them)
        mark(`${this.label}:session-${member.index}:ran-${batch}x${seqLen}`);
        this.finish(member)?.resolve(message.outputs);
        return;
      }
    }
  }

  /** The worker's job is done: it takes the next one. */
  private finish(member: Member): Job | undefined {
    const job = member.running;
    member.running = undefined;
    this.dispatch();
    return job;
  }

  private drop(member: Member, reason: string): void {
    if (!member.alive) return;
    this.stop(member, reason);
    member.created?.reject(new Error(reason));
    // the others were waiting for its module: they compile their own
    this.init(this.members.filter((m) => !m.started));
    if (!this.created || this.released || this.aliveCount() > 0) {
      this.dispatch();
      return;
    }
    // none left after the model was loaded: runs fail until the host loads it elsewhere
    this.lostReason = reason;
    for (const job of this.waiting.splice(0)) job.reject(new Error(`the session workers stopped: ${reason}`));
    this.options.onLost?.(reason);
  }

  /** Terminates a worker; the batch it was running fails. */
  private stop(member: Member, reason: string): void {
    if (!member.alive) return;
    member.alive = false;
    const running = member.running;
    member.running = undefined;
    running?.reject(new Error(`a session worker stopped: ${reason}`));
    try {
      member.port.terminate();
    } catch {
      // already gone
    }
  }
}
