// Selection anchors: range boundaries that survive marking. Live Range objects do not: moving a text node into a
// <mark> resets every range boundary inside it to the parent. A boundary is kept instead as "n characters into the
// text of the nearest element that is not one of our marks"; marking and clearing never change that element's text.
// A selection snapshot keeps its ranges this way (selection.ts), and highlight.ts maps answers through them.

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/** A range boundary that survives marking: a character count into the text of a container we never split. */
export interface TextAnchor {
  container: Node;
  chars: number;
}

/** A range, as the anchors of its two boundaries. */
export interface RangeBounds {
  start: TextAnchor;
  end: TextAnchor;
}

function isMark(node: Node): boolean {
  return node.nodeType === ELEMENT_NODE && (node as Element).hasAttribute('data-lens-answer');
}

/** The anchor of the boundary point (node, offset). */
export function anchorOf(node: Node, offset: number): TextAnchor {
  let container: Node = node.nodeType === TEXT_NODE ? (node.parentNode ?? node) : node;
  while (isMark(container) && container.parentNode) container = container.parentNode;
  const doc = node.ownerDocument ?? (node as Document);
  const r = doc.createRange();
  r.setStart(container, 0);
  r.setEnd(node, offset);
  return { container, chars: r.toString().length };
}

/** The anchors of a range's two boundaries. */
export function boundsOf(range: Range): RangeBounds {
  return { start: anchorOf(range.startContainer, range.startOffset), end: anchorOf(range.endContainer, range.endOffset) };
}

/** The boundary point for an anchor: a start prefers the beginning of the next text node, an end the end of the previous one. */
function pointOf(doc: Document, a: TextAnchor, isEnd: boolean): [Node, number] | undefined {
  if (!a.container.isConnected) return undefined;
  const walker = doc.createTreeWalker(a.container, NodeFilter.SHOW_TEXT);
  let seen = 0;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const len = (n as Text).length;
    if (isEnd ? a.chars <= seen + len : a.chars < seen + len) return [n, a.chars - seen];
    seen += len;
  }
  if (a.chars === seen) return [a.container, a.container.childNodes.length];
  return undefined;
}

/** A live range for the anchored bounds as the DOM is now; undefined when they no longer fit it. */
export function rangeOf(doc: Document, b: RangeBounds): Range | undefined {
  const start = pointOf(doc, b.start, false);
  const end = pointOf(doc, b.end, true);
  if (!start || !end) return undefined;
  try {
    const r = doc.createRange();
    r.setStart(start[0], start[1]);
    r.setEnd(end[0], end[1]);
    return r;
  } catch {
    return undefined;
  }
}
