// The Ask view: a question about the page (or the selection), answered on device; answers with their
// confidence (and page, in a PDF), the best one highlighted in the page, others highlighted on click. A tab
// showing a PDF is offered the Lens reader instead. In the side panel the view changes tabs (retarget()).
import { languageNoticeText } from '../shared/language.js';
import { newRequestId, sendToBackground, sendToBackgroundRaw } from '../shared/messaging.js';
import type { Answer, AskReply, PdfTabInfo, ProgressEvent, Scope } from '../shared/protocol.js';
import { partialReadText } from '../shared/read-limit.js';
import { byId, h, replaceChildren } from '../ui/dom.js';
import { barWidth, errorText, formatCount, formatMs, formatPercent, readShareText } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { notice } from '../ui/notice.js';
import { progressView } from '../ui/progress.js';
import type { PopupContext } from './context.js';
import { ModelGate, type GateMode } from './gate.js';
import { LostRequest, askResilient } from './resilient-ask.js';

interface Running {
  /** the current attempt's id (a retry after the background was restarted gets a new one) */
  requestId: string;
  attempt: number;
  cancelled: boolean;
}

export class AskView {
  private readonly form = byId<HTMLFormElement>('ask-form');
  private readonly question = byId<HTMLInputElement>('question');
  private readonly askButton = byId<HTMLButtonElement>('ask');
  private readonly questionError = byId('question-error');
  private readonly scopeLine = byId('scope');
  private readonly status = byId('ask-status');
  private readonly result = byId('ask-result');
  private readonly announcer = byId('ask-announce');
  private readonly gateRoot = byId('ask-gate');
  private readable = false;
  private scope: Scope = 'page';
  /** counts the tabs this view was pointed at: a question's reply renders only if its tab is still the one shown */
  private generation = 0;
  private running: Running | undefined;
  private gate: ModelGate | undefined;
  private gateMode: GateMode | undefined;
  /** the Ask view is the one on screen */
  private shown = false;
  /** the page was asked to be read ahead of the first question (once per popup and tab) */
  private prepared = false;

