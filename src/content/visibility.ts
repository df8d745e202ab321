// What is not read because a reader does not see it: the tests the walker (walk.ts) applies to an element, its
// computed style and the characters of its text, and the page chrome that page reading leaves out.
//
// Not read, because a sighted reader does not see it as text (in every scope unless noted):
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

/** Never text a reader sees, in any scope. */
export const JUNK_TAGS = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'canvas', 'object', 'embed', 'video', 'audio', 'img', 'picture',
  'source', 'track', 'map', 'area', 'input', 'textarea', 'select', 'option', 'optgroup', 'datalist', 'head', 'meta', 'link',
  'title', 'base', 'frameset', 'param',
]);

/** Page chrome rather than content: skipped when reading the page (not when reading a selection). */
const CHROME_TAGS = new Set(['nav', 'aside', 'form', 'button', 'search', 'dialog', 'menu']);
const CHROME_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'menu', 'menubar', 'dialog', 'alertdialog']);
/** header/footer are page chrome (banner/contentinfo) unless they belong to a sectioning element (an article's byline). */
const SECTIONING = new Set(['article', 'aside', 'main', 'nav', 'section']);

/** The computed style; undefined where there is none to ask for (an element of a document without a window). */
export function styleOf(el: Element): CSSStyleDeclaration | undefined {
  try {
    return el.ownerDocument.defaultView?.getComputedStyle(el) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Text directly in an element with this style is seen: not visibility: hidden, not in a 0 px font. */
export function textShows(style: CSSStyleDeclaration): boolean {
  return style.visibility === 'visible' && !(parseFloat(style.fontSize) <= 0);
}

/**
 * Laid out but out of sight (see the top of this file): screen-reader-only text, skip links, text moved off the
 * page, boxes collapsed or clipped to nothing. Layout is only asked for (a bounding box) where the style says the
 * element may have been moved (positioned or transformed), or may clip (overflow other than visible).
 */
export function isVisuallyHidden(el: Element, style: CSSStyleDeclaration): boolean {
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
export function isPageChrome(el: Element, tag: string): boolean {
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
export function isLensUi(el: Element): boolean {
  return el.id === 'lens-card-host' || el.hasAttribute('data-lens');
}

/** Characters that are invisible inside a word and left out of the text: zero-width ones and the soft hyphen. */
export function isInvisible(data: string, i: number): boolean {
  const c = data.charCodeAt(i);
  if (c !== 0xad && c !== 0x200b && c !== 0x200c && c !== 0x200d && c !== 0x2060 && c !== 0xfeff) return false;
  // a zero-width joiner that joins emoji (👩‍👩‍👧) is part of the emoji: kept
  return c !== 0x200d || !EMOJI_NEXT.test(data.slice(i + 1, i + 3));
}

const EMOJI_NEXT = /^\p{Extended_Pictographic}/u;

/** Rendered at all: neither it nor an ancestor is display: none (visibility and opacity are not asked). */
export function isShown(el: Element): boolean {
  if (typeof el.checkVisibility === 'function') return el.checkVisibility({ visibilityProperty: false, opacityProperty: false });
  for (let e: Element | null = el; e; e = e.parentElement) if (styleOf(e)?.display === 'none') return false;
  return true;
}

/**
 * A page hidden as a whole (`visibility: hidden` on <html> or <body>, e.g. until a script shows it) renders
 * nothing yet; reading it as empty would be wrong, so its text is read as it will be shown.
 */
export function pageHidden(doc: Document): boolean {
  const el = doc.body ?? doc.documentElement;
  const v = el ? styleOf(el)?.visibility : undefined;
  return v === 'hidden' || v === 'collapse';
}
