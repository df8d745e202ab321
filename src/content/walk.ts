// The walker: it reads the composed tree (what is rendered) in document order into a TextBuilder (text-map.ts).
// It follows shadow roots (open, and closed where the browser lets extensions see them), slots' assigned nodes, and
// same-origin iframes (a cross-origin frame is never read, even where the browser would let the script in). Block
// elements end a passage; preformatted text keeps its spaces and each of its lines is a passage; inline-block
// boundaries keep words apart. What a reader does not see is left out (visibility.ts); when reading the page, so is
// page chrome, and with main content chosen (main-content.ts) only its nodes are read.
import { admits, type MainContent } from './main-content.js';
import { TextBuilder, type BuiltText } from './text-map.js';
import { isInvisible, isLensUi, isPageChrome, isShown, isVisuallyHidden, JUNK_TAGS, styleOf, textShows } from './visibility.js';
import { watchRoot } from './watch.js';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const DOCUMENT_FRAGMENT_NODE = 11;

/** End a passage even when a page styles them inline. */
const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'br', 'caption', 'center', 'dd', 'details', 'dialog', 'dir', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'frame', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'html',
  'iframe', 'legend', 'li', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'ul', 'search', 'listing', 'plaintext', 'xmp',
]);

const SPACE_LIKE = /\s/;
const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';

// ---- walking the composed tree ----

/** page: the page without its chrome; lenient: the page with only hidden text left out; selection: the selected ranges. */
export type ReadMode = 'page' | 'lenient' | 'selection';
type WhiteSpace = 'collapse' | 'pre' | 'pre-line';

interface Walk {
  mode: ReadMode;
  b: TextBuilder;
  /** selection scope: only what this range covers */
  range?: Range;
  /** page scope: only the main content's nodes */
  main?: MainContent;
  /** the page is hidden as a whole (shown later by a script): visibility is not held against its text */
  allVisible?: boolean;
}

interface ChromeDom {
  dom?: { openOrClosedShadowRoot?: (el: Element) => ShadowRoot | null };
}

/** The element's shadow root: open ones, and closed ones where the extension API exposes them. */
function shadowRootOf(el: Element): ShadowRoot | null {
  if (el.shadowRoot) return el.shadowRoot;
  try {
    const firefox = (el as Element & { openOrClosedShadowRoot?: ShadowRoot | null }).openOrClosedShadowRoot;
    if (firefox) return firefox;
    const chrome = (globalThis as { chrome?: ChromeDom }).chrome;
    return chrome?.dom?.openOrClosedShadowRoot?.(el) ?? null;
  } catch {
    return null;
  }
}

function isInShadowTree(node: Node): boolean {
  return node.getRootNode().nodeType === DOCUMENT_FRAGMENT_NODE;
}

/** What is rendered in place of the element's children: its shadow tree, a slot's assigned nodes, or the children. */
function composedChildren(el: Element): ArrayLike<Node> {
  const root = shadowRootOf(el);
  if (root) {
    watchRoot(root); // the document's observer does not see into shadow trees
    return root.childNodes;
  }
  if (el.localName === 'slot' && isInShadowTree(el)) return (el as HTMLSlotElement).assignedNodes({ flatten: true });
  return el.childNodes;
}

function whiteSpaceOf(style: CSSStyleDeclaration | undefined, tag: string, inherited: WhiteSpace): WhiteSpace {
  if (!style) return tag === 'pre' || tag === 'textarea' || tag === 'listing' ? 'pre' : inherited;
  const collapse = style.getPropertyValue('white-space-collapse');
  if (collapse) {
    if (collapse === 'preserve' || collapse === 'break-spaces' || collapse === 'preserve-spaces') return 'pre';
    if (collapse === 'preserve-breaks') return 'pre-line';
    return 'collapse';
  }
  const ws = style.whiteSpace;
  if (ws === 'pre' || ws === 'pre-wrap' || ws === 'break-spaces') return 'pre';
  if (ws === 'pre-line') return 'pre-line';
  return 'collapse';
}