  constructor(private readonly ctx: PopupContext) {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.ask();
    });
    this.question.addEventListener('input', () => this.setQuestionError(undefined));
    // ArrowDown from the question goes to the answers (then arrows move between them)
    this.question.addEventListener('keydown', (e) => {
      const current = this.result.querySelector<HTMLButtonElement>('[data-testid="answer"][tabindex="0"]');
      if (e.key === 'ArrowDown' && current) {
        e.preventDefault();
        current.focus();
      }
    });
    this.applyTab();
  }

  /** The side panel moved to another tab (ctx.tabId, ctx.tab): this view starts over for it. */
  retarget(): void {
    this.applyTab();
  }

  private applyTab(): void {
    const ctx = this.ctx;
    this.generation++;
    this.readable = ctx.tabId !== undefined && ctx.tab.readable;
    this.scope = ctx.tab.selectionLength > 0 ? 'selection' : 'page';
    this.prepared = false;
    delete this.scopeLine.dataset.prepared;
    this.result.replaceChildren();
    delete this.result.dataset.attempts;
    this.announcer.textContent = '';
    this.setQuestionError(undefined);
    // a question still being answered for the tab before: its answer goes to that tab's history, not here
    if (this.running) replaceChildren(this.status, h('p', { class: 'muted small', 'data-testid': 'answering-elsewhere' }, 'Still answering your question about the previous tab; its answer goes to that tab’s history.'));
    byId('ask-notices').replaceChildren();
    this.gateRoot.hidden = !this.readable;
    if (!this.readable) {
      this.renderRestricted();
    } else if (!this.gate) {
      this.gate = new ModelGate({
        root: this.gateRoot,
        store: ctx.store,
        modelId: ctx.settings.qaModelId,
        purpose: 'answer questions about pages',
        onMode: (mode, previous) => this.onGate(mode, previous),
      });
      this.gate.update();
    } else if (this.gate.mode !== undefined) {
      // the gate is where it was: the form follows its mode again
      this.onGate(this.gate.mode, undefined);
    }
    this.renderScope();
  }

  /** The popup shows (or hides) this view. */
  setShown(on: boolean): void {
    this.shown = on;
    this.prepare();
  }

  /**
   * Once the user can ask about the page (this view shown, the model installed, no selection to answer from),
   * the page is read ahead, so the first question reuses that reading. It reads only: nothing is downloaded or
   * loaded. What happened lands in #scope's data-prepared (tests wait for it).
   */
  private prepare(): void {
    if (this.prepared || !this.shown || !this.readable || this.gateMode !== 'ready' || this.scope !== 'page' || this.ctx.tabId === undefined) return;
    this.prepared = true;
    const generation = this.generation;
    sendToBackground({ type: 'page/prepare', tabId: this.ctx.tabId })
      .then((r) => generation === this.generation && (this.scopeLine.dataset.prepared = r.reading))
      .catch(() => undefined);
  }

  /** Puts the cursor where the user starts. */
  focus(): void {
    if (!this.form.hidden && !this.question.disabled) this.question.focus();
  }

  private onGate(mode: GateMode, previous: GateMode | undefined): void {
    this.gateMode = mode;
    // a tab Lens cannot read keeps its disabled form (the gate lives on for the next tab)
    if (!this.readable) return;
    this.form.hidden = mode !== 'ready' && mode !== 'dismissed';
    this.setEnabled(mode === 'ready' && !this.running);
    if (mode === 'ready' && previous === 'downloading') this.question.focus();
    this.prepare();
  }

  private setEnabled(on: boolean): void {
    this.question.disabled = !on;
    this.askButton.disabled = !on;
  }

  private renderRestricted(): void {
    const reason = this.ctx.tab.reason ?? "Lens can't read this page.";
    const classifyInstead = h('button', { type: 'button', class: 'link-btn', onclick: () => this.ctx.switchView('classify') }, 'Classify typed text instead');
    const pdf = this.ctx.tab.pdf;
    replaceChildren(
      byId('ask-notices'),
      pdf
        ? this.pdfOffer(pdf)
        : notice('warn', {
            icon: 'lock',
            body: reason,
            attrs: { id: 'restricted', 'data-testid': 'restricted', role: 'status' },
            actions: classifyInstead,
          }),
    );
    this.form.hidden = false;
    this.setEnabled(false);
  }

  /**
   * A tab showing a PDF in the browser's viewer: open it in the Lens reader. Where the reader cannot fetch it (a
   * file:// PDF without file access, or in Firefox) the notice says why, and the reader opens to choose the file.
   */
  private pdfOffer(pdf: PdfTabInfo): HTMLElement {
    const open = h('button', { type: 'button', class: 'btn btn-primary', id: 'open-reader', 'data-testid': 'open-reader' }, pdf.openable ? 'Open in Lens reader' : 'Open the Lens reader');
    open.addEventListener('click', () => void this.openReader(open));
    return notice('info', {
      title: 'This tab shows a PDF.',
      body: pdf.openable ? 'Lens answers questions about it in its own reader, in this tab.' : (pdf.reason ?? "Lens can't fetch this PDF itself: choose the file in its reader."),
      attrs: { id: 'restricted', 'data-testid': 'pdf-offer', 'data-openable': String(pdf.openable), role: 'status' },
      actions: open,
    });
  }

  private async openReader(button: HTMLButtonElement): Promise<void> {
    if (this.ctx.tabId === undefined) return;
    button.disabled = true;
    byId('ask-notices').querySelector('[data-testid="reader-error"]')?.remove();
    try {
      await sendToBackground({ type: 'reader/open', tabId: this.ctx.tabId });
      // the toolbar popup has done its part; a page or the side panel stays (the panel follows the tab into the reader)
      if (this.ctx.surface === 'popup') window.close();
    } catch (err) {
      button.disabled = false;
      byId('ask-notices').append(h('p', { class: 'field-error', role: 'alert', 'data-testid': 'reader-error' }, `Could not open the reader: ${errorText(err)}`));
    }
  }

  private renderScope(): void {
    const n = this.ctx.tab.selectionLength;
    this.scopeLine.hidden = !this.readable;
    if (!this.readable) return;
    this.scopeLine.dataset.scope = this.scope;
    if (n <= 0) {
      replaceChildren(this.scopeLine, 'Answering from this page');
      return;
    }
    const toggle = h(
      'button',
      { type: 'button', class: 'link-btn', id: 'scope-toggle', 'data-testid': 'scope-toggle', 'aria-pressed': String(this.scope === 'page') },
      this.scope === 'selection' ? 'use whole page' : 'use selection',
    );
    toggle.addEventListener('click', () => {
      this.scope = this.scope === 'selection' ? 'page' : 'selection';
      this.renderScope();
      this.prepare();
      byId('scope-toggle').focus();
    });
    const chars = `${formatCount(n)} character${n === 1 ? '' : 's'}`;
    replaceChildren(
      this.scopeLine,
      h('span', null, this.scope === 'selection' ? `Answering from your selection (${chars})` : 'Answering from this page'),
      toggle,
    );
  }

  private setQuestionError(message: string | undefined): void {
    this.questionError.hidden = message === undefined;
    this.questionError.textContent = message ?? '';
    this.question.setAttribute('aria-invalid', String(message !== undefined));
  }

  private async ask(): Promise<void> {
    if (this.running || !this.readable || this.gateMode !== 'ready' || this.ctx.tabId === undefined) return;
    const question = this.question.value.trim();
    if (!question) {
      this.setQuestionError('Type a question first.');
      this.question.focus();
      return;
    }
    this.setQuestionError(undefined);
    const run: Running = { requestId: '', attempt: 0, cancelled: false };
    this.running = run;
    const generation = this.generation;
    // the side panel moved to another tab meanwhile: nothing of this question shows there
    const here = () => generation === this.generation;
    this.setEnabled(false);
    this.askButton.setAttribute('aria-busy', 'true');
    this.result.replaceChildren();
    this.announcer.textContent = '';

    const progress = progressView({ id: 'ask-progress', label: 'Answering' });
    progress.set(0, undefined, this.scope === 'selection' ? 'Reading your selection…' : 'Reading the page…');
    const cancel = h('button', { type: 'button', class: 'link-btn', id: 'cancel-ask', 'data-testid': 'cancel-ask' }, 'Cancel');
    cancel.addEventListener('click', () => {
      run.cancelled = true;
      cancel.disabled = true;
      void sendToBackground({ type: 'request/cancel', requestId: run.requestId }).catch(() => undefined);
    });
    replaceChildren(this.status, h('div', { class: 'running' }, progress.el, h('div', { class: 'running-actions' }, cancel)));
    const onProgress = (e: ProgressEvent) => {
      const detail = e.phase === 'read' && e.total ? `${formatCount(e.done)} of ${formatCount(e.total)}` : '';
      progress.set(e.done, e.phase === 'read' ? e.total : undefined, e.message ? `${e.message}…` : 'Working…', detail);
    };
    let off = () => {};
    const tabId = this.ctx.tabId;
    const scope = this.scope;

    try {
      // survives the browser stopping the background mid-answer: asked again once, then "ask again" (resilient-ask.ts)
      const reply = (await askResilient({
        newId: newRequestId,
        send: (requestId) => sendToBackgroundRaw({ type: 'qa/ask', requestId, tabId, question, scope }),
        status: async (requestId) => (await sendToBackground({ type: 'request/status', requestId })).state,
        onAttempt: (requestId, attempt, lost) => {
          Object.assign(run, { requestId, attempt });
          Object.assign(this.status.dataset, { attempt: String(attempt), requestId });
          off();
          off = this.ctx.hub.on(requestId, onProgress);
          if (lost === undefined) return;
          // the restarted background may still have the old job running in the offscreen document
          void sendToBackground({ type: 'request/cancel', requestId: lost }).catch(() => undefined);
          progress.set(0, undefined, 'Lens was restarted by the browser; asking again…');
        },
      })) as AskReply;
      if (here()) this.renderReply(reply);
    } catch (err) {
      if (!here()) {
        // nothing to show: the answer (or error) was about the tab before
      } else if (run.cancelled) {
        replaceChildren(this.result, h('p', { class: 'muted small cancelled', 'data-testid': 'cancelled' }, 'Cancelled.'));
        this.announcer.textContent = 'Cancelled.';
      } else if (err instanceof LostRequest) this.renderRestarted();
      else this.renderError(err);
    } finally {
      off();
      if (here()) this.result.dataset.attempts = String(run.attempt);
      delete this.status.dataset.attempt;
      delete this.status.dataset.requestId;
      this.running = undefined;
      this.status.replaceChildren();
      this.askButton.removeAttribute('aria-busy');
      this.setEnabled(this.readable && this.gateMode === 'ready');
      if (document.activeElement === document.body || document.activeElement === cancel) this.question.focus();
    }
  }

  private renderError(err: unknown): void {
    replaceChildren(this.result, notice('error', { title: 'Lens could not answer', body: errorText(err), attrs: { 'data-aid': 'error', 'data-testid': 'error' } }));
  }

  private renderRestarted(): void {
    const retry = h('button', { type: 'button', class: 'link-btn', 'data-testid': 'retry' }, 'Ask again');
    retry.addEventListener('click', () => void this.ask());
    replaceChildren(
      this.result,
      notice('error', {
        title: 'Lens was restarted by the browser',
        body: 'The answer to your question was lost on the way. Ask again.',
        actions: retry,
        attrs: { 'data-testid': 'restarted' },
      }),
    );
    this.announcer.textContent = 'Lens was restarted by the browser. Ask again.';
  }

  private renderReply(reply: AskReply): void {
    const what = reply.scope === 'selection' ? 'Your selection' : 'This page';
    if (reply.noText) {
      // nothing to read (e.g. only images): the model was not run
      replaceChildren(
        this.result,
        notice('info', {
          title: `${what} has no text to read`,
          body: 'Lens answers from the text on a page; this one seems to hold only images or other media.',
          attrs: { 'data-testid': 'no-text' },
        }),
      );
      this.announcer.textContent = `${what} has no text to read.`;
      return;
    }
    const parts: HTMLElement[] = [];
    if (reply.language) {
      parts.push(
        notice('info', {
          title: 'The model reads English',
          body: `${languageNoticeText(reply.language, reply.scope)} Answers may be missing or wrong.`,
          attrs: { 'data-testid': 'language-notice', 'data-language': reply.language.name ?? reply.language.script },
        }),
      );
    }
    const list = reply.answers.length ? this.answerList(reply) : undefined;
    if (reply.abstained || reply.answers.length === 0) {
      parts.push(
        h(
          'section',
          { class: 'no-answer card', id: 'no-answer', 'data-testid': 'no-answer', 'data-score': String(reply.noAnswerScore) },
          h('div', { class: 'no-answer-icon' }, icon('searchX')),
          h(
            'div',
            null,
            h('h2', { class: 'no-answer-title' }, reply.scope === 'selection' ? 'No answer in your selection' : 'No answer on this page'),
            h(
              'p',
              { class: 'muted small' },
              reply.abstained ? `The model is ${formatPercent(reply.noAnswerScore)} confident the ${reply.scope === 'selection' ? 'selection' : 'page'} does not answer this.` : 'Try asking in other words.',
            ),
          ),
        ),
      );
      if (list) {
        list.classList.add('possible');
        parts.push(h('div', { class: 'result-head' }, h('h3', { class: 'section-title' }, 'Possible answers'), h('span', { class: 'muted small' }, 'Click one to mark it on the page')), list);
      }
    } else if (list) {
      parts.push(h('div', { class: 'result-head' }, h('h2', { class: 'section-title' }, reply.answers.length === 1 ? 'Answer' : 'Answers'), h('span', { class: 'muted small' }, reply.answers.length > 1 ? 'Click one to mark it on the page' : '')), list);
      if (!reply.highlighted) parts.push(this.highlightNote('The answer could not be marked on the page (it may have changed since it was read).'));
    }
    const read = readShareText(reply.windowsRead, reply.pageTokensRead, reply.pageTokens);
    if (reply.partial) {
      parts.push(h('p', { class: 'result-meta muted small', 'data-testid': 'partial-read' }, `${partialReadText(reply.partial)} on this page: answers come from that part.`));
    }
    parts.push(h('p', { class: 'result-meta muted small', 'data-testid': 'ask-meta' }, [read, formatMs(reply.ms)].filter(Boolean).join(' · ')));
    // which part of the page the answer came from (plain text; the note is the content script's wording)
    if (reply.reading) parts.push(h('p', { class: 'result-reading muted small', 'data-testid': 'reading', 'data-reading': reply.reading.kind, 'data-reused': String(reply.reused === true) }, `Read: ${reply.reading.note}`));
    replaceChildren(this.result, parts);
    this.announcer.textContent = announcement(reply);
  }

  private highlightNote(text: string): HTMLElement {
    return h('p', { class: 'highlight-note small', id: 'highlight-note', 'data-testid': 'highlight-note', role: 'status' }, icon('info', 'icon icon-sm'), text);
  }

  private answerList(reply: AskReply): HTMLOListElement {
    const list = h('ol', { class: 'answers', id: 'answers', 'data-testid': 'answers', 'aria-label': 'Answers' });
    // the background highlighted the best answer unless it abstained
    let selected = reply.abstained || !reply.highlighted ? -1 : 0;
    const items = reply.answers.map((answer, i) => {
      const fill = h('div', { class: 'bar-fill' });
      fill.style.width = barWidth(answer.score);
      const button = h(
        'button',
        { type: 'button', class: 'answer', 'data-index': i, 'data-testid': 'answer', 'data-score': String(answer.score), 'aria-pressed': String(i === selected) },
        h('span', { class: 'answer-text' }, `“${answer.text}”`),
        h(
          'span',
          { class: answer.page !== undefined ? 'answer-meta has-page' : 'answer-meta' },
          answer.page !== undefined ? pageLabel(answer.page) : null,
          h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
          h('span', { class: 'pct', 'aria-label': `confidence ${formatPercent(answer.score)}` }, formatPercent(answer.score)),
          h('span', { class: 'badge badge-accent shown-badge' }, icon('marker', 'icon icon-xs'), 'On page'),
        ),
      );
      button.addEventListener('click', () => void pick(i));
      return h('li', null, button);
    });
    const buttons = () => items.map((li) => li.firstElementChild as HTMLButtonElement);
    // one answer in the Tab order (the marked one, else the first); arrow keys, Home and End move between them
    const focusable = (index: number) => buttons().forEach((b, j) => (b.tabIndex = j === index ? 0 : -1));
    list.addEventListener('keydown', (e) => {
      const all = buttons();
      const i = all.indexOf(e.target as HTMLButtonElement);
      if (i < 0) return;
      const next = e.key === 'ArrowDown' ? Math.min(i + 1, all.length - 1) : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? all.length - 1 : undefined;
      if (next === undefined) return;
      e.preventDefault();
      // ArrowUp from the first answer goes back to the question
      if (next < 0) {
        this.question.focus();
        return;
      }
      focusable(next);
      all[next].focus();
    });
    const mark = (index: number) => {
      selected = index;
      buttons().forEach((b, j) => b.setAttribute('aria-pressed', String(j === index)));
      focusable(index);
    };
    const pick = async (i: number) => {
      if (i === selected || this.ctx.tabId === undefined) return;
      const answer = reply.answers[i];
      const button = buttons()[i];
      button.classList.add('pending');
      this.result.querySelector('#highlight-note')?.remove();
      try {
        await sendToBackground({ type: 'qa/highlight', tabId: this.ctx.tabId, snapshotId: reply.snapshotId, start: answer.start, end: answer.end });
        mark(i);
      } catch (err) {
        list.after(this.highlightNote(`Could not mark this answer on the page: ${errorText(err)}`));
      } finally {
        button.classList.remove('pending');
      }
    };
    list.append(...items);
    focusable(Math.max(selected, 0));
    return list;
  }
}

/** One sentence for screen readers: the best answer and how sure the model is, or that there is none. */
function announcement(reply: AskReply): string {
  const where = reply.scope === 'selection' ? 'in your selection' : 'on this page';
  const n = reply.answers.length;
  if (reply.abstained || n === 0) return `No answer ${where}.${n ? ` ${n} possible answer${n === 1 ? '' : 's'} listed.` : ''}`;
  const best = reply.answers[0];
  const head = n === 1 ? 'Answer' : `${n} answers. Best`;
  return `${head}: ${best.text}, ${formatPercent(best.score)} confidence${pageText(best)}.${reply.highlighted ? ' Marked on the page.' : ''}`;
}

/** ", on page 3" for an answer in a paged document (a PDF), else nothing. */
function pageText(answer: Pick<Answer, 'page'>): string {
  return answer.page !== undefined ? `, on page ${answer.page}` : '';
}

/** "p. 3", read out as "page 3". */
export function pageLabel(page: number): HTMLElement {
  return h('span', { class: 'answer-page', 'data-testid': 'answer-page', 'data-page': page }, h('span', { 'aria-hidden': 'true' }, `p. ${page}`), h('span', { class: 'sr-only' }, `page ${page}`));
}
