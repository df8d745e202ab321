// The in-page result card of "Classify this selection": a fixed element at the top right whose content lives
// in its own (open) shadow root with its own styles, so the page's CSS neither reaches in nor is touched.
// Everything shown is set with textContent: page text and model labels are never parsed as HTML.
import type { ShowCardRequest } from '../shared/protocol.js';

export const CARD_HOST_ID = 'lens-card-host';
/** How much of the classified text the card shows. */
export const CARD_TEXT_CHARS = 120;

export type CardState = 'pending' | 'result' | 'error';

const CARD_CSS = `
:host { all: initial; }
.card {
  --bg: #ffffff; --fg: #1b1f24; --muted: #5b6470; --border: #d6dae0; --track: #eceef1; --bar: #3b6ff5; --error: #b3261e;
  box-sizing: border-box;
  width: 340px;
  max-width: calc(100vw - 32px);
  max-height: calc(100vh - 32px);
  overflow: auto;
  padding: 12px 14px 14px;
  border: 1px solid var(--border);
  border-radius: 10px;
  background: var(--bg);
  color: var(--fg);
  box-shadow: 0 8px 28px rgba(0, 0, 0, 0.22);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  text-align: left;
}
@media (prefers-color-scheme: dark) {
  .card { --bg: #1f2228; --fg: #e8eaed; --muted: #a4abb5; --border: #3a3f47; --track: #343840; --bar: #7aa2ff; --error: #ff8a80; }
}
*, *::before, *::after { box-sizing: border-box; }
.head { display: flex; align-items: center; gap: 8px; margin-bottom: 8px; }
.title { flex: 1; font-weight: 600; font-size: 13px; margin: 0; }
.close {
  all: unset; cursor: pointer; width: 24px; height: 24px; border-radius: 6px;
  display: inline-flex; align-items: center; justify-content: center;
  color: var(--muted); font-size: 18px; line-height: 1;
}
.close:hover { background: var(--track); color: var(--fg); }
.close:focus-visible { outline: 2px solid var(--bar); outline-offset: 1px; }
.quote {
  margin: 0 0 10px; padding: 6px 8px; border-left: 3px solid var(--border);
  color: var(--muted); font-style: italic; overflow-wrap: anywhere; white-space: normal;
}
.status { display: flex; align-items: center; gap: 8px; color: var(--muted); }
.spinner {
  width: 14px; height: 14px; border-radius: 50%;
  border: 2px solid var(--track); border-top-color: var(--bar);
  animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 2.4s; } }
.scores { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 2px 8px; }
.label { overflow-wrap: anywhere; }
.pct { font-variant-numeric: tabular-nums; color: var(--muted); }
.track { grid-column: 1 / -1; height: 6px; border-radius: 3px; background: var(--track); overflow: hidden; }
.bar { height: 100%; border-radius: 3px; background: var(--bar); }
.row:first-child .label { font-weight: 600; }
.error { color: var(--error); overflow-wrap: anywhere; }
`;

interface Card {
  host: HTMLElement;
  root: ShadowRoot;
  title: HTMLElement;
  quote: HTMLElement;
  body: HTMLElement;
  onKey: (e: KeyboardEvent) => void;
}

let card: Card | undefined;

/** The text shortened to about `max` characters, cut at a word boundary where one is near. */
export function shorten(text: string, max = CARD_TEXT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function formatPercent(score: number): string {
  const pct = Math.min(100, Math.max(0, Number.isFinite(score) ? score * 100 : 0));
  return `${pct >= 99.95 || pct < 0.05 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function create(doc: Document): Card {
  const host = doc.createElement('div');
  host.id = CARD_HOST_ID;
  // the host itself is styled through CSSOM (not blocked by a page's CSP), important so page rules lose
  const hs = host.style;
  for (const [prop, value] of [
    ['all', 'initial'],
    ['position', 'fixed'],
    ['top', '16px'],
    ['right', '16px'],
    ['z-index', '2147483647'],
    ['display', 'block'],
  ]) hs.setProperty(prop, value, 'important');
  const root = host.attachShadow({ mode: 'open' });
  const style = el(doc, 'style', undefined, CARD_CSS);
  const box = el(doc, 'div', 'card');
  box.setAttribute('role', 'dialog');
  box.setAttribute('aria-live', 'polite');
  const head = el(doc, 'div', 'head');
  const title = el(doc, 'h2', 'title');
  title.id = 'lens-card-title';
  box.setAttribute('aria-labelledby', title.id);
  const close = el(doc, 'button', 'close', '×');
  close.type = 'button';
  close.title = 'Close';
  close.setAttribute('aria-label', 'Close');
  close.addEventListener('click', () => hideCard());
  head.append(title, close);
  const quote = el(doc, 'blockquote', 'quote');
  const body = el(doc, 'div', 'body');
  box.append(head, quote, body);
  root.append(style, box);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') hideCard();
  };
  doc.addEventListener('keydown', onKey, true);
  // a child of <html>, not of <body>: pages restyle and re-render their body more often
  doc.documentElement.appendChild(host);
  return { host, root, title, quote, body, onKey };
}

function render(c: Card, req: ShowCardRequest): CardState {
  const doc = c.host.ownerDocument;
  c.title.textContent = req.title;
  const quote = shorten(req.text);
  c.quote.textContent = quote;
  c.quote.hidden = quote.length === 0;
  c.body.replaceChildren();
  const result = req.result;
  if ('scores' in result) {
    const list = el(doc, 'ol', 'scores');
    const sorted = [...result.scores].sort((a, b) => b.score - a.score);
    for (const { label, score } of sorted) {
      const row = el(doc, 'li', 'row');
      const pct = formatPercent(score);
      row.dataset.label = String(label);
      row.dataset.score = String(score);
      const track = el(doc, 'div', 'track');
      const bar = el(doc, 'div', 'bar');
      bar.style.width = pct;
      track.append(bar);
      row.append(el(doc, 'span', 'label', String(label)), el(doc, 'span', 'pct', pct), track);
      list.append(row);
    }
    c.body.append(list);
    return 'result';
  }
  if ('error' in result) {
    const line = el(doc, 'p', 'error', String(result.error));
    line.setAttribute('role', 'alert');
    c.body.append(line);
    return 'error';
  }
  const status = el(doc, 'div', 'status');
  status.append(el(doc, 'span', 'spinner'), el(doc, 'span', 'pending', 'Classifying…'));
  status.setAttribute('role', 'status');
  c.body.append(status);
  return 'pending';
}

/** Shows the card, or updates it in place when it is already open. */
export function showCard(req: ShowCardRequest, doc: Document = document): CardState {
  if (card && !card.host.isConnected) hideCard();
  card ??= create(doc);
  const state = render(card, req);
  card.host.dataset.state = state;
  return state;
}

export function hideCard(): boolean {
  if (!card) return false;
  const { host, onKey } = card;
  card = undefined;
  host.ownerDocument.removeEventListener('keydown', onKey, true);
  host.remove();
  return true;
}
