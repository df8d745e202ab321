// Which changes the page made to itself since a reading, and whether they touched what was read. A reading (a
// snapshot) is reused for the next question, and its text-node map trusted for marking an answer, only while no
// change touched it; a change elsewhere (an ad rotating in the sidebar, a counter ticking in a header) leaves it as
// it is. The extension's own DOM changes (marks, their styles, opened <details>) are not page changes: the code
// that makes them runs inside ownChange(), which takes their records out of the queue.
// A MutationObserver in the content script sees the page's changes whatever the page does to its own globals:
// the observer, like the rest of this script, lives in the extension's isolated world. It watches the document,
// its same-origin frames and the shadow roots the walker entered (watchRoot).
//
// A change touches a reading when (touches() below):
// - the text of a read text node changed, or a read text node was removed (itself or with an element around it);
// - a node that may show text (text that is not only whitespace, a line break, a frame, a shadow host or custom
//   element) was added, or an unread text node got text, inside the read region: for a main-content or selection
//   reading, between its first and last read node, or at either end of it inside the smallest element holding
//   both (a paragraph appended to the article); for a whole-page reading, anywhere;
// - aria-hidden or slot changed on an element in the region or above it (the walker decides on those itself).
// Other attribute changes (class, style, hidden, ...) on an element in the region or above it, and stylesheets
// added or changed anywhere, may or may not change what is shown: <body> class toggles on scroll are common and
// usually change nothing in the article. They are not judged one by one: the reading is marked for a check, and at
// the next question the region's rendered text (innerText, which follows display, visibility and white-space) and
// the visibility of a sample of read nodes are compared with what they were when it was read. Equal: the reading
// stands; different: it is read again. Not seen at all: style changes without a DOM change (a media query after a
// resize, rules the page inserts through CSSOM) — as before, the page is read as it is computed at the question.

import type { Reading } from '../shared/protocol.js';

const OPTIONS: MutationObserverInit = {
  subtree: true,
  childList: true,
  characterData: true,
  // a text node that was only whitespace (never read) and now has words is new text; one that had words and was
  // not read (hidden, page chrome) still is not
  characterDataOldValue: true,
  attributes: true,
  // attributes that show, hide or move text (a class or style change can hide a block)
  attributeFilter: ['class', 'style', 'hidden', 'aria-hidden', 'open', 'slot', 'dir', 'inert', 'contenteditable'],
};

/** Attributes the walker reads itself, which rendering (innerText) does not show: a change in the region counts. */
const WALKER_ATTRIBUTES = new Set(['aria-hidden', 'slot']);

/** Readings tracked at once (the page's and the selection's latest, and a couple before them); older ones count as touched. */
const KEPT = 4;

/** How many read nodes' visibility is sampled for the rendering check (besides the region's rendered text). */
const SAMPLES = 16;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const DOCUMENT_NODE = 9;
const DOCUMENT_FRAGMENT_NODE = 11;

/** What noteReading needs of a reading: its read text nodes in text order, and what kind of reading it is. */
export interface ReadText {
  readonly segments: readonly { readonly node: Text }[];
  readonly reading: Pick<Reading, 'kind'>;
}

interface Tracked {
  /** the text nodes the reading's text came from */
  readonly nodes: ReadonlySet<Text>;
  /** a whole-page reading: new text anywhere may be read */
  readonly anywhere: boolean;
  /** the first and last read node (their shadow host or frame where they are in one) in the top document */
  readonly first: Node;
  readonly last: Node;
  /** the smallest element holding both: its rendered text is what the rendering check compares */
  readonly container: Element;
  readonly samples: readonly Element[];
  /** a hash of the region as rendered when read (the text itself can be megabytes) */
  rendered: number;
  touched: boolean;
  /** an attribute or stylesheet change that may have changed the rendering: checked at the next question */
  recheck: boolean;
}

const observed = new WeakSet<Node>();
const tracked = new WeakMap<object, Tracked>();
/** the tracked readings the page's changes are judged against, oldest first */
let recent: Tracked[] = [];
let listener: ((records: readonly MutationRecord[]) => void) | undefined;

