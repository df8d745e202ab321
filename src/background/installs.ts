// Model downloads: one at a time per model, cancellable, with progress broadcast to the extension's pages
// (throttled) and kept in memory so a popup opened mid-download shows it at once.
import { broadcast } from '../shared/messaging.js';
import { downloadModel, type InstalledModel } from '../shared/model-store.js';
import { registryEntry } from '../shared/registry.js';
import { getSettings } from '../shared/settings.js';
import type { EngineHost } from './engines.js';

interface Download {
  controller: AbortController;
  progress: { loaded: number; total: number | undefined };
  done: Promise<InstalledModel>;
}

export class Downloads {
  private readonly active = new Map<string, Download>();

  constructor(private readonly engines: EngineHost) {}

  state(modelId: string): { loaded: number; total: number | undefined } | undefined {
    return this.active.get(modelId)?.progress;
  }

  /** Starts (or joins) the download of a registry model; resolves when it is stored and verified. */
  start(modelId: string): Promise<InstalledModel> {
    const existing = this.active.get(modelId);
    if (existing) return existing.done;
    const entry = registryEntry(modelId);
    const controller = new AbortController();
    let lastSent = 0;
    const state: Download['progress'] = { loaded: 0, total: undefined };
    const progress = (loaded: number, total: number | undefined) => {
      state.loaded = loaded;
      state.total = total;
      const now = Date.now();
      if (now - lastSent < 200 && loaded !== total) return;
      lastSent = now;
      broadcast({ type: 'event/progress', modelId, phase: 'download', done: loaded, total, message: `Downloading ${entry.name}` });
    };
    this.engines.hold();
    const done = (async () => {
      const { hubBaseUrl } = await getSettings();
      await this.engines.unload(modelId);
      return downloadModel(entry, hubBaseUrl, { signal: controller.signal, onProgress: progress });
    })().finally(() => {
      this.active.delete(modelId);
      this.engines.release();
      broadcast({ type: 'event/models-changed' });
    });
    this.active.set(modelId, { controller, progress: state, done });
    broadcast({ type: 'event/models-changed' });
    return done;
  }

  cancel(modelId: string): boolean {
    const d = this.active.get(modelId);
    if (!d) return false;
    d.controller.abort(new Error('download cancelled'));
    return true;
  }
}
