// Marking an answer in the page: the text of [start, end) of a snapshot is wrapped in <mark data-lens-answer>
// elements, one per text-node piece. Marking splits text nodes, so a snapshot's node map only fits the DOM
// state it was read in (extract.ts: domState). Clearing puts the page's text nodes back exactly (the split
// pieces are merged into the original node, which keeps its identity: frameworks that hold on to text nodes
// keep working, and maps read before the marking fit again). When a snapshot's map does not fit, or the
// characters it maps no longer match the answer, the page is read again; it must give the same text, or the
// answer is refused as belonging to a page that has changed.
//
// Hostile and changing pages:
// - A page change that touched the reading (watch.ts: its text nodes, or new text in its region) makes the map
//   untrusted: the page is read again, and the answer is marked only where the passages around it still read
//   exactly as they did (re-anchored when text elsewhere changed), else refused with PAGE_CHANGED. A change
//   elsewhere (an ad rotating) leaves the map trusted: the answer is marked without reading the page again.
// - The page changing the text around a shown answer (the blocks holding it) drops the marks at once: they are
//   never left on text the answer was not read from. Where the page rewrote a text node that marking had split,
//   the split-off pieces (stale text) are removed rather than merged back, so the page shows what it wrote.
// - Editable regions (contenteditable, designMode) are never changed: an answer there is painted with the CSS
//   Custom Highlight API (no element inserted, the editor's DOM and undo history untouched), or, where the browser
//   lacks it, refused with IN_EDITABLE.
// - Answer bounds are widened to whole grapheme clusters (surrogate pairs, emoji ZWJ sequences, combining marks).
import { anchorOf, rangeOf, type RangeBounds } from './anchors.js';
import { extractAgain } from './extract.js';
import type { Snapshot } from './snapshot.js';
import { domState, newDomState, restoreDomState, type TextSegment } from './text-map.js';
import { noteReading, onPageChange, ownChange, touchedSince } from './watch.js';

export const PAGE_CHANGED = 'the page has changed since the question was asked; ask again';
export const IN_EDITABLE = 'the answer is in an editable part of the page, which this browser cannot highlight without changing it';

/** The name of the CSS highlight that paints answers in editable regions. */
const HIGHLIGHT_NAME = 'lens-answer';

const MARK_ATTR = 'data-lens-answer';
const FIRST_ATTR = 'data-lens-first';

// A distinctive amber with dark text: readable on light and dark pages alike.
const BACKGROUND = '#ffd54f';
const FOREGROUND = '#1a1a1a';
const OUTLINE = '#ff8f00';

const STYLESHEET = `
mark[${MARK_ATTR}] {
  background: ${BACKGROUND} !important;
  color: ${FOREGROUND} !important;
  border-radius: 2px !important;
  box-shadow: 0 0 0 1px rgba(255, 143, 0, 0.6) !important;
  padding: 0 !important;
  margin: 0 !important;
  font: inherit !important;
  text-shadow: none !important;
  -webkit-box-decoration-break: clone;
  box-decoration-break: clone;
}
mark[${MARK_ATTR}][${FIRST_ATTR}] {
  outline: 2px solid ${OUTLINE} !important;
  outline-offset: 1px !important;
}
::highlight(${HIGHLIGHT_NAME}) {
  background-color: ${BACKGROUND};
  color: ${FOREGROUND};
}
`;

interface Split {
  /** the page's text node: after clearing it holds its whole text again */
  original: Text;
  /** its text right after splitting: anything else means the page rewrote it */
  left: string;
  /** nodes split off it, in document order */
  created: Text[];
  /** their text when split off */
  createdData: string[];
}

interface Painted {
  registry: HighlightRegistry;
  highlight: Highlight;
  ranges: Range[];
}

