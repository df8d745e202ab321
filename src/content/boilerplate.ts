// What makes a block of a page boilerplate rather than article text, wherever it stands: its class or id words
// (share bars, newsletter boxes, related-story rails), its share of link text (menus, link lists, teaser rails),
// its landmark (navigation, complementary), a heading that announces a teaser list ("More stories", "Related"),
// and lines that no article says as content (a copyright line, a call to subscribe or follow). Used by
// main-content.ts to decide what around Readability's choice is read, and by roles.ts to tell a byline or a
// caption from the body.

/** Bylines and dates are short; a longer "author" block is an author bio box. */
export const MAX_BYLINE_CHARS = 150;
/** Readability's "byline" signals (its REGEXPS.byline and the attributes it checks). */
export const BYLINE = /byline|author|dateline|writtenby|p-author/i;
/** Class or id words of short lines that say who wrote an article and when. */
export const META_WORDS = new Set(['date', 'dateline', 'published', 'timestamp', 'meta', 'byline', 'author', 'writtenby', 'posted', 'time']);
/** Class or id words of a figure's caption or credit. */
const CAPTION_WORDS = new Set(['caption', 'figcaption', 'credit', 'credits']);

/** A class or id word (split at -, _ and spaces) of a block that is not content wherever it is. */
const BOILERPLATE = new Set([
  'breadcrumb', 'breadcrumbs', 'share', 'sharing', 'sharebar', 'social', 'newsletter', 'signup', 'subscribe', 'related', 'recommended',
  'outbrain', 'taboola', 'promo', 'advert', 'advertisement', 'ad', 'ads', 'sponsor', 'sponsored', 'tags', 'comment', 'comments', 'rating',
  'signature', 'cookie', 'consent', 'paywall', 'pagination', 'pager', 'toolbar', 'reviews',
  // calls to action (donate, write a letter), disclosures, buy boxes, copyright lines, author bio boxes
  'cta', 'donation', 'donate', 'disclosure', 'disclaimer', 'buybox', 'copyright', 'bio', 'biography', 'nav', 'navigation', 'menu',
]);
/** Blocks judged by their share of link text: mostly links = a menu or a link list, not prose. */
const LINK_BLOCKS = new Set(['div', 'section', 'td', 'th', 'table', 'ul', 'ol', 'dl', 'header', 'footer', 'aside', 'nav']);
/**
 * Before an article's body (between headline and body) a line or list item that is mostly links is a menu or a
 * category list too; in the body a paragraph of links is still the author's text (a list of sources).
 */
const HEAD_LINK_BLOCKS = new Set([...LINK_BLOCKS, 'p', 'li', 'span']);
/** Class or id words of the summary under a headline. */
const STANDFIRST_WORDS = new Set(['standfirst', 'dek', 'deck', 'lede', 'lead', 'summary', 'subtitle', 'subheadline', 'subhead', 'excerpt', 'intro', 'strapline', 'kicker', 'teaser', 'description', 'abstract']);
const MAX_LINK_DENSITY = 0.5;
/** Landmarks that hold a site's chrome, not an article's text. */
const CHROME_TAGS = new Set(['nav', 'aside', 'menu', 'form', 'footer']);
const CHROME_ROLES = new Set(['navigation', 'complementary', 'contentinfo', 'banner', 'search', 'menu', 'menubar']);
/**
 * Headings that announce a list of other articles: a block they head is a teaser rail, not the article.
 * English and the other languages of the development pages' sites (es, fr, de); a heading is a short text.
 */
