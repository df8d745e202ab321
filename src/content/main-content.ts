// Which part of the page is its main content, decided by Mozilla's Readability (the library behind Firefox
// Reader View) and mapped back to the live DOM, so the page's own walker (extract.ts) can read exactly those
// text nodes and keep its text-node offset map for highlighting.
//
// Readability rewrites the document it is given (removes, renames and wraps elements, and on a retry rebuilds
// the page from innerHTML), so it runs on a clone. Before it runs, the clone's elements are numbered with an
// attribute (renamed elements keep their attributes; a retry re-creates them from HTML with it) and its text
// nodes are paired with the live ones (moved nodes stay the same objects). What Readability keeps is then
// translated back: the live text nodes it kept, and the live elements on their way down.
import { Readability } from '@mozilla/readability';
import { MAX_BYLINE_CHARS, isAuthorBox, isBoilerplateByName, isBylineElement, isChromeLandmark, isLinkList, isNotice, isRelatedLinkLine, isTeaserHeading, linkDensity, textLength } from './boilerplate.js';

/** The live nodes that make up the main content; the walker reads only these (see extract.ts `admits`). */
export interface MainContent {
  readonly doc: Document;
  /** text nodes of the main content */
  readonly text: ReadonlySet<Text>;
  /** elements of the main content and every ancestor of its text nodes */
  readonly elements: ReadonlySet<Element>;
  /** Readability's article title (its heading is put back into the main content) */
  readonly title: string;
  /** where the main content starts (its headline or first text node) and its last text node, in document order */
  readonly first: Node;
  readonly last: Node;
  /** the article's headline element, when one was found */
  readonly headline?: Element;
  /** the first text node of the body as Readability chose it: what comes before it is the article's head */
  readonly bodyStart: Node;
}

const ID_ATTR = 'data-lens-rid';
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
/** Readability's own limit for pages it reads (0 = none); beyond it the caller's heuristic decides. */
export const MAX_ELEMENTS = 60_000;
/** A boilerplate-looking block holding more of the main text than this is the content after all. */
const MAX_JUNK_SHARE = 0.3;
/** Blocks that can be a notice line on their own (an inline <strong> inside a paragraph is part of its sentence). */
const NOTICE_BLOCKS = new Set(['p', 'div', 'li', 'section', 'aside', 'footer', 'blockquote', 'h2', 'h3', 'h4', 'h5', 'h6', 'small']);

interface Pairing {
  elements: Element[];
  text: WeakMap<Text, Text>;
}

