// The models as the background reports them (models/list), kept current from its events, for the popup and
// the options page. Install progress events (download, building from a checkpoint, the on-device int8 step)
// update the listed state in place, so a bar moves without a round trip per event.
import { onBackgroundEvent, sendToBackground } from '../shared/messaging.js';
import type { BackgroundEvent, InstallState, InstallStep, ModelInfo, ModelsListReply, ModelTask, ProgressEvent } from '../shared/protocol.js';
import { formatBytesProgress, formatPercent, fraction } from './format.js';

export type StoreListener = () => void;

export class ModelsStore {
  list: ModelsListReply | undefined;
  error: string | undefined;
  private readonly listeners = new Set<StoreListener>();
  private refreshing: Promise<void> | undefined;
  private again = false;

  /** Subscribes to the background's events; returns the unsubscribe function. */
  listen(onProgress?: (event: ProgressEvent) => void): () => void {
    return onBackgroundEvent((event: BackgroundEvent) => {
      if (event.type === 'event/models-changed') {
        void this.refresh();
        return;
      }
      if ((event.phase === 'download' || event.phase === 'build' || event.phase === 'optimize') && event.modelId) this.installProgress(event.modelId, event.phase, event.done, event.total);
      onProgress?.(event);
    });
  }

  subscribe(fn: StoreListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** Re-reads the list; overlapping calls coalesce into one more read after the current one. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          this.list = await sendToBackground({ type: 'models/list' });
          this.error = undefined;
        } catch (err) {
          this.error = err instanceof Error ? err.message : String(err);
        }
      } while (this.again);
    })().finally(() => {
      this.refreshing = undefined;
      this.notify();
    });
    return this.refreshing;
  }

  get(id: string): ModelInfo | undefined {
    return this.list?.models.find((m) => m.id === id);
  }

  /** Replaces one model's info (e.g. from a models/download or models/imported reply). */
  put(info: ModelInfo): void {
    if (!this.list) return;
    this.list = { ...this.list, models: this.list.models.map((m) => (m.id === info.id ? info : m)) };
    this.notify();
  }

  setState(id: string, state: InstallState): void {
    const info = this.get(id);
    if (info) this.put({ ...info, state });
  }

  private installProgress(id: string, step: InstallStep, loaded: number, total: number | undefined): void {
    const info = this.get(id);
    // a late progress event must not turn a finished model back into a download
    if (!info || info.state.kind === 'installed') return;
    this.put({ ...info, state: { kind: 'downloading', step, loaded, total } });
  }
}

/** The progress bar's label and detail for a model being installed: one bar, relabelled at each phase. */
export function installProgressText(state: { step: InstallStep; loaded: number; total: number | undefined }): { label: string; detail: string } {
  if (state.step === 'build' || state.step === 'optimize') {
    const f = fraction(state.loaded, state.total);
    return { label: state.step === 'build' ? 'Building the model from its weights…' : 'Optimizing for this device (int8)…', detail: f === undefined ? '' : formatPercent(f) };
  }
  const started = state.loaded > 0 || state.total !== undefined;
  return { label: started ? 'Downloading' : 'Starting…', detail: started ? formatBytesProgress(state.loaded, state.total) : '' };
}

export function taskLabel(task: ModelTask): string {
  switch (task) {
    case 'qa':
      return 'Question answering';
    case 'zero-shot':
      return 'Zero-shot classification';
    case 'classify':
      return 'Classification';
  }
}

export function sourceLabel(source: 'hub' | 'import' | 'bundled'): string {
  switch (source) {
    case 'hub':
      return 'Downloaded from the hub';
    case 'import':
      return 'Imported from a folder';
    case 'bundled':
      return 'Bundled with the extension';
  }
}

/** Where a registry model comes from, for people: "huggingface.co / owner/repo". */
export function modelOrigin(hubBaseUrl: string, info: Pick<ModelInfo, 'repo'>): string {
  let host = hubBaseUrl;
  try {
    const u = new URL(hubBaseUrl);
    host = u.host + u.pathname.replace(/\/+$/, '');
  } catch {
    // keep what settings hold
  }
  return `${host}/${info.repo}`;
}

/** A score the publisher reports, in words: "90.4% accuracy on GLUE SST-2 dev, reported by its model card". */
export function reportedText(r: NonNullable<ModelInfo['reported']>): string {
  return `${(r.value * 100).toFixed(1)}% ${r.metric} on ${r.dataset}, reported by ${r.source}`;
}

/** The repository and the commit it is pinned to, or the branch a first install will resolve: "owner/repo@6d49c30". */
export function repoAt(info: Pick<ModelInfo, 'repo' | 'revision' | 'branch'>): string {
  return `${info.repo}@${info.revision ? info.revision.slice(0, 7) : info.branch ?? '?'}`;
}