const TEASER_HEADING =
  /^(more|related|recommended|read (next|more|also)|also read|you (may|might) (also )?(like|enjoy)|popular|trending|most (read|popular|viewed)|latest|see also|further reading|editor'?s picks|top stories|lea (también|más)|à lire aussi|lire aussi|mehr zum thema|das könnte sie auch interessieren|weitere artikel)\b/i;
/**
 * Lines an article does not say as its content: a copyright line, or a short call to subscribe, sign up, follow
 * or download the site's app. Tested on short blocks only (a paragraph that mentions a newsletter is still text).
 */
const COPYRIGHT = /^\s*(©|\(c\)\s|copyright\b)/i;
const CALL_TO_ACTION =
  /\b(subscribe|subscribers?|sign(ing)? up|newsletters?|follow (us|[\w@. ]{1,40} on (twitter|facebook|instagram|linkedin|youtube|tiktok|x))|(download|get) .{0,80}\bapps?\b|donate|support (us|our journalism|local news)|log in|already a subscriber)\b/i;
const MAX_CTA_CHARS = 240;
/** A copyright line may run on with the site's reprint terms. */
const MAX_NOTICE_CHARS = 400;

function classWords(el: Element): string[] {
  return `${el.getAttribute('class') ?? ''} ${el.id}`.toLowerCase().split(/[\s_-]+/).filter(Boolean);
}

/** A block whose class or id says it is not content (share bar, newsletter box, related stories, menu...). */
export function isBoilerplateByName(el: Element): boolean {
  return classWords(el).some((n) => BOILERPLATE.has(n));
}

/** A navigation or complementary landmark (a site's menu, its sidebar, a page footer outside the article). */
export function isChromeLandmark(el: Element): boolean {
  if (CHROME_TAGS.has(el.localName)) return true;
  const role = el.getAttribute('role');
  return role !== null && CHROME_ROLES.has(role);
}

export function textLength(el: Element): number {
  return (el.textContent ?? '').replace(/\s+/g, '').length;
}

/** The share of a block's text that is link text. */
export function linkDensity(el: Element): number {
  const all = textLength(el);
  if (all === 0) return 0;
  let links = 0;
  for (const a of el.querySelectorAll('a')) links += textLength(a);
  return links / all;
}

/** A block that is mostly links: a menu, a link list; `inHead`: also a line or list item of links. */
export function isLinkList(el: Element, inHead = false): boolean {
  return (inHead ? HEAD_LINK_BLOCKS : LINK_BLOCKS).has(el.localName) && linkDensity(el) > MAX_LINK_DENSITY;
}

/** A line that points to another article: a short label and a link ("Read also: <link>", "Lea también: <link>"). */
export function isRelatedLinkLine(el: Element): boolean {
  if (el.localName !== 'p' && el.localName !== 'li' && el.localName !== 'div') return false;
  const link = el.querySelector('a');
  if (!link || linkDensity(el) < 0.6) return false;
  const range = el.ownerDocument.createRange();
  range.setStart(el, 0);
  range.setEndBefore(link);
  const label = range.toString().trim();
  return label.length > 0 && label.length <= 30 && /[:»›>|]$/.test(label);
}

/** An element named as the summary under a headline (a standfirst, dek, lede, subtitle). */
export function isStandfirstElement(el: Element): boolean {
  return classWords(el).some((x) => STANDFIRST_WORDS.has(x));
}

/** A heading that announces other articles ("More stories", "Related", "Lea también"). */
export function isTeaserHeading(el: Element): boolean {
  if (!/^h[1-6]$/.test(el.localName) && el.getAttribute('role') !== 'heading') return false;
  const t = (el.textContent ?? '').trim();
  return t.length > 0 && t.length <= 60 && TEASER_HEADING.test(t);
}

/** A short block that is a copyright line or a call to subscribe, sign up, follow or download. */
export function isNotice(el: Element): boolean {
  const t = (el.textContent ?? '').trim();
  if (t.length === 0 || t.length > MAX_NOTICE_CHARS) return false;
  return COPYRIGHT.test(t) || (t.length <= MAX_CTA_CHARS && CALL_TO_ACTION.test(t));
}

/** A block named for the author that is longer than a byline: an "about the author" box. */
export function isAuthorBox(el: Element, maxBylineChars: number): boolean {
  return BYLINE.test(`${el.getAttribute('class') ?? ''} ${el.id}`) && (el.textContent ?? '').trim().length >= maxBylineChars;
}

/** A short element that says who wrote the article or when: by its markup (rel, itemprop, <time>) or its class or id. */
export function isBylineElement(el: Element, maxChars: number): boolean {
  const rel = el.getAttribute('rel') === 'author' || (el.getAttribute('itemprop') ?? '').includes('author') || (el.getAttribute('itemprop') ?? '').startsWith('date');
  if (!rel && el.localName !== 'time' && !BYLINE.test(`${el.getAttribute('class') ?? ''} ${el.id}`) && !classWords(el).some((x) => META_WORDS.has(x))) return false;
  const len = (el.textContent ?? '').trim().length;
  return len > 0 && len < maxChars;
}

/** A figure's caption or credit: <figcaption>, a table's <caption>, or an element named as one. */
export function isCaptionElement(el: Element): boolean {
  return el.localName === 'figcaption' || el.localName === 'caption' || classWords(el).some((x) => CAPTION_WORDS.has(x));
}