const observer = new MutationObserver((records) => pageChanged(records));

function pageChanged(records: readonly MutationRecord[]): void {
  if (records.length === 0) return;
  const open = recent.filter((t) => !t.touched);
  if (open.length) for (const r of records) note(r, open);
  listener?.(records);
}

/** Watches a document, a same-origin frame's document or a shadow root for the page's own changes. */
export function watchRoot(root: Document | ShadowRoot): void {
  if (observed.has(root)) return;
  observed.add(root);
  try {
    observer.observe(root, OPTIONS);
  } catch {
    // a root that cannot be observed (a document being torn down): its nodes are checked at the question
  }
}

/** Delivers the page's pending changes now (the observer's callback otherwise runs after this task). */
export function flushChanges(): void {
  pageChanged(observer.takeRecords());
}

/** Runs the extension's own DOM changes: the page's pending changes are counted first, then fn's records dropped. */
export function ownChange<T>(fn: () => T): T {
  flushChanges();
  try {
    return fn();
  } finally {
    observer.takeRecords();
  }
}

/** Records that `reading` matches the page as it is now: from here on, changes are judged against its text nodes. */
export function noteReading(reading: ReadText): void {
  flushChanges(); // changes made before this reading are not its business
  const nodes = new Set<Text>();
  for (const s of reading.segments) nodes.add(s.node);
  const doc = reading.segments[0]?.node.ownerDocument ?? document;
  const ends = regionEnds(reading.segments, doc);
  const container = commonElement(ends[0], ends[1]) ?? doc.body ?? doc.documentElement;
  const samples = sampleParents(reading.segments);
  const t: Tracked = {
    nodes,
    anywhere: reading.reading.kind === 'page',
    first: ends[0],
    last: ends[1],
    container: reading.reading.kind === 'page' ? (doc.body ?? doc.documentElement) : container,
    samples,
    rendered: 0,
    touched: false,
    recheck: false,
  };
  t.rendered = rendering(t);
  const before = tracked.get(reading);
  tracked.set(reading, t);
  recent = [...recent.filter((r) => r !== before), t];
  // a reading no longer followed cannot tell what changed since: it counts as touched
  while (recent.length > KEPT) (recent.shift() as Tracked).touched = true;
}

/**
 * Whether a page change touched `reading` since it was noted (or it never was, or it is no longer tracked): its
 * text or its text-node map may no longer be the page's. Runs the pending rendering check, once per change.
 */
export function touchedSince(reading: object): boolean {
  const t = tracked.get(reading);
  if (!t) return true;
  flushChanges();
  if (!t.touched && t.recheck) {
    t.recheck = false;
    if (rendering(t) !== t.rendered) t.touched = true;
  }
  // removals the records cannot show: a frame navigated away, a shadow host's tree replaced, an unobservable root
  if (!t.touched) {
    for (const n of t.nodes) {
      if (!n.isConnected) {
        t.touched = true;
        break;
      }
    }
  }
  return t.touched;
}

/** Called with each batch of page changes (highlight.ts: drop marks whose text changed). */
export function onPageChange(fn: ((records: readonly MutationRecord[]) => void) | undefined): void {
  listener = fn;
}

// ---- judging one change ----

function note(r: MutationRecord, open: readonly Tracked[]): void {
  const target = r.target;
  if (r.type === 'characterData') {
    const text = target as Text;
    if (isStyleText(text)) recheckAll(open);
    else if (r.oldValue !== text.data) textChanged(text, r.oldValue ?? '', open); // the same text written again changes nothing
    return;
  }
  if (r.type === 'attributes') {
    if (!isOwnUi(target)) attributeChanged(target as Element, r.attributeName, open);
    return;
  }
  // childList
  if (isOwnUi(target)) return;
  for (const removed of r.removedNodes) {
    if (isOwnUi(removed)) continue;
    const texts = textsUnder(removed);
    const boundary = isBoundary(removed);
    for (const t of open) {
      if (texts.some((n) => t.nodes.has(n))) t.touched = true;
      // a line break between read words joined or parted them
      else if (boundary && (t.anywhere || aroundRegion(t, inTopDocument(target)))) t.touched = true;
    }
  }
  for (const added of r.addedNodes) {
    if (isOwnUi(added)) continue;
    if (isStylesheet(added)) {
      recheckAll(open);
      continue;
    }
    if (!mayShowText(added)) continue;
    for (const t of open) if (inRegion(t, added)) t.touched = true;
  }
}