interface Applied {
  doc: Document;
  marks: HTMLElement[];
  splits: Split[];
  /** answers in editable regions, painted without changing the DOM */
  painted: Painted[];
  /** the DOM state before marking: clearing returns to it when every split node is merged back */
  before: number;
  /** the blocks holding the answer, and their text once marked: the marks stay only while it is unchanged */
  blocks: Node[];
  blockText: string;
}

let applied: Applied | undefined;
/** documents and shadow roots that already hold the stylesheet */
const styled = new WeakSet<Node>();

function ensureStylesheet(root: Node): void {
  if (styled.has(root)) return;
  styled.add(root);
  const doc = root.nodeType === 9 ? (root as Document) : root.ownerDocument;
  if (!doc) return;
  const style = doc.createElement('style');
  style.setAttribute('data-lens', '');
  style.textContent = STYLESHEET;
  if (root.nodeType === 9) (doc.head ?? doc.documentElement).appendChild(style);
  else root.appendChild(style); // a shadow root: the page's stylesheet does not reach into it
}

/** Inline styles too (set through CSSOM, which a page's CSP does not block): the marks stay visible without the sheet. */
function styleMark(mark: HTMLElement, first: boolean): void {
  const s = mark.style;
  s.setProperty('background', BACKGROUND, 'important');
  s.setProperty('color', FOREGROUND, 'important');
  s.setProperty('border-radius', '2px', 'important');
  if (first) {
    s.setProperty('outline', `2px solid ${OUTLINE}`, 'important');
    s.setProperty('outline-offset', '1px', 'important');
  }
}

// ---- the user's selection survives our DOM changes ----

function withSelectionKept<T>(doc: Document, work: () => T): T {
  const sel = doc.getSelection();
  let kept: RangeBounds[] | undefined;
  if (sel && sel.rangeCount > 0 && !sel.isCollapsed) {
    kept = [];
    for (let i = 0; i < sel.rangeCount; i++) {
      const r = sel.getRangeAt(i);
      kept.push({ start: anchorOf(r.startContainer, r.startOffset), end: anchorOf(r.endContainer, r.endOffset) });
    }
  }
  try {
    return work();
  } finally {
    if (kept && sel) {
      const ranges = kept.map((b) => rangeOf(doc, b)).filter((r): r is Range => r !== undefined);
      if (ranges.length === kept.length) {
        sel.removeAllRanges();
        for (const r of ranges) sel.addRange(r);
      }
    }
  }
}

// ---- clearing ----

function unmark(): number {
  return ownChange(unmarkNow);
}

function unmarkNow(): number {
  if (!applied) return 0;
  const { marks, splits, painted, before } = applied;
  applied = undefined;
  let removed = 0;
  let exact = true;
  for (const { registry, highlight } of painted) {
    if (registry.get(HIGHLIGHT_NAME) === highlight) registry.delete(HIGHLIGHT_NAME);
    removed += highlight.size;
  }
  for (const mark of marks) {
    const parent = mark.parentNode;
    if (!parent) {
      exact = false; // the page removed it
      continue;
    }
    while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
    parent.removeChild(mark);
    removed++;
  }
  for (const { original, left, created, createdData } of splits) {
    if (original.data !== left) {
      // the page wrote new text into its node (as frameworks update the node they rendered): the pieces split off
      // it hold the text it replaced, so they go (those the page has not taken over and changed itself)
      created.forEach((piece, i) => {
        if (piece.data === createdData[i]) piece.remove();
      });
      exact = false;
      continue;
    }
    for (const [i, piece] of created.entries()) {
      // merge only where the pieces still sit where we split them, as we left them
      if (original.nextSibling !== piece || piece.data !== createdData[i]) {
        exact = false;
        break;
      }
      original.appendData(piece.data);
      piece.remove();
    }
  }
  if (exact) restoreDomState(before);
  else newDomState();
  return removed;
}