/** Numbers the clone's elements (ID_ATTR = index into `elements`) and pairs its text nodes with the live ones. */
function pair(live: Element, clone: Element): Pairing {
  const elements: Element[] = [];
  const text = new WeakMap<Text, Text>();
  const doc = live.ownerDocument;
  const a = doc.createTreeWalker(live, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  const b = clone.ownerDocument.createTreeWalker(clone, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let x: Node | null = a.currentNode, y: Node | null = b.currentNode; x && y; x = a.nextNode(), y = b.nextNode()) {
    if (x.nodeType === ELEMENT_NODE) {
      (y as Element).setAttribute(ID_ATTR, String(elements.length));
      elements.push(x as Element);
    } else if (x.nodeType === TEXT_NODE) {
      text.set(y as Text, x as Text);
    }
  }
  return { elements, text };
}

function liveElementOf(el: Element, p: Pairing): Element | undefined {
  const id = el.getAttribute(ID_ATTR);
  return id === null ? undefined : p.elements[Number(id)];
}

/**
 * A clone text node that is not the live one's twin (Readability rebuilt the page from HTML on a retry): the
 * next unused live text node with the same data under the live twin of its nearest numbered ancestor.
 */
function findLiveText(t: Text, p: Pairing, used: Set<Text>): Text | undefined {
  let anchor: Element | null = t.parentElement;
  while (anchor && !anchor.hasAttribute(ID_ATTR)) anchor = anchor.parentElement;
  const live = anchor && liveElementOf(anchor, p);
  if (!live) return undefined;
  const w = live.ownerDocument.createTreeWalker(live, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) if ((n as Text).data === t.data && !used.has(n as Text)) return n as Text;
  return undefined;
}

/** Readability's _textSimilarity: the share of b's words (by length) also in a. */
function similarity(a: string, b: string): number {
  const words = (s: string) => s.toLowerCase().split(/\W+/).filter(Boolean);
  const ta = new Set(words(a));
  const tb = words(b);
  if (ta.size === 0 || tb.length === 0) return 0;
  const missing = tb.filter((w) => !ta.has(w)).join(' ');
  return 1 - missing.length / tb.join(' ').length;
}

/** Whether `a` comes before `b` in document order. */
export function precedes(a: Node, b: Node): boolean {
  return (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
}

function addTextOf(el: Element, text: Set<Text>): void {
  const w = el.ownerDocument.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) text.add(n as Text);
}

/** Text like the title: two words or more, nearly all of them the title's (a <title> often adds the site's name). */
function likeTitle(t: string, titles: readonly string[]): boolean {
  return t.split(/\s+/).length >= 2 && t.length <= Math.max(...titles.map((x) => x.length)) * 1.5 && titles.some((title) => similarity(title, t) > 0.75);
}

/**
 * The article's headline: Readability takes it out of the content (it returns it as the title), and on many
 * pages it stands apart from the body anyway. An h1/h2 like the title (Readability's or the page's) before the
 * content's end, the one nearest the content's start (a site's name in an h1 at the top is like the title
 * too); without one (page builders), an element styled as the title before the content.
 */
function findHeadline(doc: Document, title: string, first: Node, last: Node): Element | undefined {
  const titles = [title, (doc.title ?? '').trim()].filter(Boolean);
  if (titles.length === 0) return undefined;
  let found: Element | undefined;
  for (const h of doc.querySelectorAll('h1, h2')) {
    if (!precedes(h, last) || (found && !precedes(h, first))) break;
    if (likeTitle((h.textContent ?? '').trim(), titles)) found = h;
  }
  if (found) return found;
  for (const h of doc.querySelectorAll('[role="heading"], [class*="title" i], [class*="headline" i], [class*="heading" i]')) {
    if (!precedes(h, first)) break;
    if (likeTitle((h.textContent ?? '').trim(), titles)) found = h;
  }
  return found;
}

/** Readability keeps bylines as metadata, out of the content: short byline elements from `from` to the content's end go back in. */
function putBackBylines(doc: Document, root: Node, from: Node, last: Node, text: Set<Text>): void {
  // one pass in document order (comparing positions node by node is slow on long pages)
  const around = new Set<Node>();
  for (let e = from.parentNode; e; e = e.parentNode) around.add(e);
  let passed = false;
  const w = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n && n !== last; n = w.nextNode()) {
    if (n === from) passed = true;
    // a header holding headline and byline surrounds `from`
    if (n.nodeType !== ELEMENT_NODE || !(passed || around.has(n))) continue;
    const el = n as Element;
    if (!isBylineElement(el, MAX_BYLINE_CHARS)) continue;
    let inJunk = false;
    for (let e: Element | null = el; e && !inJunk; e = e.parentElement) inJunk = isBoilerplateByName(e) || isChromeLandmark(e);
    if (!inJunk) addTextOf(el, text);
  }
}

/**
 * A block that is not article text wherever it stands: named as boilerplate, mostly links, a navigation or
 * sidebar landmark, a section headed "More stories" with links in it, or a short copyright or subscribe line.
 */
