// One engine per model, created lazily from the stored bytes and reused while the background lives (a
// restarted service worker simply rebuilds it from Cache Storage). Inference jobs run one at a time, in
// order; each can be cancelled by its request id, queued or running. While work is pending the background
// keeps itself alive.
import browser from 'webextension-polyfill';
import { LensModel } from '../engine/model.js';
import { modelSource } from '../shared/model-store.js';
import { registryEntry } from '../shared/registry.js';

interface Job {
  requestId: string;
  controller: AbortController;
}

export class EngineHost {
  private readonly models = new Map<string, Promise<LensModel>>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<string, Job>();
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private holds = 0;

  /** The loaded model for a registry id; loads it on first use (throws a clear error if not installed). */
  model(modelId: string): Promise<LensModel> {
    let pending = this.models.get(modelId);
    if (!pending) {
      pending = (async () => {
        const entry = registryEntry(modelId);
        // One thread: a service worker cannot start Workers; proxy off for the same reason.
        return LensModel.load(await modelSource(entry), { numThreads: 1 });
      })();
      this.models.set(modelId, pending);
      // a failed load is not cached: the next request tries again (e.g. after the download finished)
      pending.catch(() => this.models.delete(modelId));
    }
    return pending;
  }

  isLoaded(modelId: string): boolean {
    return this.models.has(modelId);
  }

  /** Drops a model's engine (after it was removed or replaced). */
  async unload(modelId: string): Promise<void> {
    const pending = this.models.get(modelId);
    this.models.delete(modelId);
    if (pending) await pending.then((m) => m.release()).catch(() => undefined);
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

  /** Keeps the background alive while long work (inference, downloads) is pending. */
  hold(): void {
    this.holds++;
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