function isInlineDisplay(display: string): boolean {
  return display === '' || display === 'inline' || display === 'contents' || display.startsWith('ruby') || display.startsWith('inline');
}

function walkNodes(nodes: ArrayLike<Node>, w: Walk, ws: WhiteSpace, visible: boolean): void {
  for (let i = 0; i < nodes.length && !w.b.full; i++) walkNode(nodes[i], w, ws, visible);
}

function walkNode(node: Node, w: Walk, ws: WhiteSpace, visible: boolean): void {
  if (w.main && !admits(w.main, node)) return;
  if (node.nodeType === TEXT_NODE) walkText(node as Text, w, ws, visible);
  else if (node.nodeType === ELEMENT_NODE) walkElement(node as Element, w, ws);
}

function walkElement(el: Element, w: Walk, inheritedWs: WhiteSpace): void {
  const tag = el.localName;
  if (JUNK_TAGS.has(tag) || isLensUi(el)) return;
  if (w.mode === 'page' && isPageChrome(el, tag)) return;
  if (w.mode !== 'selection' && el.getAttribute('aria-hidden')?.trim().toLowerCase() === 'true') return;
  if (w.range && !w.range.intersectsNode(el)) return;
  const style = styleOf(el);
  if (style) {
    if (style.display === 'none' || style.contentVisibility === 'hidden') return;
    if (isVisuallyHidden(el, style)) return;
  } else if (el.hasAttribute('hidden')) {
    return;
  }
  const visible = !style || textShows(style) || w.allVisible === true;
  const { b } = w;
  if (tag === 'br') {
    b.endPassage();
    return;
  }
  if (tag === 'iframe' || tag === 'frame') {
    if (w.mode === 'selection') return; // a selection in this document does not reach into frames
    let inner: Document | null = null;
    try {
      inner = (el as HTMLIFrameElement).contentDocument;
    } catch {
      inner = null; // SecurityError: a cross-origin frame
    }
    if (inner?.body && sameOrigin(el.ownerDocument, inner)) {
      watchRoot(inner);
      b.endPassage();
      walkElement(inner.body, w, 'collapse');
      b.endPassage();
    }
    return;
  }
  const display = style?.display ?? '';
  // MathML: <math> is inline unless display="block"; its tokens sit in a row, each its own word
  const math = el.namespaceURI === MATHML_NS;
  const block = math ? tag === 'math' && display.startsWith('block') : BLOCK_TAGS.has(tag) || !isInlineDisplay(display);
  const atomicInline = !block && (math ? tag !== 'math' : display.startsWith('inline-'));
  const ws = whiteSpaceOf(style, tag, inheritedWs);
  if (block) b.endPassage();
  else if (atomicInline) b.soft();
  walkNodes(composedChildren(el), w, ws, visible);
  if (block) b.endPassage();
  else if (atomicInline) b.soft();
}

/**
 * A frame's document is read only when it has the origin of the document around it (srcdoc and about:blank
 * frames inherit it). Firefox lets content scripts into cross-origin frames of hosts they may access; the page
 * itself could not read them, and neither does Lens.
 */
function sameOrigin(outer: Document, inner: Document): boolean {
  try {
    const a = outer.defaultView?.origin;
    const b = inner.defaultView?.origin;
    return a !== undefined && a !== 'null' && a === b;
  } catch {
    return false;
  }
}

function walkText(t: Text, w: Walk, ws: WhiteSpace, visible: boolean): void {
  if (!visible) return;
  const data = t.data;
  let from = 0;
  let to = data.length;
  if (w.range) {
    const r = w.range;
    if (!r.intersectsNode(t)) return;
    if (r.startContainer === t) from = r.startOffset;
    if (r.endContainer === t) to = r.endOffset;
  }
  const { b } = w;
  for (let i = from; i < to; ) {
    if (isInvisible(data, i)) {
      i++; // left out of the text; the characters around it map on either side of it
      continue;
    }
    const kind = spaceKind(data.charCodeAt(i));
    if (kind === NOT_SPACE) {
      let j = i + 1;
      while (j < to && spaceKind(data.charCodeAt(j)) === NOT_SPACE && !isInvisible(data, j)) j++;
      b.word(t, data, i, j);
      if (b.full) return;
      i = j;
      continue;
    }
    if (kind === LINE_BREAK && ws !== 'collapse') b.endPassage(); // preformatted text: each line is a passage
    else b.space(t, i, data[i], ws !== 'pre' && kind !== OTHER_SPACE);
    i++;
  }
}