function textChanged(text: Text, oldValue: string, open: readonly Tracked[]): void {
  const newWords = !hasVisibleText(oldValue) && hasVisibleText(text.data);
  for (const t of open) if (t.nodes.has(text) || (newWords && inRegion(t, text))) t.touched = true;
}

function attributeChanged(el: Element, name: string | null, open: readonly Tracked[]): void {
  const top = inTopDocument(el);
  // inside a shadow tree or frame the region's rendered text does not show the change; the walker's own attributes neither
  const direct = top !== el || (name !== null && WALKER_ATTRIBUTES.has(name));
  for (const t of open) {
    if (!direct && t.recheck) continue; // already to be checked: the common case of a page toggling classes
    if (!t.anywhere && !aroundRegion(t, top)) continue;
    if (direct) t.touched = true;
    else t.recheck = true;
  }
}

function recheckAll(open: readonly Tracked[]): void {
  for (const t of open) t.recheck = true;
}

/** Where new text at `node` would be read: anywhere (whole page), between the first and last read node, or at either end inside the container. */
function inRegion(t: Tracked, node: Node): boolean {
  const top = inTopDocument(node);
  if (!top.isConnected) return false; // added and taken out again before we looked
  if (t.anywhere) return true;
  if (between(t, top)) return true;
  const parent = top.parentNode;
  return parent !== null && t.container.contains(parent) && (parent.contains(t.first) || parent.contains(t.last));
}

/** An element in the region or above it (its attributes can show or hide read text). */
function aroundRegion(t: Tracked, node: Node): boolean {
  return node.contains(t.first) || node.contains(t.last) || between(t, node);
}

function between(t: Tracked, node: Node): boolean {
  return follows(node, t.first) && follows(t.last, node);
}

/** `b` comes after `a` in document order (inside it included), or is it. */
function follows(b: Node, a: Node): boolean {
  if (a === b) return true;
  const pos = a.compareDocumentPosition(b);
  return (pos & Node.DOCUMENT_POSITION_FOLLOWING) !== 0 && (pos & Node.DOCUMENT_POSITION_DISCONNECTED) === 0;
}

/** A node's stand-in in the top document: itself, or the shadow host or frame element it is inside. */
function inTopDocument(node: Node): Node {
  let n = node;
  for (let depth = 0; depth < 64; depth++) {
    const root = n.getRootNode();
    if (root.nodeType === DOCUMENT_FRAGMENT_NODE && (root as ShadowRoot).host) {
      n = (root as ShadowRoot).host;
      continue;
    }
    if (root.nodeType !== DOCUMENT_NODE) return n; // detached
    let frame: Element | null = null;
    try {
      frame = (root as Document).defaultView?.frameElement ?? null;
    } catch {
      frame = null; // a cross-origin parent: this is the top as far as this script goes
    }
    if (!frame || frame.ownerDocument === root) return n;
    n = frame;
  }
  return n;
}

/** The first and last read node, in the top document, in document order. */
function regionEnds(segments: ReadText['segments'], doc: Document): [Node, Node] {
  if (segments.length === 0) {
    const body = doc.body ?? doc.documentElement;
    return [body, body];
  }
  let a = inTopDocument(segments[0].node);
  let b = inTopDocument(segments[segments.length - 1].node);
  // slotted text is read in slot order, which can differ from document order
  if (a !== b && !follows(b, a)) [a, b] = [b, a];
  return [a, b];
}

