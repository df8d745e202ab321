// One model in the options page: what it is, its install state, and Download / Remove / Import folder.
// Built once per model and updated in place, so progress events move the bar without stealing focus.
import { sendToBackground } from '../shared/messaging.js';
import { checkModelFolder } from '../shared/model-files.js';
import { storeImportedFiles } from '../shared/model-store.js';
import { precisionText } from '../shared/precision.js';
import type { ModelInfo } from '../shared/protocol.js';
import { registryEntry } from '../shared/registry.js';
import { h, replaceChildren, type Child } from '../ui/dom.js';
import { errorText, formatBytes, formatBytesProgress, formatDate } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { installProgressText, repoAt, reportedText, sourceLabel, taskLabel, type ModelsStore } from '../ui/models.js';
import { notice } from '../ui/notice.js';
import { progressView, type ProgressView } from '../ui/progress.js';
import { readFolder, relativePath } from './import-folder.js';

type Busy = { kind: 'import'; step: string; done: number; total: number | undefined } | { kind: 'remove-confirm' } | { kind: 'removing' };

export class ModelCard {
  readonly el: HTMLElement;
  private readonly stateBadge = h('span', { class: 'badge', 'data-testid': 'model-state' });
  private readonly defaultBadge = h('span', { class: 'badge badge-accent', 'data-testid': 'model-default', hidden: true });
  private readonly body = h('div', { class: 'model-state' });
  private readonly actions = h('div', { class: 'model-actions' });
  private readonly errorBox = h('div', { class: 'model-error' });
  /** facts a first install changes (the commit it pinned) */
  private readonly repo = h('dd', { class: 'mono', 'data-testid': 'model-repo' });
  private readonly pin = h('dd', { 'data-testid': 'model-pin' });
  private readonly fileInput: HTMLInputElement;
  private info: ModelInfo;
  private busy: Busy | undefined;
  private progress: ProgressView | undefined;
  private renderedKey = '';
  private cancelling = false;

  constructor(
    info: ModelInfo,
    private readonly store: ModelsStore,
  ) {
    this.info = info;
    this.fileInput = h('input', {
      type: 'file',
      class: 'sr-only',
      tabindex: -1,
      'aria-hidden': 'true',
      webkitdirectory: true,
      multiple: true,
      id: `import-${info.id}`,
      'data-testid': 'import-input',
    });
    this.fileInput.addEventListener('change', () => void this.importPicked());
    this.el = h(
      'article',
      { class: 'model card', 'data-model-id': info.id, 'data-testid': 'model', 'aria-labelledby': `model-name-${info.id}` },
      h(
        'div',
        { class: 'model-head' },
        h('div', { class: 'model-icon' }, icon('box')),
        h(
          'div',
          { class: 'model-title' },
          h('h3', { id: `model-name-${info.id}` }, info.name),
          h('div', { class: 'model-badges' }, h('span', { class: 'badge' }, taskLabel(info.task)), this.defaultBadge),
        ),
        this.stateBadge,
      ),
      h('p', { class: 'muted model-desc' }, info.description),
      h(
        'dl',
        { class: 'model-facts' },
        h('div', null, h('dt', null, 'Repository'), this.repo),
        h('div', null, h('dt', null, 'Download size'), h('dd', null, `about ${formatBytes(info.approxBytes)}`)),
        h('div', null, h('dt', null, 'License'), h('dd', { 'data-testid': 'model-license' }, info.license)),
        h('div', null, h('dt', null, 'Verified'), this.pin),
        info.reported ? h('div', null, h('dt', null, 'Reported'), h('dd', { 'data-testid': 'model-reported' }, reportedText(info.reported))) : null,
      ),
      this.body,
      this.errorBox,
      this.actions,
      this.fileInput,
    );
    this.render();
  }

  setDefaultFor(role: string | undefined): void {
    this.defaultBadge.hidden = !role;
    this.defaultBadge.textContent = role ? `Default for ${role}` : '';
  }

  update(info: ModelInfo): void {
    this.info = info;
    this.render();
  }

