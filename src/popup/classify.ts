// The Classify view: typed (or context-menu) text sorted into labels, in one of two modes picked at the top of
// the tab and remembered: Sentiment (the fine-tuned classifier; its own fixed labels) or Zero-shot (the NLI model;
// candidate labels the user chooses, remembered in settings). Each mode's model has its own consent/download gate.
import { newRequestId, sendToBackground } from '../shared/messaging.js';
import { CLASSIFY_MODES, type ClassifyMode, type ClassifyReply } from '../shared/protocol.js';
import { REGISTRY } from '../shared/registry.js';
import { classifyModelId, updateSettings } from '../shared/settings.js';
import { byId, h, replaceChildren } from '../ui/dom.js';
import { barWidth, errorText, formatMs, formatPercent } from '../ui/format.js';
import { modelOrigin, reportedText } from '../ui/models.js';
import { notice } from '../ui/notice.js';
import { progressView } from '../ui/progress.js';
import type { PopupContext } from './context.js';
import { ModelGate, type GateMode } from './gate.js';
import { LabelsEditor } from './labels.js';

interface Running {
  requestId: string;
  cancelled: boolean;
}

const PURPOSE: Record<ClassifyMode, string> = { sentiment: 'tell the sentiment of text', 'zero-shot': 'sort text into your labels' };

export class ClassifyView {
  private readonly form = byId<HTMLFormElement>('classify-form');
  private readonly text = byId<HTMLTextAreaElement>('classify-text');
  private readonly textError = byId('classify-text-error');
  private readonly button = byId<HTMLButtonElement>('classify');
  private readonly multi = byId<HTMLInputElement>('multi-label');
  private readonly labelsGroup = byId('labels-group');
  private readonly modeHint = byId('classify-mode-hint');
  private readonly modelFacts = byId('classify-model-facts');
  private readonly status = byId('classify-status');
  private readonly result = byId('classify-result');
  private readonly announcer = byId('classify-announce');
  private readonly radios: HTMLInputElement[];
  private readonly labels: LabelsEditor;
  /** one gate per mode, each with its own root; only the current mode's root is in the document */
  private readonly gates = new Map<ClassifyMode, { gate: ModelGate; root: HTMLElement }>();
  /** labels a sentiment model reported, when the registry does not list them (known after one run) */
  private sentimentLabels: string[] | undefined;
  private mode: ClassifyMode;
  private running: Running | undefined;

