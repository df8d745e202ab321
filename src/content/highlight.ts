// Marking an answer in the page: the text of [start, end) of a snapshot is wrapped in <mark data-lens-answer>
// elements, one per text-node piece. Marking splits text nodes, so a snapshot's node map only fits the DOM
// state it was read in (extract.ts: domState). Clearing puts the page's text nodes back exactly (the split
// pieces are merged into the original node, which keeps its identity: frameworks that hold on to text nodes
// keep working, and maps read before the marking fit again). When a snapshot's map does not fit, or the
// characters it maps no longer match the answer, the page is read again; it must give the same text, or the
// answer is refused as belonging to a page that has changed.
import { anchorOf, domState, extractAgain, newDomState, restoreDomState, rangeOf, type RangeBounds, type Snapshot, type TextSegment } from './extract.js';

export const PAGE_CHANGED = 'the page has changed since the question was asked; ask again';

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
`;

interface Split {
  /** the page's text node: after clearing it holds its whole text again */
  original: Text;
  /** nodes split off it, in document order */
  created: Text[];
}

interface Applied {
  marks: HTMLElement[];
  splits: Split[];
  /** the DOM state before marking: clearing returns to it when every split node is merged back */
  before: number;
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
  if (!applied) return 0;
  const { marks, splits, before } = applied;
  applied = undefined;
  let removed = 0;
  let exact = true;
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
  for (const { original, created } of splits) {
    for (const piece of created) {
      // merge only where the pieces still sit where we split them
      if (original.nextSibling !== piece) {
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
  const count = withSelectionKept(doc, () => {
    let n = unmark();
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
  });
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
function wrap(pieces: Piece[]): Omit<Applied, 'before'> {
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
    if (created.length) splits.push({ original: node, created });
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

const withoutSpace = (s: string) => s.replace(/\s+/g, '');

/**
 * Marks [start, end) of the snapshot's text in the page (replacing any earlier marks) and scrolls the first
 * piece into view when asked. Returns the marked text: the snapshot's text.slice(start, end), after checking
 * that the marks hold exactly those characters (whitespace aside: a collapsed run is marked as it stands in
 * the page, and passage breaks are not page characters).
 */
export function highlight(snapshot: Snapshot, start: number, end: number, scroll: boolean): string {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > snapshot.text.length || end <= start) {
    throw new Error(`not a text range of this page: ${start}..${end}`);
  }
  const doc = snapshot.doc;
  return withSelectionKept(doc, () => {
    unmark();
    // the snapshot's map is used when it was read in the DOM's current text-node state and still matches
    let pieces = snapshot.domState === domState() ? piecesOf(snapshot.text, snapshot.segments, start, end) : undefined;
    if (!pieces) {
      const again = extractAgain(snapshot);
      if (!again || again.text !== snapshot.text) throw new Error(PAGE_CHANGED);
      snapshot.segments = again.segments;
      snapshot.domState = again.domState;
      pieces = piecesOf(snapshot.text, snapshot.segments, start, end);
      if (!pieces) throw new Error(PAGE_CHANGED);
    }
    const wanted = snapshot.text.slice(start, end);
    if (pieces.length === 0) throw new Error('the answer has no text in the page to mark');
    const before = domState();
    applied = { ...wrap(pieces), before };
    newDomState();
    const marked = applied.marks.map((m) => m.textContent ?? '').join('');
    if (withoutSpace(marked) !== withoutSpace(wanted)) {
      unmark();
      throw new Error(PAGE_CHANGED);
    }
    const first = applied.marks[0];
    reveal(first);
    if (scroll) first.scrollIntoView({ block: 'center', inline: 'nearest' });
    return wanted;
  });
}

/** The marks now in the page (for tests and diagnostics). */
export function currentMarks(): readonly HTMLElement[] {
  return applied?.marks ?? [];
}