function isJunk(el: Element, inHead = false): boolean {
  if (isBoilerplateByName(el) || isLinkList(el, inHead) || isChromeLandmark(el) || isRelatedLinkLine(el)) return true;
  if (NOTICE_BLOCKS.has(el.localName) && (isNotice(el) || isAuthorBox(el, MAX_BYLINE_CHARS))) return true;
  const heading = el.firstElementChild;
  return heading !== null && isTeaserHeading(heading) && linkDensity(el) > 0.3;
}

/** The junk block `n` is in, up to (not including) `root`; the outermost one. */
function junkAncestor(n: Node, root: Node, junk: (el: Element) => boolean): Element | undefined {
  let found: Element | undefined;
  for (let e = n.parentElement; e && e !== root; e = e.parentElement) if (junk(e)) found = e;
  return found;
}

/**
 * Readability is trusted with the region (from its first kept text to its last) and details are decided here:
 * blocks it dropped inside the region come back (its conditional cleaning drops short lists and meta lines,
 * such as a how-to's tool list), and blocks it kept that are boilerplate (share bars, newsletter boxes,
 * breadcrumbs, ratings, a layout table's menu column, "More stories" rails, copyright and subscribe lines) go.
 * Page chrome and hidden text are left to the walker.
 */
function refine(doc: Document, first: Node, last: Node, text: Set<Text>): void {
  let total = 0;
  for (const t of text) total += t.data.replace(/\s+/g, '').length;
  const junk = (el: Element) => isJunk(el) && textLength(el) <= total * MAX_JUNK_SHARE;
  const range = doc.createRange();
  range.setStartBefore(first);
  range.setEndAfter(last);
  // one pass in document order from `first` to `last` (comparing positions node by node is slow on long pages)
  const seen = new Set<Text>();
  const region = new Set<Text>();
  const root = range.commonAncestorContainer;
  // the region may start inside a junk block (Readability kept a breadcrumb first)
  let junkRoot = junkAncestor(first, root, junk);
  let started = false;
  const w = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n: Node | null = w.currentNode; n; n = w.nextNode()) {
    if (!started) {
      if (n !== first) continue;
      started = true;
    }
    if (junkRoot && !junkRoot.contains(n)) junkRoot = undefined;
    if (n.nodeType === ELEMENT_NODE) {
      if (!junkRoot && junk(n as Element)) junkRoot = n as Element;
    } else if (n.nodeType === TEXT_NODE && (n as Text).data.trim()) {
      seen.add(n as Text);
      if (!junkRoot) region.add(n as Text);
    }
    if (n === last) break;
  }
  for (const t of seen) if (!region.has(t)) text.delete(t);
  for (const t of region) text.add(t);
}

/**
 * The article's head, between its headline and the body Readability chose: the headline, bylines and dates, a
 * standfirst, and opening paragraphs Readability left out; never a menu, a category list or a video rail that
 * a page puts there (blocks that are junk, lines and list items that are mostly links).
 */
function readHead(doc: Document, headline: Element, bodyStart: Node, text: Set<Text>): void {
  const range = doc.createRange();
  range.setStartBefore(headline);
  range.setEndBefore(bodyStart);
  const root = range.commonAncestorContainer;
  const w = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  w.currentNode = headline;
  const junk = new Map<Element, boolean>();
  const isHeadJunk = (e: Element) => {
    let j = junk.get(e);
    if (j === undefined) junk.set(e, (j = !isBylineElement(e, MAX_BYLINE_CHARS) && isJunk(e, true)));
    return j;
  };
  for (let n = w.nextNode(); n && n !== bodyStart; n = w.nextNode()) {
    const t = n as Text;
    if (headline.contains(t) || !t.data.trim()) continue;
    let inJunk = false;
    for (let e = t.parentElement; e && e !== root && !inJunk; e = e.parentElement) inJunk = isHeadJunk(e);
    if (!inJunk) text.add(t);
  }
  addTextOf(headline, text);
}

/**
 * The main content as Readability finds it, in live nodes; undefined when it finds none (or the page is too
 * big for it, or it fails).
 */