const NOT_SPACE = 0;
/** a space, tab or form feed: collapsible */
const SPACE = 1;
const LINE_BREAK = 2;
/** no-break and other Unicode spaces: never collapsed, but trimmed at passage ends */
const OTHER_SPACE = 3;

function spaceKind(c: number): number {
  if (c === 32 || c === 9 || c === 12) return SPACE;
  if (c === 10 || c === 13) return LINE_BREAK;
  if (c < 128) return c === 11 ? OTHER_SPACE : NOT_SPACE;
  return SPACE_LIKE.test(String.fromCharCode(c)) ? OTHER_SPACE : NOT_SPACE;
}

// ---- reading a tree or a selection ----

/**
 * About how many characters of text are under `root`: the lengths of its text nodes outside scripts and
 * styles, summed without building the text (a 10 MB page's textContent alone takes longer than the capped read).
 */
function textLengthUnder(root: Node): number {
  const doc = root.ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let n = 0;
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const parent = t.parentElement?.localName;
    if (parent !== 'script' && parent !== 'style') n += (t as Text).length;
  }
  return n;
}

/** A read that stopped at MAX_READ_CHARS: how much it read of about how much (the DOM's text, estimated cheaply). */
function withPartial(result: BuiltText, wholeLength: () => number): BuiltText {
  if (!result.full) return result;
  return { ...result, partial: { read: result.text.length, total: Math.max(result.text.length, wholeLength()) } };
}

interface TreeOptions {
  /** only the main content's nodes */
  main?: MainContent;
  /** the page is hidden as a whole (see pageHidden in visibility.ts): its text is read as it will be shown */
  allVisible?: boolean;
}

/** Reads the tree under `root` (the page, or its main content with `main`). */
export function readTree(root: Element, mode: Exclude<ReadMode, 'selection'>, { main, allVisible }: TreeOptions = {}): BuiltText {
  const b = new TextBuilder();
  walkElement(root, { mode, b, main, allVisible }, 'collapse');
  return withPartial(b.finish(), () => textLengthUnder(root));
}

/** Reads what the ranges cover, each range its own passages. */
export function readRanges(ranges: readonly Range[]): BuiltText {
  const mode = 'selection';
  const b = new TextBuilder();
  for (const range of ranges) {
    const common = range.commonAncestorContainer;
    const el = common.nodeType === ELEMENT_NODE ? (common as Element) : common.parentElement;
    if (!el || !selectionStartAllowed(el)) continue;
    b.endPassage();
    const ws = whiteSpaceOf(styleOf(el), el.localName, 'collapse');
    if (common.nodeType === TEXT_NODE) {
      const style = styleOf(el);
      walkText(common as Text, { mode, b, range }, ws, !style || textShows(style));
    } else {
      walkElement(el, { mode, b, range }, ws);
    }
    b.endPassage();
  }
  return withPartial(b.finish(), () => ranges.reduce((n, r) => n + r.toString().length, 0));
}

/** A selection inside script/style text, a form field, the card or a hidden element yields nothing. */
function selectionStartAllowed(el: Element): boolean {
  for (let e: Element | null = el; e; e = e.parentElement ?? hostOf(e)) {
    if (JUNK_TAGS.has(e.localName) || isLensUi(e)) return false;
  }
  return isShown(el);
}

function hostOf(el: Element): Element | null {
  const root = el.getRootNode();
  return root.nodeType === DOCUMENT_FRAGMENT_NODE ? (root as ShadowRoot).host ?? null : null;
}
