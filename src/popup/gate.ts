// The model gate in front of each form: asks for consent before the one-time model download, shows the
// download's progress (also one started elsewhere, e.g. in the options page or a previous popup), and
// opens the form once the model is installed.
import browser from 'webextension-polyfill';
import { sendToBackground } from '../shared/messaging.js';
import type { ModelInfo } from '../shared/protocol.js';
import { h, replaceChildren } from '../ui/dom.js';
import { errorText, formatBytes } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { installProgressText, modelOrigin, reportedText, type ModelsStore } from '../ui/models.js';
import { notice } from '../ui/notice.js';
import { progressView, type ProgressView } from '../ui/progress.js';

export type GateMode = 'loading' | 'list-error' | 'consent' | 'dismissed' | 'downloading' | 'error' | 'ready';

export interface GateOptions {
  root: HTMLElement;
  store: ModelsStore;
  modelId: string;
  /** what the form does, for the "Not now" note: "answer questions" */
  purpose: string;
  onMode: (mode: GateMode, previous: GateMode | undefined) => void;
}

export class ModelGate {
  mode: GateMode | undefined;
  private error: string | undefined;
  private note: string | undefined;
  private dismissed = false;
  /** a models/download request of ours is waiting for the download to end */
  private waiting = false;
  private joined = false;
  private cancelled = false;
  private progress: ProgressView | undefined;
  private cancelButton: HTMLButtonElement | undefined;

  constructor(private readonly o: GateOptions) {
    o.store.subscribe(() => this.update());
  }

  private info(): ModelInfo | undefined {
    return this.o.store.get(this.o.modelId);
  }

  private computeMode(): GateMode {
    const { store } = this.o;
    if (!store.list) return store.error ? 'list-error' : 'loading';
    const info = this.info();
    if (!info) return 'list-error';
    if (info.state.kind === 'installed') return 'ready';
    if (info.state.kind === 'downloading' || this.waiting) return 'downloading';
    if (this.error) return 'error';
    return this.dismissed ? 'dismissed' : 'consent';
  }

  update(): void {
    const mode = this.computeMode();
    const info = this.info();
    // A download already running when the popup opened: join it (models/download joins a running download
    // of the same model) so this popup learns how it ends, including errors.
    if (mode === 'downloading' && !this.waiting && !this.joined) void this.download(true);
    if (mode === this.mode) {
      if (mode === 'downloading' && info) this.setProgress(info);
      return;
    }
    const previous = this.mode;
    this.mode = mode;
    this.render(mode, info);
    this.o.onMode(mode, previous);
  }

