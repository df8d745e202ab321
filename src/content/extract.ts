// Readable text of the page (or of the selection) with an exact map back to the DOM's text nodes.
//
// The text is what a reader sees: block elements end a passage, passages are joined with "\n", whitespace
// runs collapse to one space (preformatted text keeps its spaces, and each of its lines is a passage).
// Every character that comes from a text node is mapped to that node and the offset in it, so an answer's
// [start, end) in the text can be marked in the page exactly (highlight.ts). The walk follows the composed
// tree: shadow roots (open, and closed where the browser lets extensions see them), slots' assigned nodes,
// and same-origin iframes (a cross-origin frame is never read, even where the browser would let the script in).
//
// What is not read, because a sighted reader does not see it as text (in every scope unless noted):
// - <script>, <style>, <template>, <noscript> and other non-text elements (JUNK_TAGS); form fields;
// - display: none, [hidden], content-visibility: hidden; text under visibility: hidden; text in font-size 0;
// - aria-hidden="true" subtrees (page reading only: a user who selects such visible text gets it read);
// - screen-reader-only and off-screen text: clip: rect(0 0 0 0) or clip-path: inset(50%); positioned more than
//   999 px to the left or above; a box that lies entirely left of or above the page's origin (where no scrolling
//   reaches: moved there by its position or a transform); text-indent below -999 px (image
//   replacement); a transform that collapses the box to nothing (scale(0));
// - zero-size boxes that clip their content: overflow other than visible with a width or height of at most 1 px
//   (this includes collapsed accordions; a closed <details> is read, as the reader can open it and a marked answer
//   opens it).
// Read although invisible in the strict sense: opacity 0 (fade-in-on-scroll content and reveal animations keep
// article text at opacity 0 until it is scrolled to) and color: transparent (text layers over images and canvases,
// as PDF viewers draw them).
// Zero-width characters (U+200B, U+200C, U+2060, U+FEFF, and U+200D outside emoji sequences) and soft hyphens
// (U+00AD) are left out of the text, so "infor\u00ADmation" reads as one word; the map skips them, so a marked
// answer still covers them in the page.
import { MAX_READ_CHARS, type ExtractReply, type PartialRead, type Reading, type Scope } from '../shared/protocol.js';
import type { Passage } from '../engine/qa/document.js';
import { watchRoot } from './watch.js';
import { admits, readabilityMain, type MainContent } from './main-content.js';

/** The characters of one text node that appear, in order and contiguously, in the extracted text. */
export interface TextSegment {
  node: Text;
  /** offset in the extracted text of the first character */
  start: number;
  /** for each character text[start + i]: its offset in node.data (collapsed whitespace maps to the run's first character) */
  offsets: Int32Array;
}

/** A range boundary that survives marking: a character count into the text of a container we never split. */
export interface TextAnchor {
  container: Node;
  chars: number;
}

export interface RangeBounds {
  start: TextAnchor;
  end: TextAnchor;
}

/**
 * One reading of the page or of the selection. The ExtractReply fields travel to the background
 * (snapshotReply); the rest stays in the content script.
 */
export interface Snapshot extends ExtractReply {
  /** the text-node map of `text`, in text order; replaced when the page is re-read before marking */
  segments: readonly TextSegment[];
  /** the text-node state of the DOM the segments were read in (see domState) */
  domState: number;
  readonly doc: Document;
  /** selection scope: the selected ranges, as anchors that stay valid while answers are marked and cleared */
  readonly bounds?: readonly RangeBounds[];
}

/** A page shorter than this inside its main element is read whole instead. */
export const MIN_MAIN_TEXT = 200;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const DOCUMENT_FRAGMENT_NODE = 11;

/** Never text a reader sees, in any scope. */
const JUNK_TAGS = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'canvas', 'object', 'embed', 'video', 'audio', 'img', 'picture',
  'source', 'track', 'map', 'area', 'input', 'textarea', 'select', 'option', 'optgroup', 'datalist', 'head', 'meta', 'link',
  'title', 'base', 'frameset', 'param',
]);

/** Page chrome rather than content: skipped when reading the page (not when reading a selection). */
const CHROME_TAGS = new Set(['nav', 'aside', 'form', 'button', 'search', 'dialog', 'menu']);
const CHROME_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'menu', 'menubar', 'dialog', 'alertdialog']);
/** header/footer are page chrome (banner/contentinfo) unless they belong to a sectioning element (an article's byline). */
const SECTIONING = new Set(['article', 'aside', 'main', 'nav', 'section']);