function commonElement(a: Node, b: Node): Element | undefined {
  for (let e: Element | null = a.nodeType === ELEMENT_NODE ? (a as Element) : a.parentElement; e; e = e.parentElement) {
    if (e.contains(b)) return e;
  }
  return undefined;
}

/** Parent elements of read nodes spread over the reading: their visibility is part of the rendering check. */
function sampleParents(segments: ReadText['segments']): Element[] {
  const out = new Set<Element>();
  const n = segments.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.floor(n / SAMPLES));
  for (let i = 0; i < n; i += step) {
    const p = segments[i].node.parentElement;
    if (p) out.add(p);
  }
  const last = segments[n - 1].node.parentElement;
  if (last) out.add(last);
  return [...out];
}

/** What the region looks like to a reader (hashed): the sampled elements' visibility and the container's rendered text. */
function rendering(t: Tracked): number {
  const shown = (el: Element) =>
    !el.isConnected ? 'x' : typeof el.checkVisibility === 'function' ? (el.checkVisibility({ visibilityProperty: true }) ? '1' : '0') : '?';
  const c = t.container as HTMLElement;
  return hash(`${shown(c)}${t.samples.map(shown).join('')}\u0000${typeof c.innerText === 'string' ? c.innerText : (c.textContent ?? '')}`);
}

/** FNV-1a, 32 bits: equal renderings hash equal; a different one colliding is a 1 in 4 billion chance. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// ---- what a node is ----

/** Characters a reader sees (zero-width characters and soft hyphens are left out of readings). */
function hasVisibleText(s: string): boolean {
  return /[^\s\u00ad\u200b-\u200d\u2060\ufeff]/.test(s);
}

/** Elements that show text or part it without text of their own. */
const SHOWS_TEXT = new Set(['iframe', 'frame', 'br', 'hr', 'slot']);
/** Elements whose text is never shown. */
const NO_TEXT = new Set(['script', 'noscript', 'template', 'style', 'link', 'meta', 'title', 'head']);

function mayShowText(node: Node): boolean {
  if (node.nodeType === TEXT_NODE) return hasVisibleText((node as Text).data);
  if (node.nodeType !== ELEMENT_NODE) return false;
  const el = node as Element;
  const tag = el.localName;
  if (NO_TEXT.has(tag)) return false;
  if (SHOWS_TEXT.has(tag) || tag.includes('-') || el.shadowRoot !== null) return true;
  return hasVisibleText(el.textContent ?? '') || el.querySelector('iframe, frame, slot') !== null;
}

/** A removed element that parts words by itself (a line break, a rule). */
function isBoundary(node: Node): boolean {
  return node.nodeType === ELEMENT_NODE && ((node as Element).localName === 'br' || (node as Element).localName === 'hr');
}

function isStylesheet(node: Node): boolean {
  if (node.nodeType !== ELEMENT_NODE) return false;
  const el = node as Element;
  if (el.localName === 'style') return true;
  if (el.localName === 'link') return /\bstylesheet\b/i.test(el.getAttribute('rel') ?? '');
  return el.querySelector('style, link[rel~="stylesheet" i]') !== null;
}

function isStyleText(node: Node): boolean {
  return node.parentElement?.localName === 'style';
}

/** The extension's own page UI (the classification card's host, injected styles): never a page change. */
function isOwnUi(node: Node): boolean {
  if (node.nodeType !== ELEMENT_NODE) return false;
  const el = node as Element;
  return el.id === 'lens-card-host' || el.hasAttribute('data-lens');
}

/** Text nodes in a removed subtree (the node itself when it is one). */
function textsUnder(node: Node): Text[] {
  if (node.nodeType === TEXT_NODE) return [node as Text];
  if (node.nodeType !== ELEMENT_NODE && node.nodeType !== DOCUMENT_FRAGMENT_NODE) return [];
  const doc = node.ownerDocument;
  if (!doc) return [];
  const out: Text[] = [];
  const walker = doc.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n as Text);
  return out;
}
