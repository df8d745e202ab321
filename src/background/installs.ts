// Model installs: downloads from the hub, and completing a folder import the options page stored. One at a time
// per model, cancellable, with progress broadcast to the extension's pages (throttled) and kept in memory so a
// popup opened mid-install shows it at once. After the files, an install may build the ONNX file from a
// checkpoint (model.safetensors) and make the int8 file on this device (registry "int8": "on-device", or just
// built), each a progress phase of its own on the same bar. The background keeps itself alive throughout
// (EngineHost.hold).
import { broadcast } from '../shared/messaging.js';
import { modelWeights } from '../shared/model-files.js';
import { checkRebuild } from './rebuild-check.js';
import { completeImport, downloadModel, type InstallOptions, type InstalledModel, type StoredFile } from '../shared/model-store.js';
import type { InstallStep } from '../shared/protocol.js';
import { registryEntry, type RegistryEntry } from '../shared/registry.js';
import { getSettings } from '../shared/settings.js';
import type { EngineHost } from './engines.js';

export interface InstallProgress {
  step: InstallStep;
  loaded: number;
  total: number | undefined;
}

interface Install {
  controller: AbortController;
  progress: InstallProgress;
  done: Promise<InstalledModel>;
}

const STEP_MESSAGES: Record<InstallStep, (entry: RegistryEntry) => string> = {
  download: (entry) => `Downloading ${entry.name}`,
  build: () => 'Building the model from its weights…',
  optimize: () => 'Optimizing for this device (int8)…',
};

export class Installs {
  private readonly active = new Map<string, Install>();

  constructor(private readonly engines: EngineHost) {}

  state(modelId: string): InstallProgress | undefined {
    return this.active.get(modelId)?.progress;
  }

  /** Starts (or joins) the download of a registry model; resolves when it is stored, verified and recorded. */
  download(modelId: string): Promise<InstalledModel> {
    return this.track(modelId, 'download', async (entry, options) => downloadModel(entry, (await getSettings()).hubBaseUrl, options));
  }

  /** Completes the install of a folder the options page stored (its files listed). */
  completeImport(modelId: string, files: StoredFile[]): Promise<InstalledModel> {
    if (this.active.has(modelId)) return Promise.reject(new Error(`${registryEntry(modelId).name} is being installed; try again when that is done`));
    const firstStep: InstallStep = modelWeights(files.map((f) => f.path))?.kind === 'checkpoint' ? 'build' : 'optimize';
    return this.track(modelId, firstStep, (entry, options) => completeImport(entry, files, options));
  }

  cancel(modelId: string): boolean {
    const install = this.active.get(modelId);
    if (!install) return false;
    install.controller.abort(new Error('download cancelled'));
    return true;
  }

  private track(modelId: string, firstStep: InstallStep, work: (entry: RegistryEntry, options: InstallOptions) => Promise<InstalledModel>): Promise<InstalledModel> {
    const existing = this.active.get(modelId);
    if (existing) return existing.done;
    const entry = registryEntry(modelId);
    const controller = new AbortController();
    const progress: InstallProgress = { step: firstStep, loaded: 0, total: undefined };
    let lastSent = 0;
    const report = (step: InstallStep) => (loaded: number, total: number | undefined) => {
      const stepChanged = progress.step !== step;
      Object.assign(progress, { step, loaded, total });
      const now = Date.now();
      if (!stepChanged && now - lastSent < 200 && loaded !== total) return;
      lastSent = now;
      broadcast({ type: 'event/progress', modelId, phase: step, done: loaded, total, message: STEP_MESSAGES[step](entry) });
    };
    this.engines.hold();
    const done = (async () => {
      await this.engines.unload(modelId);
      return work(entry, { signal: controller.signal, onProgress: report('download'), onBuild: report('build'), onOptimize: report('optimize'), checkRebuild });
    })().finally(() => {
      this.active.delete(modelId);
      this.engines.release();
      broadcast({ type: 'event/models-changed' });
    });
    this.active.set(modelId, { controller, progress, done });
    broadcast({ type: 'event/models-changed' });
    return done;
  }
}