  private render(mode: GateMode, info: ModelInfo | undefined): void {
    const root = this.o.root;
    this.progress = undefined;
    this.cancelButton = undefined;
    root.dataset.mode = mode;
    switch (mode) {
      case 'loading':
        replaceChildren(root, h('div', { class: 'loading muted small' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'));
        return;
      case 'list-error': {
        const message = this.o.store.error ? errorText(this.o.store.error) : `The model "${this.o.modelId}" is not in the model list. Pick another one in Settings.`;
        replaceChildren(
          root,
          notice('error', {
            title: 'Lens is not responding',
            body: message,
            attrs: { 'data-aid': 'error', 'data-testid': 'error' },
            actions: this.o.store.error ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => void this.o.store.refresh() }, 'Try again') : null,
          }),
        );
        return;
      }
      case 'ready':
        root.replaceChildren();
        return;
      case 'dismissed':
        replaceChildren(
          root,
          h(
            'div',
            { class: 'gate-dismissed', 'data-aid': 'consent-dismissed', 'data-testid': 'consent-dismissed' },
            h('span', { class: 'muted' }, `Lens needs ${info?.name ?? 'its model'} to ${this.o.purpose}.`),
            ' ',
            h('button', { type: 'button', class: 'link-btn', onclick: () => this.reopen() }, 'Download…'),
          ),
        );
        return;
      case 'downloading':
        this.renderDownloading(info);
        return;
      case 'consent':
      case 'error':
        this.renderConsent(info, mode === 'error');
        return;
    }
  }

  private renderConsent(info: ModelInfo | undefined, failed: boolean): void {
    if (!info) return;
    const hub = this.o.store.list?.hubBaseUrl ?? '';
    const download = h(
      'button',
      { type: 'button', class: 'btn btn-primary', 'data-aid': 'download', 'data-testid': 'download', onclick: () => void this.download(false) },
      icon('download'),
      failed ? 'Retry' : `Download · ${formatBytes(info.approxBytes)}`,
    );
    const card = h(
      'section',
      { class: 'consent card', 'data-aid': 'consent', 'data-testid': 'consent', 'aria-labelledby': `consent-title-${info.id}` },
      failed
        ? notice('error', { title: 'The download did not finish', body: this.error ?? '', attrs: { 'data-aid': 'download-error', 'data-testid': 'download-error' } })
        : h('p', { class: 'eyebrow' }, 'One-time setup'),
      h(
        'div',
        { class: 'consent-head' },
        h('div', { class: 'model-icon' }, icon('box')),
        h('div', null, h('h2', { class: 'consent-title', id: `consent-title-${info.id}` }, info.name), h('p', { class: 'muted' }, info.description)),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Size'),
        h('dd', { 'data-testid': 'consent-size' }, formatBytes(info.approxBytes)),
        h('dt', null, 'From'),
        h('dd', { class: 'mono', 'data-testid': 'consent-origin' }, modelOrigin(hub, info)),
        h('dt', null, 'License'),
        h('dd', { 'data-testid': 'consent-license' }, info.license),
        h('dt', null, 'Verified'),
        h('dd', { 'data-testid': 'consent-pin', 'data-tier': info.pin.tier }, info.pin.text),
        info.reported ? [h('dt', null, 'Reported'), h('dd', { 'data-testid': 'consent-reported' }, reportedText(info.reported))] : null,
      ),
      h('p', { class: 'privacy' }, icon('shield'), 'Downloaded once, stored on this device; nothing you read or ask leaves it.'),
      this.note ? h('p', { class: 'muted small', 'data-testid': 'download-note' }, this.note) : null,
      importHint(failed),
      h(
        'div',
        { class: 'consent-actions' },
        download,
        h('button', { type: 'button', class: 'btn', 'data-aid': 'not-now', 'data-testid': 'not-now', onclick: () => this.dismiss() }, 'Not now'),
      ),
    );
    replaceChildren(this.o.root, card);
  }

  private renderDownloading(info: ModelInfo | undefined): void {
    this.progress = progressView({ label: 'Download progress' });
    this.progress.el.dataset.aid = 'download-progress';
    this.progress.el.dataset.testid = 'download-progress';
    this.cancelButton = h('button', { type: 'button', class: 'btn btn-sm', 'data-aid': 'cancel-download', 'data-testid': 'cancel-download', onclick: () => void this.cancel() }, 'Cancel');
    replaceChildren(
      this.o.root,
      h(
        'section',
        { class: 'downloading card', 'data-aid': 'downloading', 'data-testid': 'downloading' },
        h('div', { class: 'consent-head' }, h('div', { class: 'model-icon' }, icon('download')), h('div', null, h('h2', { class: 'consent-title' }, `Downloading ${info?.name ?? 'the model'}`), h('p', { class: 'muted small' }, 'Stored on this device once it is done. The download goes on if you close this popup.'))),
        this.progress.el,
        h('div', { class: 'consent-actions end' }, this.cancelButton),
      ),
    );
    if (info) this.setProgress(info);
  }

  private setProgress(info: ModelInfo): void {
    if (!this.progress) return;
    const s = info.state.kind === 'downloading' ? info.state : { step: 'download' as const, loaded: 0, total: undefined };
    const { label, detail } = installProgressText(s);
    this.progress.set(s.loaded, s.total, label, detail);
  }

  private dismiss(): void {
    this.dismissed = true;
    this.error = undefined;
    this.update();
  }

  private reopen(): void {
    this.dismissed = false;
    this.update();
    this.o.root.querySelector<HTMLButtonElement>('[data-testid="download"]')?.focus();
  }

  private async download(_join: boolean): Promise<void> {
    if (this.waiting) return;
    this.waiting = true;
    this.joined = true;
    this.error = undefined;
    this.note = undefined;
    this.cancelled = false;
    this.update();
    this.cancelButton?.focus();
    try {
      const { installed } = await sendToBackground({ type: 'models/download', modelId: this.o.modelId });
      this.waiting = false;
      this.o.store.put(installed);
    } catch (err) {
      this.waiting = false;
      if (this.cancelled) this.note = 'Download cancelled.';
      else this.error = errorText(err);
      // progress events said "downloading"; the list will confirm, but don't keep showing the bar meanwhile
      this.o.store.setState(this.o.modelId, { kind: 'absent' });
      void this.o.store.refresh();
    } finally {
      this.update();
    }
  }

  private async cancel(): Promise<void> {
    this.cancelled = true;
    if (this.cancelButton) {
      this.cancelButton.disabled = true;
      this.cancelButton.textContent = 'Cancelling…';
    }
    try {
      await sendToBackground({ type: 'models/cancel-download', modelId: this.o.modelId });
    } catch (err) {
      this.cancelled = false;
      this.error = errorText(err);
      this.update();
    }
  }
}

/** Without network (or a hub that refuses), a model folder already on disk is the way in: say how. */
function importHint(failed: boolean): HTMLElement {
  return h(
    'p',
    { class: `import-hint small${failed ? '' : ' muted'}`, 'data-testid': 'import-hint' },
    failed ? 'No network, or the hub refuses? ' : 'Offline? ',
    "Copy the model's folder from the address above to this computer (config.json, the tokenizer files, and an ONNX file, model.safetensors or pytorch_model.bin), then open ",
    h('button', { type: 'button', class: 'link-btn', 'data-testid': 'open-import', onclick: () => void browser.runtime.openOptionsPage() }, 'Settings'),
    ' and choose Import folder… on the model.',
  );
}
