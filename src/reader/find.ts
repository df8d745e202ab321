// Find in the PDF (pure): where a query occurs in the text Lens read, case-insensitively, any run of spaces in the
// query matching any run of whitespace in the text (a phrase broken over two lines reads "a\nb" or "a b").

/** At most this many matches are listed (the count then says "1000+"). */
export const MAX_MATCHES = 1000;

export function findAll(text: string, query: string): Array<{ start: number; end: number }> {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'giu');
  const found: Array<{ start: number; end: number }> = [];
  for (const m of text.matchAll(pattern)) {
    found.push({ start: m.index, end: m.index + m[0].length });
    if (found.length >= MAX_MATCHES) break;
  }
  return found;
}