  constructor(
    private readonly ctx: PopupContext,
    initialText: string,
  ) {
    this.mode = ctx.settings.classifyMode;
    this.text.value = initialText;

    this.labels = new LabelsEditor(byId('labels'), byId<HTMLInputElement>('label-input'), byId('labels-error'), ctx.settings.zeroShotLabels, async (labels) => {
      await updateSettings({ zeroShotLabels: labels });
    });
    this.multi.checked = ctx.settings.multiLabel;
    this.multi.addEventListener('change', () => {
      void updateSettings({ multiLabel: this.multi.checked }).catch(() => undefined);
    });

    this.radios = [...document.querySelectorAll<HTMLInputElement>('input[name="classify-mode"]')];
    for (const radio of this.radios) {
      radio.checked = radio.value === this.mode;
      radio.addEventListener('change', () => {
        if (radio.checked && CLASSIFY_MODES.includes(radio.value as ClassifyMode)) void this.switchMode(radio.value as ClassifyMode);
      });
    }

    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.classify();
    });
    this.text.addEventListener('keydown', (e) => {
      // Enter classifies, Shift+Enter starts a new line (as in chat boxes)
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.text.addEventListener('input', () => this.setTextError(undefined));

    const placeholder = byId('classify-gate');
    for (const mode of CLASSIFY_MODES) {
      const root = mode === this.mode ? placeholder : h('div', { class: 'gate', id: 'classify-gate' });
      root.dataset.classifyMode = mode;
      const gate = new ModelGate({
        root,
        store: ctx.store,
        modelId: classifyModelId(ctx.settings, mode),
        purpose: PURPOSE[mode],
        onMode: (gateMode, previous) => {
          if (mode === this.mode) this.onGate(gateMode, previous);
        },
      });
      this.gates.set(mode, { gate, root });
    }
    this.showMode();
    ctx.store.subscribe(() => this.showModelFacts());
    for (const { gate } of this.gates.values()) gate.update();
  }

  focus(): void {
    if (!this.form.hidden && !this.text.disabled) this.text.focus();
  }

  private get gate(): ModelGate {
    const g = this.gates.get(this.mode);
    if (!g) throw new Error(`no gate for ${this.mode}`);
    return g.gate;
  }

  private async switchMode(mode: ClassifyMode): Promise<void> {
    if (mode === this.mode) return;
    const from = this.gates.get(this.mode)?.root;
    const to = this.gates.get(mode)?.root;
    this.mode = mode;
    if (from && to) from.replaceWith(to);
    this.result.replaceChildren();
    this.setTextError(undefined);
    this.showMode();
    if (this.gate.mode) this.onGate(this.gate.mode, undefined);
    try {
      await updateSettings({ classifyMode: mode });
      // the background loads the mode's model (if installed) while the user types
      await sendToBackground({ type: 'models/prewarm', task: 'classify' });
    } catch {
      // remembering the mode and prewarming are conveniences: the popup works without them
    }
  }

  /** The parts of the form that depend on the mode: the labels editor, and what the mode does. */
  private showMode(): void {
    const zeroShot = this.mode === 'zero-shot';
    this.labelsGroup.hidden = !zeroShot;
    this.form.dataset.classifyMode = this.mode;
    this.showModelFacts();
    if (zeroShot) {
      this.modeHint.textContent = 'Sorts text into labels you choose.';
      return;
    }
    const entry = REGISTRY.find((m) => m.id === this.ctx.settings.sentimentModelId);
    const labels = entry?.labels?.length ? entry.labels : this.sentimentLabels;
    this.modeHint.textContent = labels ? `Labels set by the model: ${labels.join(', ')}.` : 'Labels set by the model.';
  }

  /**
   * Which model the mode runs, under what licence, from where, and what its publisher reports for it; shown with
   * the form (the consent card says all this itself).
   */
  private showModelFacts(): void {
    const info = this.ctx.store.get(classifyModelId(this.ctx.settings, this.mode));
    const gateMode = this.gates.get(this.mode)?.gate.mode;
    const withForm = gateMode === 'ready' || gateMode === 'dismissed';
    this.modelFacts.hidden = !info || !withForm;
    if (!info) return;
    const hub = this.ctx.store.list?.hubBaseUrl ?? '';
    this.modelFacts.textContent = [info.name, info.license, ...(info.reported ? [reportedText(info.reported)] : []), modelOrigin(hub, info)].join(' · ');
  }

  private onGate(mode: GateMode, previous: GateMode | undefined): void {
    this.form.hidden = mode !== 'ready' && mode !== 'dismissed';
    this.showModelFacts();
    this.button.disabled = mode !== 'ready' || this.running !== undefined;
    if (mode === 'ready' && previous === 'downloading') this.text.focus();
  }

  private setTextError(message: string | undefined): void {
    this.textError.hidden = message === undefined;
    this.textError.textContent = message ?? '';
    this.text.setAttribute('aria-invalid', String(message !== undefined));
  }

  private setRunning(run: Running | undefined): void {
    this.running = run;
    // a reply belongs to the mode it was asked in: no switching while one is on its way
    for (const radio of this.radios) radio.disabled = run !== undefined;
  }

  private async classify(): Promise<void> {
    if (this.running || this.gate.mode !== 'ready') return;
    const text = this.text.value.trim();
    if (!text) {
      this.setTextError('Type or paste some text to classify.');
      this.text.focus();
      return;
    }
    this.setTextError(undefined);
    const mode = this.mode;
    let labels: string[] | undefined;
    let multiLabel: boolean | undefined;
    if (mode === 'zero-shot') {
      this.labels.commitPending();
      labels = this.labels.validate();
      if (!labels) return;
      multiLabel = this.multi.checked;
    }
    const run: Running = { requestId: newRequestId(), cancelled: false };
    this.setRunning(run);
    this.button.disabled = true;
    this.button.setAttribute('aria-busy', 'true');
    this.result.replaceChildren();
    this.announcer.textContent = '';

    const progress = progressView({ id: 'classify-progress', label: 'Classifying' });
    progress.set(0, undefined, 'Classifying…');
    const cancel = h('button', { type: 'button', class: 'link-btn', id: 'cancel-classify', 'data-testid': 'cancel-classify' }, 'Cancel');
    cancel.addEventListener('click', () => {
      run.cancelled = true;
      cancel.disabled = true;
      void sendToBackground({ type: 'request/cancel', requestId: run.requestId }).catch(() => undefined);
    });
    replaceChildren(this.status, h('div', { class: 'running' }, progress.el, h('div', { class: 'running-actions' }, cancel)));
    const off = this.ctx.hub.on(run.requestId, (e) => progress.set(e.done, e.total, e.message ? `${e.message}…` : 'Classifying…'));

    try {
      const reply = await sendToBackground({ type: 'classify/run', requestId: run.requestId, text, mode, labels, multiLabel });
      if (!reply.zeroShot && !this.sentimentLabels) {
        // the model's label order (its id2label), before sorting by score
        this.sentimentLabels = reply.scores.map((s) => s.label);
        this.showMode();
      }
      this.renderReply(reply, multiLabel === true);
    } catch (err) {
      if (run.cancelled) replaceChildren(this.result, h('p', { class: 'muted small cancelled', 'data-testid': 'cancelled' }, 'Cancelled.'));
      else replaceChildren(this.result, notice('error', { title: 'Lens could not classify this', body: errorText(err), attrs: { 'data-aid': 'error', 'data-testid': 'error' } }));
    } finally {
      off();
      this.setRunning(undefined);
      this.status.replaceChildren();
      this.button.removeAttribute('aria-busy');
      this.button.disabled = this.gate.mode !== 'ready';
    }
  }

  private renderReply(reply: ClassifyReply, multiLabel: boolean): void {
    const scores = [...reply.scores].sort((a, b) => b.score - a.score);
    const rows = scores.map((s, i) =>
      h(
        'div',
        { class: `score-row${i === 0 ? ' top' : ''}`, role: 'listitem', 'data-index': i, 'data-label': s.label, 'data-score': String(s.score), 'data-testid': 'score-row' },
        h('span', { class: 'score-label', title: s.label }, s.label),
        (() => {
          const fill = h('div', { class: 'bar-fill' });
          fill.style.width = barWidth(s.score);
          return h('div', { class: 'bar', 'aria-hidden': 'true' }, fill);
        })(),
        h('span', { class: 'pct' }, formatPercent(s.score)),
      ),
    );
    const kind = reply.zeroShot ? (multiLabel ? 'Zero-shot · each label on its own' : 'Zero-shot') : 'Sentiment';
    // for screen readers: the labels best first, as one sentence
    this.announcer.textContent = `Result: ${scores.slice(0, 3).map((x) => `${x.label} ${formatPercent(x.score)}`).join(', ')}${scores.length > 3 ? `, and ${scores.length - 3} more` : ''}.`;
    replaceChildren(
      this.result,
      h(
        'section',
        { class: 'scores card', 'aria-labelledby': 'scores-title', 'data-classify-mode': reply.mode },
        h('div', { class: 'result-head' }, h('h2', { class: 'section-title', id: 'scores-title' }, 'Result'), h('span', { class: 'muted small', 'data-testid': 'classify-meta' }, `${kind} · ${formatMs(reply.ms)}`)),
        h('div', { id: 'scores', 'data-testid': 'scores', role: 'list' }, rows),
      ),
    );
  }
}
