// A labelled progress bar: determinate when the total is known, a sliding segment when it is not.
import { h } from './dom.js';
import { fraction } from './format.js';

export interface ProgressView {
  el: HTMLElement;
  set(done: number, total: number | undefined, label: string, detail?: string): void;
}

export function progressView(attrs: { id?: string; testid?: string; label: string }): ProgressView {
  const fill = h('div', { class: 'progress-fill' });
  const track = h('div', { class: 'progress-track indeterminate', role: 'progressbar', 'aria-label': attrs.label, 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
  const text = h('span', { class: 'progress-text' });
  const detail = h('span', { class: 'progress-detail' });
  const el = h('div', { class: 'progress', id: attrs.id, 'data-testid': attrs.testid ?? attrs.id }, h('div', { class: 'progress-label' }, text, detail), track);
  return {
    el,
    set(done, total, label, detailText = '') {
      const f = fraction(done, total);
      track.classList.toggle('indeterminate', f === undefined);
      if (f === undefined) {
        track.removeAttribute('aria-valuenow');
        fill.style.width = '';
      } else {
        const pct = Math.round(f * 100);
        track.setAttribute('aria-valuenow', String(pct));
        fill.style.width = `${f * 100}%`;
      }
      track.setAttribute('aria-valuetext', detailText ? `${label}: ${detailText}` : label);
      el.dataset.done = String(done);
      if (total !== undefined) el.dataset.total = String(total);
      text.textContent = label;
      detail.textContent = detailText;
    },
  };
}