/** Removes every answer mark; returns how many there were. */
export function clearHighlights(doc: Document = document): number {
  // marks of an earlier copy of this script (or lost track of) are unwrapped too, with a normalize of their parent
  const stray = [...doc.querySelectorAll(`mark[${MARK_ATTR}]`)].filter((m) => !applied?.marks.includes(m as HTMLElement));
  if (!applied && stray.length === 0) return 0;
  const count = withSelectionKept(doc, () => ownChange(() => {
    let n = unmarkNow();
    for (const mark of stray) {
      const parent = mark.parentNode;
      if (!parent) continue;
      while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
      parent.removeChild(mark);
      parent.normalize();
      newDomState();
      n++;
    }
    return n;
  }));
  return count;
}

// ---- marking ----

interface Piece {
  node: Text;
  /** [from, to) in node.data */
  from: number;
  to: number;
}

function sameChar(expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (expected === actual) return true;
  return expected === ' ' && /\s/.test(actual); // a collapsed whitespace run
}

/** The text-node pieces of [start, end), or undefined when the map no longer matches the DOM. */
function piecesOf(text: string, segments: readonly TextSegment[], start: number, end: number): Piece[] | undefined {
  const pieces: Piece[] = [];
  for (const seg of segments) {
    const segEnd = seg.start + seg.offsets.length;
    if (segEnd <= start) continue;
    if (seg.start >= end) break;
    if (!seg.node.isConnected) return undefined;
    const a = Math.max(start, seg.start);
    const b = Math.min(end, segEnd);
    const data = seg.node.data;
    for (let i = a; i < b; i++) if (!sameChar(text[i], data[seg.offsets[i - seg.start]])) return undefined;
    pieces.push({ node: seg.node, from: seg.offsets[a - seg.start], to: seg.offsets[b - 1 - seg.start] + 1 });
  }
  return pieces;
}

/** Wraps the pieces (several may share a node: split from the end backwards so offsets stay valid). */
function wrap(pieces: Piece[]): Pick<Applied, 'marks' | 'splits'> {
  const doc = pieces[0].node.ownerDocument;
  const byNode = new Map<Text, Piece[]>();
  for (const p of pieces) {
    const list = byNode.get(p.node) ?? [];
    list.push(p);
    byNode.set(p.node, list);
  }
  const markOf = new Map<Piece, HTMLElement>();
  const splits: Split[] = [];
  for (const [node, list] of byNode) {
    const created: Text[] = [];
    for (const p of [...list].sort((x, y) => y.from - x.from)) {
      if (p.to < node.length) created.unshift(node.splitText(p.to));
      const target = p.from > 0 ? node.splitText(p.from) : node;
      if (target !== node) created.unshift(target);
      const mark = doc.createElement('mark');
      mark.setAttribute(MARK_ATTR, '');
      target.parentNode?.insertBefore(mark, target);
      mark.appendChild(target);
      markOf.set(p, mark);
    }
    if (created.length) splits.push({ original: node, left: node.data, created, createdData: created.map((c) => c.data) });
  }
  const marks = pieces.map((p) => markOf.get(p)).filter((m): m is HTMLElement => m !== undefined);
  marks.forEach((m, i) => {
    if (i === 0) m.setAttribute(FIRST_ATTR, '');
    styleMark(m, i === 0);
    ensureStylesheet(m.getRootNode());
  });
  return { marks, splits };
}

/** Closed <details> around the answer are opened, so the answer can be seen. */
function reveal(el: Element): void {
  for (let e: Element | null = el; e; ) {
    if (e.localName === 'details' && !(e as HTMLDetailsElement).open) (e as HTMLDetailsElement).open = true;
    const root = e.getRootNode();
    e = e.parentElement ?? (root.nodeType === 11 ? (root as ShadowRoot).host : null);
  }
}

/** Text as compared between the page and an answer: whitespace and the characters extraction leaves out removed. */
const comparable = (s: string) => s.replace(/[\s\u00ad\u200b-\u200d\u2060\ufeff]+/g, '');

