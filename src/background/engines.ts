// One engine per model, created lazily from the stored bytes and reused while the background lives (a
// restarted service worker simply rebuilds it from Cache Storage). Each request asks which ONNX file the
// model should run (the precision setting); a model is held in one precision at a time, so switching releases
// the other before loading. Inference jobs run one at a time, in order; each can be cancelled by its request
// id, queued or running. While work is pending the background keeps itself alive.
import browser from 'webextension-polyfill';
import { LensModel, type LoadStep, type ModelSource, type OnnxVariant } from '../engine/model.js';
import { loadPlan, modelSource } from '../shared/model-store.js';
import { registryEntry } from '../shared/registry.js';
import { mark } from '../shared/timeline.js';
import { firefoxSessionPlan } from './inference.js';

interface Job {
  requestId: string;
  controller: AbortController;
}

/** Where a model's files come from and which of its ONNX files to run. */
export interface ModelToLoad {
  source: ModelSource;
  variant: OnnxVariant;
  /** where it runs (the offscreen document's WebGPU choice); a change reloads the model like a changed variant */
  backend?: string;
  /** creates the model, saying what it loaded (a failed WebGPU session falls back to WebAssembly); default: LensModel.load on WebAssembly with this host's threads */
  load?: (onStep: (step: LoadStep) => void) => Promise<{ model: LensModel; variant: OnnxVariant; backend: string }>;
}

/**
 * The model store's record and the precision setting (storage.local, which offscreen documents lack); in Firefox
 * also where the session runs (Web Workers or the event page, per 'lens.threads': inference.ts).
 */
async function fromModelStore(modelId: string): Promise<ModelToLoad> {
  const { record, variant } = await loadPlan(modelId);
  const source = await modelSource(registryEntry(modelId), record);
  return __LENS_BROWSER__ === 'firefox' ? { source, variant, ...(await firefoxSessionPlan(source, variant)) } : { source, variant };
}

interface LoadedModel {
  variant: OnnxVariant;
  backend: string | undefined;
  model: Promise<LensModel>;
  /** the load finished (a prewarm may have started it before the question that waits on it) */
  ready?: boolean;
}

export interface EngineHostOptions {
  /** WebAssembly threads: 1 in the service worker (no Worker there); more in a cross-origin-isolated offscreen document */
  numThreads?: number;
  /** what to load for a model; default: the model store and the precision setting */
  toLoad?: (modelId: string) => Promise<ModelToLoad>;
  /** keep the background alive while work is pending (default true; an offscreen document has no idle timer) */
  keepAlive?: boolean;
  /** names this context's timeline marks (default 'worker') */
  label?: string;
}

export class EngineHost {
  private readonly models = new Map<string, LoadedModel>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<string, Job>();
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private holds = 0;
  private readonly unloadHooks: Array<(modelId: string) => Promise<void>> = [];

  constructor(private readonly options: EngineHostOptions = {}) {}

  /** Also called when a model is unloaded (e.g. to drop the copy an offscreen document holds). */
  onUnload(hook: (modelId: string) => Promise<void>): void {
    this.unloadHooks.push(hook);
  }

  /** The loaded model for a registry id, in the ONNX variant asked for now; loads it on first use (throws a clear error if not installed). */
  async model(modelId: string): Promise<LensModel> {
    const { source, variant, backend, load } = await (this.options.toLoad ?? fromModelStore)(modelId);
    const current = this.models.get(modelId);
    if (current?.variant === variant && current.backend === backend) return current.model;
    // keyed by what was asked for, then by what was loaded (a WebGPU session that failed fell back to WebAssembly),
    // so the next request's plan finds the model without loading it again
    const key: Omit<LoadedModel, 'model'> = { variant, backend };
    const label = this.options.label ?? 'worker';
    const onStep = (step: LoadStep) => mark(`${label}:load-${step}`);
    const model = (async () => {
      // the other precision's session is released first: never two copies of one model in memory
      if (current) await current.model.then((m) => m.release()).catch(() => undefined);
      mark(`${label}:load-start`);
      if (load) {
        const loaded = await load(onStep);
        key.variant = loaded.variant;
        key.backend = loaded.backend;
        return loaded.model;
      }
      // One thread by default: a service worker cannot start Workers; proxy off for the same reason.
      return LensModel.load(source, { numThreads: this.options.numThreads ?? 1, variant, onStep });
    })();
    const loading: LoadedModel = Object.assign(key, { model });
    this.models.set(modelId, loading);
    loading.model.then(
      () => (loading.ready = true),
      // a failed load is not cached: the next request tries again (e.g. after the download finished)
      () => {
        if (this.models.get(modelId) === loading) this.models.delete(modelId);
      },
    );
    return loading.model;
  }

  /** loaded or being loaded */
  isLoaded(modelId: string): boolean {
    return this.models.has(modelId);
  }

  /** loaded, its session ready: a request need not wait for a load (and need not say "Loading the model") */
  isReady(modelId: string): boolean {
    return this.models.get(modelId)?.ready === true;
  }

  /** The ONNX file each loaded model runs, by model id (a diagnostic for tests and the status reply). */
  async onnxFiles(): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const [id, loaded] of this.models) {
      const model = await loaded.model.catch(() => undefined);
      if (model && this.models.get(id) === loaded) files[id] = model.onnxFile;
    }
    return files;
  }

  /** Drops a model's engine (after it was removed or replaced). */
  async unload(modelId: string): Promise<void> {
    const loaded = this.models.get(modelId);
    this.models.delete(modelId);
    if (loaded) await loaded.model.then((m) => m.release()).catch(() => undefined);
    await Promise.all(this.unloadHooks.map((hook) => hook(modelId).catch(() => undefined)));
  }

  /** Runs a job after the ones before it; rejects with 'cancelled' when cancel(requestId) is called. */
  run<T>(requestId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.jobs.set(requestId, { requestId, controller });
    this.hold();
    const result = this.queue.then(async () => {
      controller.signal.throwIfAborted();
      return work(controller.signal);
    });
    this.queue = result.catch(() => undefined);
    return result
      .catch((err: unknown) => {
        if (controller.signal.aborted) throw new Error('cancelled');
        throw err;
      })
      .finally(() => {
        this.jobs.delete(requestId);
        this.release();
      });
  }

  cancel(requestId: string): boolean {
    const job = this.jobs.get(requestId);
    if (!job) return false;
    job.controller.abort(new Error('cancelled'));
    return true;
  }

  /** Keeps the background alive while long work (inference, installs) is pending. */
  hold(): void {
    this.holds++;
    if (this.options.keepAlive === false) return;
    // An extension API call every 20 s resets the service worker's 30 s idle timer.
    this.keepAliveTimer ??= setInterval(() => void browser.runtime.getPlatformInfo(), 20_000);
  }

  release(): void {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds === 0 && this.keepAliveTimer !== undefined) {
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
  }
}
