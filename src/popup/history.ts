// The tab's history of questions, under the Ask view's answer area (the background keeps it: history/list;
// src/background/history.ts). Each entry is a button: a click marks its best answer in the page again, or says
// why it cannot be (the page changed since). Kept current from event/history-changed, so the side panel shows
// an answer as it is recorded and a history cleared by a navigation.
import browser from 'webextension-polyfill';
import { sendToBackground } from '../shared/messaging.js';
import { isHistoryChangedEvent, type HistoryEntry } from '../shared/protocol.js';
import { byId, h, replaceChildren } from '../ui/dom.js';
import { errorText, formatPercent } from '../ui/format.js';
import { pageLabel } from './ask.js';
import type { PopupContext } from './context.js';

/** What the content script says when an answer's reading is gone (src/content: UNKNOWN_SNAPSHOT, PAGE_CHANGED). */
const PAGE_CHANGED = /earlier reading|has changed/i;

const timeOf = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export class HistoryView {
  private readonly root = byId('ask-history');
  private readonly list = byId('history-list');
  private readonly note = byId('history-note');
  /** counts refreshes: only the latest one's reply is shown */
  private seq = 0;
  /** the newest entry shown */
  private newest: string | undefined;

  constructor(private readonly ctx: PopupContext) {
    browser.runtime.onMessage.addListener((msg: unknown) => {
      if (isHistoryChangedEvent(msg) && msg.tabId === this.ctx.tabId) void this.refresh();
      // never answers: requests are the background's
      return undefined;
    });
  }

  /** Shows ctx.tabId's history (call again after the side panel changed tabs). */
  async refresh(): Promise<void> {
    const seq = ++this.seq;
    const tabId = this.ctx.tabId;
    let entries: HistoryEntry[] = [];
    if (tabId !== undefined) {
      try {
        entries = (await sendToBackground({ type: 'history/list', tabId })).entries;
      } catch {
        // no history to show is no loss: the view stays empty
      }
    }
    if (seq !== this.seq) return;
    const changedTab = this.root.dataset.tabId !== String(tabId ?? '');
    this.root.dataset.tabId = String(tabId ?? '');
    // another tab, or a new question (its answer is marked now): an earlier "Marked …" no longer holds
    if (changedTab || entries[0]?.id !== this.newest) this.setNote(undefined);
    this.newest = entries[0]?.id;
    this.render(entries);
  }

  private render(entries: HistoryEntry[]): void {
    // keep the focus on the entry that had it (a new answer adds one above it)
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('[data-entry-id]')?.dataset.entryId;
    this.root.hidden = entries.length === 0;
    this.root.dataset.count = String(entries.length);
    replaceChildren(
      this.list,
      entries.map((entry) => h('li', null, this.entryButton(entry))),
    );
    if (focused) this.list.querySelector<HTMLElement>(`[data-entry-id="${CSS.escape(focused)}"]`)?.focus();
  }

  private entryButton(entry: HistoryEntry): HTMLButtonElement {
    const best = entry.answers[0];
    const markable = best !== undefined;
    const answerLine = entry.noText
      ? h('span', { class: 'history-answer muted' }, 'No text to read')
      : !best
        ? h('span', { class: 'history-answer muted' }, 'No answer')
        : h(
            'span',
            { class: 'history-answer' },
            h('span', { class: 'sr-only' }, entry.abstained ? 'Possible answer: ' : 'Answer: '),
            h('span', { class: 'history-answer-text' }, `“${best.text}”`),
            best.page !== undefined ? pageLabel(best.page) : null,
            h('span', { class: 'history-meta muted' }, entry.abstained ? `possible · ${formatPercent(best.score)}` : formatPercent(best.score)),
          );
    const button = h(
      'button',
      {
        type: 'button',
        class: 'history-entry',
        'data-testid': 'history-entry',
        'data-entry-id': entry.id,
        'data-scope': entry.scope,
        'aria-describedby': markable ? 'history-hint' : null,
        'aria-disabled': markable ? null : 'true',
      },
      h('span', { class: 'history-question' }, h('span', { class: 'sr-only' }, 'Question: '), entry.question),
      answerLine,
      h('span', { class: 'history-time muted' }, h('span', { class: 'sr-only' }, 'asked at '), entry.scope === 'selection' ? `${timeOf(entry.at)} · selection` : timeOf(entry.at)),
    );
    button.addEventListener('click', () => void this.mark(entry, button));
    return button;
  }

  /** Marks the entry's best answer in the page again (qa/highlight over the snapshot it was answered from). */
  private async mark(entry: HistoryEntry, button: HTMLButtonElement): Promise<void> {
    const best = entry.answers[0];
    const tabId = this.ctx.tabId;
    if (!best || tabId === undefined) {
      this.setNote('none', entry.noText ? 'That question found no text to read: there is nothing to mark.' : 'That question had no answer: there is nothing to mark.');
      return;
    }
    if (button.classList.contains('pending')) return;
    button.classList.add('pending');
    try {
      await sendToBackground({ type: 'qa/highlight', tabId, snapshotId: entry.snapshotId, start: best.start, end: best.end });
      for (const b of this.list.querySelectorAll('[data-entry-id]')) b.removeAttribute('data-marked');
      button.dataset.marked = 'true';
      this.setNote('marked', `Marked “${best.text}” on the page${best.page !== undefined ? `, page ${best.page}` : ''}.`);
    } catch (err) {
      const why = errorText(err);
      this.setNote('failed', PAGE_CHANGED.test(why) ? 'The page has changed since this question was asked, so its answer cannot be marked. Ask again.' : `Could not mark this answer on the page: ${why}`);
    } finally {
      button.classList.remove('pending');
    }
  }

  private setNote(state: 'marked' | 'failed' | 'none' | undefined, text = ''): void {
    this.note.textContent = text;
    if (state) this.note.dataset.state = state;
    else delete this.note.dataset.state;
    this.note.classList.toggle('highlight-note', state === 'failed' || state === 'none');
  }
}