  private key(): string {
    const s = this.info.state;
    const busy = this.busy?.kind ?? '';
    return `${s.kind}|${s.kind === 'installed' ? `${s.source}|${s.installedAt}|${s.precision ? precisionText(s.precision) : ''}` : ''}|${busy}`;
  }

  private render(): void {
    const s = this.info.state;
    this.repo.textContent = repoAt(this.info);
    this.pin.textContent = this.info.pin.text;
    this.pin.dataset.tier = this.info.pin.tier;
    this.el.dataset.state = this.busy?.kind === 'import' ? 'importing' : s.kind;
    this.stateBadge.className = `badge ${s.kind === 'installed' ? 'badge-ok' : s.kind === 'downloading' ? 'badge-accent' : ''}`;
    this.stateBadge.textContent = this.busy?.kind === 'import' ? 'Importing' : s.kind === 'installed' ? 'Installed' : s.kind === 'downloading' ? 'Downloading' : 'Not installed';

    const key = this.key();
    if (key === this.renderedKey) {
      this.setProgress();
      return;
    }
    const hadFocus = this.el.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.action : undefined;
    this.renderedKey = key;
    this.progress = undefined;
    const id = this.info.id;
    const action = (name: string, label: Child, cls: string, onclick: () => void, extra: Record<string, string> = {}) =>
      h('button', { type: 'button', class: `btn btn-sm ${cls}`, id: `${name}-${id}`, 'data-action': name, 'data-testid': name, onclick, ...extra }, label);

    const importButton = action('import', [icon('folder'), 'Import folder…'], '', () => this.fileInput.click(), { title: 'Use a model folder already on this computer (config.json, tokenizer files, and an ONNX file, model.safetensors or pytorch_model.bin)' });

    if (this.busy?.kind === 'import') {
      this.progress = progressView({ label: `Import of ${this.info.name}` });
      this.progress.el.dataset.testid = 'import-progress';
      replaceChildren(this.body, this.progress.el);
      replaceChildren(this.actions);
    } else if (s.kind === 'downloading') {
      this.progress = progressView({ label: `Download of ${this.info.name}` });
      this.progress.el.dataset.testid = 'download-progress';
      this.progress.el.id = `download-progress-${id}`;
      replaceChildren(this.body, this.progress.el);
      this.cancelling = false;
      replaceChildren(this.actions, action('cancel-download', 'Cancel download', '', () => void this.cancel()));
    } else if (this.busy?.kind === 'remove-confirm' || this.busy?.kind === 'removing') {
      const size = s.kind === 'installed' ? ` (${formatBytes(s.bytes)})` : '';
      replaceChildren(this.body, h('p', { class: 'confirm-line', role: 'status' }, `Remove ${this.info.name}${size} from this device? You can download or import it again later.`));
      const removing = this.busy.kind === 'removing';
      replaceChildren(
        this.actions,
        action('confirm-remove', removing ? 'Removing…' : 'Remove', 'btn-danger-solid', () => void this.remove(), removing ? { disabled: 'true' } : {}),
        action('cancel-remove', 'Keep', '', () => this.setBusy(undefined), removing ? { disabled: 'true' } : {}),
      );
    } else if (s.kind === 'installed') {
      replaceChildren(
        this.body,
        h('p', { class: 'installed-line', 'data-testid': 'installed-line' }, icon('check', 'icon icon-ok'), `${sourceLabel(s.source)} · ${formatBytes(s.bytes)} · ${formatDate(s.installedAt)}`),
        s.precision ? h('p', { class: 'muted small', 'data-testid': 'model-precision', 'data-precision': s.precision.precision }, `Runs ${precisionText(s.precision)}`) : null,
      );
      replaceChildren(
        this.actions,
        s.source === 'bundled'
          ? h('span', { class: 'muted small' }, 'Part of the extension package')
          : [action('remove', [icon('trash'), 'Remove'], 'btn-danger', () => this.setBusy({ kind: 'remove-confirm' })), importButton],
      );
    } else {
      replaceChildren(this.body);
      replaceChildren(this.actions, action('download', [icon('download'), `Download · ${formatBytes(this.info.approxBytes)}`], 'btn-primary', () => void this.download()), importButton);
    }
    this.setProgress();
    if (hadFocus) {
      const again = this.actions.querySelector<HTMLElement>(`[data-action="${hadFocus}"]`) ?? this.actions.querySelector<HTMLElement>('button');
      again?.focus();
    }
  }

