// The role of each passage of an article reading (headline, standfirst, byline, body, caption), so callers and the
// popup can tell the article's head from its body: decided from the DOM around the passage's first text node and
// where it stands (before the body Readability chose = the head), with one look at the words for bylines that
// carry no markup ("By Jane Doe · 5 min read").
import type { Passage, PassageRole } from '../shared/protocol.js';
import { MAX_BYLINE_CHARS, isBylineElement, isCaptionElement, isStandfirstElement } from './boilerplate.js';
import { precedes, type MainContent } from './main-content.js';
import type { BuiltText } from './text-map.js';

/** A short line that reads as a byline or a dateline, in the languages of the pages Lens meets most. */
const BYLINE_WORDS = /^(by|von|por|par|posted|published|updated|written|asked|modified)\b/i;
const DATE_LIKE =
  /\b(\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}|\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)|\d+ (min|mins|minutes?) read|\d{1,2}:\d{2} ?(am|pm)?|\d+ (hours?|days?|weeks?|months?|years?) ago)\b/i;

/**
 * The role of a passage that starts at text node `node` and reads `words`; `bodyBegun`: a body passage came
 * before it (a summary stands before the body, whether Readability kept it or not).
 */
export function roleOf(main: MainContent, node: Node, words: string, bodyBegun: boolean): PassageRole {
  if (main.headline?.contains(node)) return 'headline';
  const inHead = precedes(node, main.bodyStart);
  let standfirst = false;
  for (let e = node.parentElement; e && e !== main.doc.body; e = e.parentElement) {
    if (isCaptionElement(e)) return 'caption';
    if (isBylineElement(e, MAX_BYLINE_CHARS)) return 'byline';
    // a summary is named as one, or stands in the article's <header> with its headline
    standfirst ||= isStandfirstElement(e) || e.localName === 'header';
  }
  const short = words.length < MAX_BYLINE_CHARS;
  if (short && (BYLINE_WORDS.test(words) || (inHead && DATE_LIKE.test(words) && words.length < 60))) return 'byline';
  return standfirst && (inHead || !bodyBegun) ? 'standfirst' : 'body';
}

/** The text with a role on each passage (each passage's role is its first text node's). */
export function withRoles(built: BuiltText, main: MainContent): BuiltText {
  const { segments, text } = built;
  let s = 0;
  let bodyBegun = false;
  const passages: Passage[] = built.passages.map((p) => {
    // passages and segments are both in text order: one pass
    while (s < segments.length && segments[s].start + segments[s].offsets.length <= p.start) s++;
    const seg = segments[s];
    const role = seg ? roleOf(main, seg.node, text.slice(p.start, p.end), bodyBegun) : 'body';
    bodyBegun ||= role === 'body';
    return { ...p, role };
  });
  // a gallery's text is its captions: when they outweigh the article's own text, they are the body
  const chars = (role: PassageRole) => passages.reduce((n, p) => n + (p.role === role ? p.end - p.start : 0), 0);
  if (chars('caption') > chars('body') + chars('standfirst')) for (const p of passages) if (p.role === 'caption') p.role = 'body';
  return { ...built, passages };
}

/** What the popup says was read of an article (after "Read: "), from the roles its passages have. */
export function articleNote(passages: readonly Passage[]): string {
  const has = new Set(passages.map((p) => p.role));
  const head = (['headline', 'standfirst', 'byline'] as const).filter((r) => has.has(r));
  if (head.length === 0) return 'the article';
  const names = head.map((r) => (r === 'standfirst' ? 'summary' : r));
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `the article, with its ${list}`;
}
