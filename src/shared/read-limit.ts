// The cap on how much page text one question reads (MAX_READ_CHARS, see protocol.ts), as the background
// enforces it whatever a content script sent, and the words the popup uses for a partial read. Pure.
import { MAX_READ_CHARS, type ExtractReply, type PartialRead } from './protocol.js';

/** The text cut to `limit` characters (passages cut with it), marked partial; unchanged when it fits. */
export function capPage(page: ExtractReply, limit = MAX_READ_CHARS): ExtractReply {
  if (page.text.length <= limit) return page;
  const passages = page.passages.filter((p) => p.start < limit).map((p) => (p.end > limit ? { start: p.start, end: limit } : p));
  return { ...page, text: page.text.slice(0, limit), passages, partial: { read: limit, total: Math.max(page.text.length, page.partial?.total ?? 0) } };
}

/** A character count for people: "1.0 million" from 100,000 up, digits below. */
export function charCount(n: number): string {
  return n >= 100_000 ? `${(n / 1e6).toFixed(1)} million` : Math.round(n).toLocaleString('en-US');
}

/** "Read the first 1.0 million of about 10.2 million characters" */
export function partialReadText(partial: PartialRead): string {
  return `Read the first ${charCount(partial.read)} of about ${charCount(partial.total)} characters`;
}