/** End a passage even when a page styles them inline. */
const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'br', 'caption', 'center', 'dd', 'details', 'dialog', 'dir', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'frame', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'html',
  'iframe', 'legend', 'li', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'ul', 'search', 'listing', 'plaintext', 'xmp',
]);

const SPACE_LIKE = /\s/;
const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';

// ---- which text nodes the DOM holds, as far as this script's own changes go ----
// Marking splits text nodes: maps read before it no longer fit, and maps read while marks are shown stop
// fitting once they are cleared. A clear that puts every split node back exactly returns to the state
// before the marking, and maps read in that state fit again.

let currentState = 0;
let lastState = 0;

export function domState(): number {
  return currentState;
}

/** The DOM's text nodes changed (marks were added, or could not all be taken back cleanly): a new state. */
export function newDomState(): number {
  currentState = ++lastState;
  return currentState;
}

/** A clear restored the text nodes of an earlier state exactly. */
export function restoreDomState(state: number): void {
  currentState = state;
}

// ---- building the text ----

interface MutableSegment {
  node: Text;
  start: number;
  offsets: number[];
}

interface PendingSpace {
  node: Text;
  offset: number;
  /** the character to emit: ' ' for a collapsed run, the character itself where spaces are preserved */
  ch: string;
  collapsed: boolean;
}

class TextBuilder {
  private readonly chunks: string[] = [];
  length = 0;
  readonly passages: Passage[] = [];
  readonly segments: MutableSegment[] = [];
  /** start of the open passage; -1 while no passage has content */
  private passageStart = -1;
  private pending: PendingSpace[] = [];
  /** an inline-block boundary: words on both sides must not run together */
  private softSpace = false;
  /** MAX_READ_CHARS reached: nothing more is added, and the walk stops (a 10 MB page is read only up to the cap) */
  full = false;

  constructor(private readonly limit = MAX_READ_CHARS) {}

  /** A whitespace character: `collapse` runs become one space; others are kept as they are. */
  space(node: Text, offset: number, ch: string, collapse: boolean): void {
    if (this.passageStart < 0 || this.full) return; // leading whitespace of a passage
    const last = this.pending[this.pending.length - 1];
    if (collapse) {
      if (last?.collapsed) return;
      this.pending.push({ node, offset, ch: ' ', collapsed: true });
    } else {
      this.pending.push({ node, offset, ch, collapsed: false });
    }
  }

  /** Non-space characters data[from, to) of a text node. */
  word(node: Text, data: string, from: number, to: number): void {
    if (this.length + this.pending.length + 1 >= this.limit) {
      this.full = true;
      return;
    }
    // one huge "word" (a page of text without spaces) is cut at the limit too
    to = Math.min(to, from + (this.limit - this.length - this.pending.length - 1));
    if (this.passageStart < 0) {
      if (this.length > 0) this.push('\n', undefined, 0);
      this.passageStart = this.length;
    } else if (this.pending.length > 0) {
      for (const p of this.pending) this.push(p.ch, p.node, p.offset);
    } else if (this.softSpace) {
      this.push(' ', undefined, 0);
    }
    this.pending = [];
    this.softSpace = false;
    this.chunks.push(data.slice(from, to));
    const offsets = this.segmentFor(node);
    for (let i = from; i < to; i++) offsets.push(i);
    this.length += to - from;
  }

  soft(): void {
    if (this.passageStart >= 0) this.softSpace = true;
  }

  endPassage(): void {
    if (this.passageStart >= 0) this.passages.push({ start: this.passageStart, end: this.length });
    this.passageStart = -1;
    this.pending = [];
    this.softSpace = false;
  }

  private push(ch: string, node: Text | undefined, offset: number): void {
    this.chunks.push(ch);
    if (node) this.segmentFor(node).push(offset);
    this.length++;
  }

  /** The offsets list that the next character of `node` goes into (a new segment unless it continues the last one). */
  private segmentFor(node: Text): number[] {
    const seg = this.segments[this.segments.length - 1];
    if (seg && seg.node === node && seg.start + seg.offsets.length === this.length) return seg.offsets;
    const fresh: MutableSegment = { node, start: this.length, offsets: [] };
    this.segments.push(fresh);
    return fresh.offsets;
  }