/** [start, end) widened to whole grapheme clusters: a mark never cuts an emoji, a surrogate pair or a combining mark. */
export function wholeGraphemes(text: string, start: number, end: number): [number, number] {
  if (typeof Intl.Segmenter !== 'function') {
    const low = (i: number) => i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]) && /[\ud800-\udbff]/.test(text[i - 1]);
    return [low(start) ? start - 1 : start, low(end) ? end + 1 : end];
  }
  // a window around the answer: clusters are short, and the page's text can be megabytes
  const from = Math.max(0, start - 64);
  const segments = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text.slice(from, Math.min(text.length, end + 64)));
  const first = segments.containing(start - from);
  const last = segments.containing(end - 1 - from);
  return [first ? from + first.index : start, last ? from + last.index + last.segment.length : end];
}

/** The passages [from, to) of the snapshot's text that hold [start, end). */
function passagesAround(s: Snapshot, start: number, end: number): { from: number; to: number } {
  let from = start;
  let to = end;
  for (const p of s.passages) {
    if (p.end >= start && p.start <= start) from = Math.min(from, p.start);
    if (p.start <= end && p.end >= end) to = Math.max(to, p.end);
  }
  return { from, to };
}

/** Where `part` stands in `text` as whole passages, when it does exactly once; else -1. */
function uniquePassages(text: string, part: string): number {
  let found = -1;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
    const whole = (at === 0 || text[at - 1] === '\n') && (at + part.length === text.length || text[at + part.length] === '\n');
    if (!whole) continue;
    if (found >= 0) return -1;
    found = at;
  }
  return found;
}

/**
 * The text-node pieces of [start, end) in the page as it is now. The snapshot's own map is used while the DOM is
 * as it was read (no marks since, no page change that touched the reading); otherwise the page is read again: the same text gives a
 * fresh map, and a text that differs only away from the answer is used where the passages holding the answer
 * still read exactly the same, once. Anything else: PAGE_CHANGED.
 */
function locate(s: Snapshot, start: number, end: number): Piece[] {
  if (s.domState === domState() && !touchedSince(s)) {
    const pieces = piecesOf(s.text, s.segments, start, end);
    if (pieces) return pieces;
  }
  const again = extractAgain(s);
  if (!again) throw new Error(PAGE_CHANGED);
  if (again.text === s.text) {
    s.segments = again.segments;
    s.domState = again.domState;
    noteReading(s);
    const pieces = piecesOf(s.text, s.segments, start, end);
    if (!pieces) throw new Error(PAGE_CHANGED);
    return pieces;
  }
  const { from, to } = passagesAround(s, start, end);
  const at = uniquePassages(again.text, s.text.slice(from, to));
  const pieces = at < 0 ? undefined : piecesOf(again.text, again.segments, start - from + at, end - from + at);
  if (!pieces) throw new Error(PAGE_CHANGED);
  return pieces;
}

interface HighlightGlobals {
  CSS?: { highlights?: HighlightRegistry };
  Highlight?: new (...ranges: Range[]) => Highlight;
}

/** Paints the pieces with a CSS highlight in each document they are in: no element is inserted. */
function paint(pieces: Piece[]): Painted[] {
  const byDoc = new Map<Document, Range[]>();
  for (const p of pieces) {
    const doc = p.node.ownerDocument;
    const r = doc.createRange();
    r.setStart(p.node, p.from);
    r.setEnd(p.node, p.to);
    byDoc.set(doc, [...(byDoc.get(doc) ?? []), r]);
  }
  const painted: Painted[] = [];
  for (const [doc, ranges] of byDoc) {
    // each document has its own registry (a same-origin frame's text is painted by the frame's)
    const view = doc.defaultView as HighlightGlobals | null;
    const registry = view?.CSS?.highlights;
    const Ctor = view?.Highlight;
    if (!registry || typeof Ctor !== 'function') {
      for (const done of painted) done.registry.delete(HIGHLIGHT_NAME);
      throw new Error(IN_EDITABLE);
    }
    const highlight = new Ctor(...ranges);
    registry.set(HIGHLIGHT_NAME, highlight);
    painted.push({ registry, highlight, ranges });
  }
  for (const p of pieces) ensureStylesheet(p.node.getRootNode());
  return painted;
}