  private setProgress(): void {
    if (!this.progress) return;
    const s = this.info.state;
    if (this.busy?.kind === 'import' && s.kind !== 'downloading') {
      const b = this.busy;
      this.progress.set(b.done, b.total, b.step, b.total ? formatBytesProgress(b.done, b.total) : '');
      return;
    }
    // a download, or the background completing an import (the int8 step)
    if (s.kind !== 'downloading') return;
    const { label, detail } = installProgressText(s);
    this.progress.set(s.loaded, s.total, this.cancelling ? 'Cancelling…' : label, detail);
  }

  private setBusy(busy: Busy | undefined): void {
    this.busy = busy;
    this.render();
    if (busy?.kind === 'remove-confirm') this.actions.querySelector<HTMLButtonElement>('[data-action="cancel-remove"]')?.focus();
  }

  private setError(title: string | undefined, err?: unknown): void {
    replaceChildren(this.errorBox, title ? notice('error', { title, body: errorText(err), attrs: { 'data-testid': 'model-error' } }) : null);
  }

  private async download(): Promise<void> {
    this.setError(undefined);
    this.store.setState(this.info.id, { kind: 'downloading', step: 'download', loaded: 0, total: undefined });
    try {
      const { installed } = await sendToBackground({ type: 'models/download', modelId: this.info.id });
      this.store.put(installed);
    } catch (err) {
      if (!this.cancelling) this.setError('The download did not finish', err);
      this.cancelling = false;
      this.store.setState(this.info.id, { kind: 'absent' });
      void this.store.refresh();
    }
  }

  private async cancel(): Promise<void> {
    this.cancelling = true;
    this.setProgress();
    const button = this.actions.querySelector<HTMLButtonElement>('[data-action="cancel-download"]');
    if (button) button.disabled = true;
    try {
      await sendToBackground({ type: 'models/cancel-download', modelId: this.info.id });
    } catch (err) {
      this.cancelling = false;
      if (button) button.disabled = false;
      this.setError('Could not cancel the download', err);
    }
  }

  private async remove(): Promise<void> {
    this.setBusy({ kind: 'removing' });
    try {
      await sendToBackground({ type: 'models/remove', modelId: this.info.id });
      this.busy = undefined;
      this.store.setState(this.info.id, { kind: 'absent' });
      this.setError(undefined);
    } catch (err) {
      this.setBusy(undefined);
      this.setError('Could not remove the model', err);
    }
    void this.store.refresh();
  }

  private async importPicked(): Promise<void> {
    const files = [...(this.fileInput.files ?? [])];
    this.fileInput.value = '';
    if (files.length === 0) return;
    this.setError(undefined);
    const step = (name: string, done: number, total: number | undefined) => {
      this.busy = { kind: 'import', step: name, done, total };
      this.render();
    };
    try {
      // refuse a folder that is no model (e.g. PyTorch pickles only) before reading hundreds of MB of it
      checkModelFolder(files.map(relativePath));
      step('Reading the folder', 0, undefined);
      const read = await readFolder(files, (done, total) => step('Reading the folder', done, total));
      step('Storing on this device', 0, undefined);
      const stored = await storeImportedFiles(registryEntry(this.info.id), read, (done, total) => step('Storing on this device', done, total));
      step('Checking that the model loads', 0, undefined);
      const { installed } = await sendToBackground({ type: 'models/imported', modelId: this.info.id, files: stored });
      this.busy = undefined;
      this.store.put(installed);
      this.render();
    } catch (err) {
      this.busy = undefined;
      this.render();
      this.setError('Import failed', err);
      void this.store.refresh();
    }
  }
}
