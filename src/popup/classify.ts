// The Classify view: typed (or context-menu) text sorted into labels. With a zero-shot (NLI) model the user
// chooses the candidate labels, remembered in settings; with a fine-tuned classifier its own labels apply.
import { newRequestId, sendToBackground } from '../shared/messaging.js';
import type { ClassifyReply } from '../shared/protocol.js';
import { REGISTRY } from '../shared/registry.js';
import { updateSettings } from '../shared/settings.js';
import { byId, h, replaceChildren } from '../ui/dom.js';
import { barWidth, errorText, formatMs, formatPercent } from '../ui/format.js';
import { notice } from '../ui/notice.js';
import { progressView } from '../ui/progress.js';
import type { PopupContext } from './context.js';
import { ModelGate, type GateMode } from './gate.js';
import { LabelsEditor } from './labels.js';

interface Running {
  requestId: string;
  cancelled: boolean;
}

export class ClassifyView {
  private readonly form = byId<HTMLFormElement>('classify-form');
  private readonly text = byId<HTMLTextAreaElement>('classify-text');
  private readonly textError = byId('classify-text-error');
  private readonly button = byId<HTMLButtonElement>('classify');
  private readonly multi = byId<HTMLInputElement>('multi-label');
  private readonly status = byId('classify-status');
  private readonly result = byId('classify-result');
  private readonly zeroShot: boolean;
  private readonly labels: LabelsEditor | undefined;
  private readonly gate: ModelGate;
  private gateMode: GateMode | undefined;
  private running: Running | undefined;

  constructor(
    private readonly ctx: PopupContext,
    initialText: string,
  ) {
    const entry = REGISTRY.find((m) => m.id === ctx.settings.classifyModelId);
    this.zeroShot = entry?.task === 'zero-shot';
    this.text.value = initialText;

    if (this.zeroShot) {
      byId('labels-group').hidden = false;
      this.labels = new LabelsEditor(byId('labels'), byId<HTMLInputElement>('label-input'), byId('labels-error'), ctx.settings.zeroShotLabels, async (labels) => {
        await updateSettings({ zeroShotLabels: labels });
      });
      this.multi.checked = ctx.settings.multiLabel;
      this.multi.addEventListener('change', () => {
        void updateSettings({ multiLabel: this.multi.checked }).catch(() => undefined);
      });
    } else if (entry?.labels?.length) {
      const line = byId('model-labels');
      line.hidden = false;
      line.textContent = `Labels: ${entry.labels.join(', ')}`;
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

    this.gate = new ModelGate({
      root: byId('classify-gate'),
      store: ctx.store,
      modelId: ctx.settings.classifyModelId,
      purpose: 'classify text',
      onMode: (mode, previous) => this.onGate(mode, previous),
    });
    this.gate.update();
  }

  focus(): void {
    if (!this.form.hidden && !this.text.disabled) this.text.focus();
  }

  private onGate(mode: GateMode, previous: GateMode | undefined): void {
    this.gateMode = mode;
    this.form.hidden = mode !== 'ready' && mode !== 'dismissed';
    this.button.disabled = mode !== 'ready' || this.running !== undefined;
    if (mode === 'ready' && previous === 'downloading') this.text.focus();
  }

  private setTextError(message: string | undefined): void {
    this.textError.hidden = message === undefined;
    this.textError.textContent = message ?? '';
    this.text.setAttribute('aria-invalid', String(message !== undefined));
  }

  private async classify(): Promise<void> {
    if (this.running || this.gateMode !== 'ready') return;
    const text = this.text.value.trim();
    if (!text) {
      this.setTextError('Type or paste some text to classify.');
      this.text.focus();
      return;
    }
    this.setTextError(undefined);
    let labels: string[] | undefined;
    if (this.labels) {
      this.labels.commitPending();
      labels = this.labels.validate();
      if (!labels) return;
    }
    const multiLabel = this.zeroShot ? this.multi.checked : undefined;
    const run: Running = { requestId: newRequestId(), cancelled: false };
    this.running = run;
    this.button.disabled = true;
    this.button.setAttribute('aria-busy', 'true');
    this.result.replaceChildren();

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
      const reply = await sendToBackground({ type: 'classify/run', requestId: run.requestId, text, labels, multiLabel });
      this.renderReply(reply, multiLabel === true);
    } catch (err) {
      if (run.cancelled) replaceChildren(this.result, h('p', { class: 'muted small cancelled', 'data-testid': 'cancelled' }, 'Cancelled.'));
      else replaceChildren(this.result, notice('error', { title: 'Lens could not classify this', body: errorText(err), attrs: { 'data-aid': 'error', 'data-testid': 'error' } }));
    } finally {
      off();
      this.running = undefined;
      this.status.replaceChildren();
      this.button.removeAttribute('aria-busy');
      this.button.disabled = this.gateMode !== 'ready';
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
    const kind = reply.zeroShot ? (multiLabel ? 'Zero-shot · each label on its own' : 'Zero-shot') : 'Classifier';
    replaceChildren(
      this.result,
      h(
        'section',
        { class: 'scores card', 'aria-labelledby': 'scores-title' },
        h('div', { class: 'result-head' }, h('h2', { class: 'section-title', id: 'scores-title' }, 'Result'), h('span', { class: 'muted small', 'data-testid': 'classify-meta' }, `${kind} · ${formatMs(reply.ms)}`)),
        h('div', { id: 'scores', 'data-testid': 'scores', role: 'list' }, rows),
      ),
    );
  }
}