/** The nearest block around a node: the unit whose text must stay as it was for a mark in it to stay. */
const BLOCKS = 'p,li,dd,dt,td,th,pre,blockquote,h1,h2,h3,h4,h5,h6,figcaption,caption,summary,legend,address,div,section,article,main,aside,header,footer,body';
function blockOf(node: Node): Node {
  const el = node.nodeType === 1 ? (node as Element) : node.parentElement;
  return el?.closest(BLOCKS) ?? node.getRootNode();
}

function blocksText(blocks: readonly Node[]): string {
  return blocks.map((b) => (b.isConnected ? (b.textContent ?? '') : '\u0000gone')).join('\u0000');
}

/** After a page change: the answer's marks go when the text around them is no longer what was marked. */
function checkMarks(): void {
  if (!applied) return;
  const { marks, painted, blocks, blockText } = applied;
  const intact =
    marks.every((m) => m.isConnected) &&
    painted.every((p) => p.ranges.every((r) => !r.collapsed && r.startContainer.isConnected)) &&
    blocksText(blocks) === blockText;
  if (!intact) {
    const doc = applied.doc;
    withSelectionKept(doc, () => unmark());
  }
}

onPageChange(checkMarks);

/**
 * Marks [start, end) of the snapshot's text in the page (replacing any earlier marks) and scrolls the first
 * piece into view when asked. The bounds are widened to whole grapheme clusters. Returns the marked text: the
 * snapshot's text.slice(start, end), after checking that the marks hold exactly those characters (whitespace
 * and invisible characters aside: a collapsed run is marked as it stands in the page, passage breaks are not page
 * characters, and zero-width characters and soft hyphens inside the answer are marked with it).
 */
export function highlight(snapshot: Snapshot, start: number, end: number, scroll: boolean): string {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > snapshot.text.length || end <= start) {
    throw new Error(`not a text range of this page: ${start}..${end}`);
  }
  [start, end] = wholeGraphemes(snapshot.text, start, end);
  const doc = snapshot.doc;
  return withSelectionKept(doc, () => {
    unmark();
    const pieces = locate(snapshot, start, end);
    const wanted = snapshot.text.slice(start, end);
    if (pieces.length === 0) throw new Error('the answer has no text in the page to mark');
    const before = domState();
    const editable = pieces.some((p) => p.node.parentElement?.isContentEditable === true);
    const shown = ownChange(() => {
      const parts = editable ? { marks: [], splits: [], painted: paint(pieces) } : { ...wrap(pieces), painted: [] };
      if (!editable) newDomState();
      const blocks = [...new Set((editable ? pieces.map((p) => p.node) : parts.marks).map(blockOf))];
      applied = { doc, ...parts, before, blocks, blockText: blocksText(blocks) };
      return editable ? parts.painted.flatMap((p) => p.ranges.map((r) => r.toString())).join('') : parts.marks.map((m) => m.textContent ?? '').join('');
    });
    if (comparable(shown) !== comparable(wanted)) {
      unmark();
      throw new Error(PAGE_CHANGED);
    }
    const first = editable ? pieces[0].node.parentElement : applied?.marks[0];
    if (first) {
      ownChange(() => reveal(first)); // opening a <details> is our change, not the page's
      if (scroll) first.scrollIntoView({ block: editable ? 'nearest' : 'center', inline: 'nearest' });
    }
    return wanted;
  });
}

/** The marks now in the page (for tests and diagnostics). */
export function currentMarks(): readonly HTMLElement[] {
  return applied?.marks ?? [];
}