  finish(): { text: string; passages: Passage[]; segments: TextSegment[]; full: boolean; partial?: PartialRead } {
    this.endPassage();
    return {
      full: this.full,
      text: this.chunks.join(''),
      passages: this.passages,
      segments: this.segments.map((s) => ({ node: s.node, start: s.start, offsets: Int32Array.from(s.offsets) })),
    };
  }
}

// ---- walking the composed tree ----

type Mode = 'page' | 'lenient' | 'selection';
type WhiteSpace = 'collapse' | 'pre' | 'pre-line';

interface Walk {
  mode: Mode;
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

function styleOf(el: Element): CSSStyleDeclaration | undefined {
  try {
    return el.ownerDocument.defaultView?.getComputedStyle(el) ?? undefined;
  } catch {
    return undefined;
  }
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

/**
 * Laid out but out of sight (see the top of this file): screen-reader-only text, skip links, text moved off the
 * page, boxes collapsed or clipped to nothing. Layout is only asked for (a bounding box) where the style says the
 * element may have been moved (positioned or transformed), or may clip (overflow other than visible).
 */
function isVisuallyHidden(el: Element, style: CSSStyleDeclaration): boolean {
  // offsets, transforms, text-indent and overflow do nothing to an inline box of text (and a positioned element is
  // never inline): the common case costs one property read
  const display = style.display;
  if (display === 'inline' || display === 'contents') return false;
  const position = style.position;
  if (position === 'absolute' || position === 'fixed') {
    if (style.clip === 'rect(0px, 0px, 0px, 0px)' || style.clipPath === 'inset(50%)') return true;
    if (parseFloat(style.left) < -999 || parseFloat(style.top) < -999) return true;
  }
  if (parseFloat(style.textIndent) < -999) return true;
  const transform = style.transform;
  if (collapses(transform)) return true;
  if (!display.startsWith('ruby') && clipsToNothing(el, style)) return true;
  const moved = position !== 'static' || (transform !== '' && transform !== 'none');
  return moved && isOffPage(el, position === 'fixed');
}

/** A 2D transform matrix with no area (scale(0), scaleY(0), a matrix with a zero determinant). */
function collapses(transform: string): boolean {
  const m = /^matrix\(([^)]*)\)$/.exec(transform);
  if (!m) return false;
  const [a, b, c, d] = m[1].split(',').map(Number);
  return a * d - b * c === 0;
}

/** Content clipped to a box of at most 1 px in either direction (the padding box: padding can show content). */
function clipsToNothing(el: Element, style: CSSStyleDeclaration): boolean {
  // with overflow-y visible, overflow-x is visible too unless it is clip (visible beside a scrolling axis computes to auto)
  const y = style.overflowY;
  if (y === 'visible') return style.overflowX === 'clip' && el.clientWidth <= 1;
  return el.clientHeight <= 1 || (style.overflowX !== 'visible' && el.clientWidth <= 1);
}

/**
 * The box lies wholly left of or above the page (or, fixed, outside the viewport): no scrolling brings it into view.
 * Asked only of positioned or transformed boxes (a negative margin alone is not checked: reading margins of every
 * block costs more than the rare page that hides text that way).
 */
function isOffPage(el: Element, fixed: boolean): boolean {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return false; // no box of its own (display: contents, empty)
  const view = el.ownerDocument.defaultView;
  if (fixed) return r.right <= 0 || r.bottom <= 0 || (view !== null && (r.left >= view.innerWidth || r.top >= view.innerHeight));
  const x = r.right + (view?.scrollX ?? 0);
  const y = r.bottom + (view?.scrollY ?? 0);
  return x <= 0 || y <= 0;
}

/** Page chrome (navigation, banners, sidebars, forms, dialogs, aria-hidden): skipped when reading the page. */
function isPageChrome(el: Element, tag: string): boolean {
  if (CHROME_TAGS.has(tag)) return true;
  const role = el.getAttribute('role');
  if (role && CHROME_ROLES.has(role.trim().toLowerCase())) return true;
  if (el.getAttribute('aria-hidden') === 'true') return true;
  if (tag === 'header' || tag === 'footer') {
    // a landmark (banner/contentinfo) only when not inside a sectioning element
    for (let p = el.parentElement; p; p = p.parentElement) if (SECTIONING.has(p.localName)) return false;
    return true;
  }
  return false;
}

/** The extension's own page UI (the result card, injected styles) is never page text. */
function isLensUi(el: Element): boolean {
  return el.id === 'lens-card-host' || el.hasAttribute('data-lens');
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

/** Text directly in an element with this style is seen: not visibility: hidden, not in a 0 px font. */
function textShows(style: CSSStyleDeclaration): boolean {
  return style.visibility === 'visible' && !(parseFloat(style.fontSize) <= 0);
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

/** Characters that are invisible inside a word and left out of the text: zero-width ones and the soft hyphen. */
function isInvisible(data: string, i: number): boolean {
  const c = data.charCodeAt(i);
  if (c !== 0xad && c !== 0x200b && c !== 0x200c && c !== 0x200d && c !== 0x2060 && c !== 0xfeff) return false;
  // a zero-width joiner that joins emoji (👩‍👩‍👧) is part of the emoji: kept
  return c !== 0x200d || !EMOJI_NEXT.test(data.slice(i + 1, i + 3));
}

const EMOJI_NEXT = /^\p{Extended_Pictographic}/u;

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

// ---- choosing what to read ----

function isShown(el: Element): boolean {
  if (typeof el.checkVisibility === 'function') return el.checkVisibility({ visibilityProperty: false, opacityProperty: false });
  for (let e: Element | null = el; e; e = e.parentElement) if (styleOf(e)?.display === 'none') return false;
  return true;
}

/**
 * The page's main content by a quick heuristic, for pages too big for Readability (main-content.ts):
 * <main> / [role=main], else a lone <article>, else the element holding the most paragraph text (a paragraph
 * counts fully for its parent and half for its grandparent), else the body.
 */
export function mainRoot(doc: Document): Element {
  const body = doc.body ?? doc.documentElement;
  for (const el of doc.querySelectorAll('main, [role="main"]')) if (isShown(el)) return el;
  const articles = [...doc.querySelectorAll('article')].filter((a) => !a.parentElement?.closest('article') && isShown(a));
  if (articles.length === 1) return articles[0];
  const scores = new Map<Element, number>();
  for (const p of doc.querySelectorAll('p')) {
    const len = (p.textContent ?? '').trim().length;
    if (len < 20) continue;
    const parent = p.parentElement;
    if (!parent) continue;
    scores.set(parent, (scores.get(parent) ?? 0) + len);
    const grand = parent.parentElement;
    if (grand) scores.set(grand, (scores.get(grand) ?? 0) + len / 2);
  }
  let best: Element | undefined;
  let bestScore = MIN_MAIN_TEXT;
  for (const [el, score] of scores) {
    if (score > bestScore && el !== doc.documentElement && isShown(el)) {
      best = el;
      bestScore = score;
    }
  }
  return best ?? body;
}

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
function withPartial(result: ReturnType<TextBuilder['finish']>, wholeLength: () => number): ReturnType<TextBuilder['finish']> {
  if (!result.full) return result;
  return { ...result, partial: { read: result.text.length, total: Math.max(result.text.length, wholeLength()) } };
}

interface ReadOptions {
  ranges?: readonly Range[];
  main?: MainContent;
  allVisible?: boolean;
}

function read(root: Element, mode: Mode, { ranges, main, allVisible }: ReadOptions = {}): ReturnType<TextBuilder['finish']> {
  const b = new TextBuilder();
  if (!ranges) {
    walkElement(root, { mode, b, main, allVisible }, 'collapse');
    return withPartial(b.finish(), () => textLengthUnder(root));
  }
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

function newSnapshotId(): string {
  // crypto.randomUUID needs a secure context; plain http pages are not one
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');
}

function snapshot(doc: Document, scope: Scope, read: ReturnType<TextBuilder['finish']>, reading: Reading, bounds?: RangeBounds[]): Snapshot {
  return {
    snapshotId: newSnapshotId(),
    scope,
    reading,
    text: read.text,
    passages: read.passages,
    title: (doc.title ?? '').trim(),
    url: doc.URL,
    segments: read.segments,
    domState: currentState,
    doc,
    ...(read.partial ? { partial: read.partial } : {}),
    ...(bounds ? { bounds } : {}),
  };
}

/** What the popup says was read (after "Read: "). */
const READ_MAIN: Reading = { kind: 'main', note: 'the main article' };
const READ_SELECTION: Reading = { kind: 'selection', note: 'your selection' };
const readWhole = (why: string): Reading => ({ kind: 'page', note: `the whole page (${why})` });

/**
 * A page hidden as a whole (`visibility: hidden` on <html> or <body>, e.g. until a script shows it) renders
 * nothing yet; reading it as empty would be wrong, so its text is read as it will be shown.
 */
function pageHidden(doc: Document): boolean {
  const el = doc.body ?? doc.documentElement;
  const v = el ? styleOf(el)?.visibility : undefined;
  return v === 'hidden' || v === 'collapse';
}

/**
 * The readable text of the page: its main content as Readability finds it (main-content.ts), read by the
 * walker without page chrome; if that is too little to hold an answer, the whole body without page chrome; if
 * that is still very little, the whole body with only hidden text left out. Pages too big for Readability
 * use mainRoot's heuristic instead.
 */
export function extractPage(doc: Document): Snapshot {
  const body = doc.body ?? doc.documentElement;
  const allVisible = pageHidden(doc);
  let best: ReturnType<TextBuilder['finish']> | undefined;
  let reading: Reading = readWhole('no main article found');
  const main = readabilityMain(doc, MIN_MAIN_TEXT);
  if (main) {
    const r = read(body, 'page', { main, allVisible });
    if (r.text.length >= MIN_MAIN_TEXT) [best, reading] = [r, READ_MAIN];
    else reading = readWhole('the main article is too short to answer from');
  } else {
    const root = mainRoot(doc);
    if (root !== body) {
      const r = read(root, 'page', { allVisible });
      if (r.text.length >= MIN_MAIN_TEXT) [best, reading] = [r, READ_MAIN];
    }
  }
  if (!best) {
    best = read(body, 'page', { allVisible });
    if (best.text.length < MIN_MAIN_TEXT) {
      const lenient = read(body, 'lenient', { allVisible });
      if (lenient.text.length > best.text.length) best = lenient;
    }
  }
  return snapshot(doc, 'page', best, reading);
}

/** The selected text (every range of the selection); undefined when nothing readable is selected. */
export function extractSelection(sel: Selection | null): Snapshot | undefined {
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return undefined;
  const ranges: Range[] = [];
  for (let i = 0; i < sel.rangeCount; i++) {
    const r = sel.getRangeAt(i);
    if (!r.collapsed) ranges.push(r);
  }
  if (ranges.length === 0) return undefined;
  const doc = ranges[0].startContainer.ownerDocument ?? (ranges[0].startContainer as Document);
  const bounds = ranges.map(boundsOf);
  const result = read(doc.documentElement, 'selection', { ranges });
  if (!result.text.trim()) return undefined;
  return snapshot(doc, 'selection', result, READ_SELECTION, bounds);
}

/** Reads the same scope again (the same selection, by its anchors); undefined when the selection is gone. */
export function extractAgain(previous: Snapshot): Snapshot | undefined {
  if (previous.scope === 'page') return extractPage(previous.doc);
  const ranges: Range[] = [];
  for (const b of previous.bounds ?? []) {
    const r = rangeOf(previous.doc, b);
    if (!r) return undefined;
    ranges.push(r);
  }
  if (ranges.length === 0) return undefined;
  return snapshot(previous.doc, 'selection', read(previous.doc.documentElement, 'selection', { ranges }), READ_SELECTION, [...(previous.bounds ?? [])]);
}

/** The public part of a snapshot, for the message channel (the node map cannot travel). */
export function snapshotReply(s: Snapshot): ExtractReply {
  return { snapshotId: s.snapshotId, scope: s.scope, reading: s.reading, text: s.text, passages: s.passages, title: s.title, url: s.url, ...(s.partial ? { partial: s.partial } : {}) };
}

// ---- selection anchors ----
// Live Range objects do not survive marking: moving a text node into a <mark> resets every range boundary
// inside it to the parent. A boundary is kept instead as "n characters into the text of the nearest element
// that is not one of our marks"; marking and clearing never change that element's text.

function isMark(node: Node): boolean {
  return node.nodeType === ELEMENT_NODE && (node as Element).hasAttribute('data-lens-answer');
}

export function anchorOf(node: Node, offset: number): TextAnchor {
  let container: Node = node.nodeType === TEXT_NODE ? (node.parentNode ?? node) : node;
  while (isMark(container) && container.parentNode) container = container.parentNode;
  const doc = node.ownerDocument ?? (node as Document);
  const r = doc.createRange();
  r.setStart(container, 0);
  r.setEnd(node, offset);
  return { container, chars: r.toString().length };
}

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