export function readabilityMain(doc: Document, minChars: number): MainContent | undefined {
  const root = doc.documentElement;
  if (!root || !doc.body) return undefined;
  if (doc.getElementsByTagName('*').length > MAX_ELEMENTS) return undefined;
  const clone = doc.cloneNode(true) as Document;
  const p = pair(root, clone.documentElement);
  // A page hidden as a whole (shown later by a script) is still the page: extract.ts decides visibility as
  // rendered; Readability would drop an inline-hidden body entirely.
  for (const el of [clone.documentElement, clone.body]) (el as HTMLElement | null)?.style?.removeProperty('visibility');
  let article: ReturnType<Readability<Element>['parse']>;
  try {
    // charThreshold: Readability retries with looser rules below 500 characters, and on short pages the looser
    // reads take in menus and promos; the walker's own threshold (MIN_MAIN_TEXT) decides what is too short
    article = new Readability<Element>(clone, { serializer: (el) => el as Element, keepClasses: true, charThreshold: minChars }).parse();
  } catch {
    return undefined;
  }
  const content = article?.content;
  if (!content) return undefined;

  const text = new Set<Text>();
  const elements = new Set<Element>();
  const w = clone.createTreeWalker(content, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    if (n.nodeType === ELEMENT_NODE) {
      const live = liveElementOf(n as Element, p);
      if (live) elements.add(live);
    } else if (n.nodeType === TEXT_NODE && (n as Text).data.trim()) {
      const live = p.text.get(n as Text) ?? findLiveText(n as Text, p, text);
      if (live) text.add(live);
    }
  }
  if (text.size === 0) return undefined;
  let first: Text | undefined;
  let last: Text | undefined;
  const order = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let n = order.nextNode(); n; n = order.nextNode()) {
    if (!text.has(n as Text)) continue;
    first ??= n as Text;
    last = n as Text;
  }
  if (!first || !last) return undefined;
  const title = (article?.title ?? '').trim();
  // the article runs from its headline (when that comes first) to the last text Readability kept
  const headline = findHeadline(doc, title, first, last);
  const start = headline && precedes(headline, first) ? headline : first;
  refine(doc, first, last, text);
  if (headline && start === headline) readHead(doc, headline, first, text);
  else if (headline) addTextOf(headline, text);
  putBackBylines(doc, doc.body, start, last, text);
  if (text.size === 0) return undefined;
  const up = new Set<Element>();
  for (const t of text) {
    for (let e = t.parentElement; e && !up.has(e); e = e.parentElement) {
      up.add(e);
      elements.add(e);
    }
  }
  for (let e: Element | null = doc.body; e; e = e.parentElement) elements.add(e);
  return { doc, text, elements, title, first: start, last, ...(headline ? { headline } : {}), bodyStart: first };
}

/** Whether the walker reads this node: main-content nodes, and anything in shadow trees or frames of main-content hosts. */
export function admits(main: MainContent, node: Node): boolean {
  if (node.nodeType === TEXT_NODE) {
    // whitespace-only nodes hold no words but keep the words around them apart
    if (main.text.has(node as Text) || !/\S/.test((node as Text).data)) return true;
  } else if (node.nodeType === ELEMENT_NODE) {
    if (main.elements.has(node as Element)) return true;
  } else {
    return true;
  }
  // Readability saw the light DOM of this document only: what a shadow tree or a frame holds is read as the
  // walker finds it, when its host or frame is inside the main content (Readability drops frames, and custom
  // elements with only a shadow tree look empty to it).
  if (node.getRootNode() !== main.doc) return true;
  if (node.nodeType !== ELEMENT_NODE) return false;
  const el = node as Element;
  if (el.localName === 'br' || el.localName === 'hr') return true; // no text, but they part the words around them
  const host = el.localName === 'iframe' || el.localName === 'frame' || el.localName.includes('-') || el.shadowRoot !== null;
  return host && precedes(main.first, el) && precedes(el, main.last);
}
