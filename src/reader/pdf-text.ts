/**
 * Turns pdf.js text content into a reading: plain text in reading order, split into paragraphs (the QA engine's
 * passages), with a map from every text character back to the pdf.js text item it came from, so that an answer's
 * character range can be marked in the pdf.js text layer (which makes one div per text item, in content order).
 *
 * Pure: no DOM and no pdf.js import. The input types are structural, a subset of pdf.js's TextItem and viewport.
 *
 * Steps, per page:
 *  1. pieces: consecutive text items on one baseline with no wide gap between them (hasEOL, a baseline change,
 *     a jump backwards or a gap wider than an em starts a new piece);
 *  2. running headers/footers and page numbers near the top and bottom edges are dropped (rules at dropEdges);
 *  3. reading order: a recursive cut of the pieces into horizontal bands and, where a run of bands shares a wide
 *     empty vertical strip with text beside it on both sides, columns (left column read before the right one);
 *  4. lines (pieces on one baseline, left to right) and paragraphs (a gap over 1.5 line spacings, a font size
 *     change, an indent change, a list marker, or a short line ending a sentence), with line-end hyphens joined.
 * A page is laid out in the orientation most of its text has (a landscape page stored sideways reads normally);
 * text in another orientation or skewed is read after the rest of its page, in content order.
 */

export interface PdfTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
  fontName?: string;
  dir?: string;
}

/** A page's text items and its size in PDF units; transform's y axis goes up from the page's bottom, as in pdf.js. */
export interface PdfPageText {
  items: PdfTextItem[];
  width: number;
  height: number;
  /**
   * pdf.js's page.view, the unrotated page box [x0, y0, x1, y1] that item transforms are in. Give it for pages with
   * a /Rotate or a box not at the origin; without it, [0, 0, width, height] is assumed.
   */
  view?: number[];
}

/** text.slice(start, end) === pages[page].items[item].str.slice(offset, offset + (end - start)) */
export interface PdfTextRun {
  start: number;
  end: number;
  page: number;
  item: number;
  offset: number;
}

export interface PdfReading {
  /** paragraphs separated by "\n"; lines inside a paragraph joined by one space (or nothing, at a joined hyphen) */
  text: string;
  /** one per paragraph, [start, end) into text, no "\n" inside */
  passages: Array<{ start: number; end: number }>;
  /** pageStarts[p]: offset in text where page p's text begins; a page with no text gets the next page's offset */
  pageStarts: number[];
  /** sorted by start, non-overlapping; characters in no run (joining spaces, newlines) come from no item */
  runs: PdfTextRun[];
  /** lines dropped as running headers/footers, and page-number lines dropped */
  leftOut: { runningLines: number; pageNumbers: number };
}

export interface PdfItemRange {
  page: number;
  item: number;
  from: number;
  to: number;
}

/** Fraction of the page height, at the top and at the bottom, where headers, footers and page numbers live. */
const EDGE_ZONE = 0.12;
/** Baselines closer than this (times the larger font size) are one line: superscripts stay on their line. */
const BASELINE_TOLERANCE = 0.5;
/** A horizontal gap wider than this (em) between items on one baseline separates pieces (columns, table cells). */
const PIECE_GAP = 1.0;
/** A gap wider than this (em) between two items of a piece is a word space even when pdf.js gave none. */
const WORD_GAP = 0.2;
/** The narrowest gutter between columns, in em of the region's body text (LaTeX's default columnsep is 1em). */
const MIN_GUTTER = 0.7;
/** Each column must be at least this fraction of its section's width: label/value layouts are not columns. */
const MIN_COLUMN_SHARE = 0.2;
/** Each column's lines must average at least this many characters (and hold twice that in all). */
const MIN_COLUMN_CHARS = 15;
/** A baseline step over this many line spacings starts a paragraph. */
const PARAGRAPH_GAP = 1.5;
/** Fonts differing by more than this ratio start a paragraph (headings). */
const SIZE_CHANGE = 1.2;
/** A line starting this many em right of the block's usual left edge is indented (a first line, a quotation). */
const INDENT_MIN = 0.8;
/** ...but not further than this: centred text is not an indent. */
const INDENT_MAX = 8;
/** A line filling less than this share of its block's width, ending a sentence, ends a paragraph. */
const SHORT_LINE = 0.7;

interface Seg {
  item: number;
  /** a word space comes before this item (pdf.js gave a whitespace item, or the gap is wide) */
  space: boolean;
}

interface Piece {
  page: number;
  segs: Seg[];
  x0: number;
  x1: number;
  /** baseline and font size of the piece's longest item */
  y: number;
  size: number;
  top: number;
  bottom: number;
  rtl: boolean;
  /** whitespace-normalised text, for header keys and paragraph tests */
  text: string;
}

interface Line {
  pieces: Piece[];
  x0: number;
  x1: number;
  y: number;
  size: number;
  text: string;
}

interface Geom {
  x0: number;
  x1: number;
  y: number;
  size: number;
  upright: boolean;
  rtl: boolean;
  chars: number;
}

/** An item's quarter turn (0: upright, 1: running up, 2: upside down, 3: running down), or -1 when skewed. */
function quarterTurn(t: number[]): number {
  const angle = Math.atan2(t[1] ?? 0, t[0] ?? 1);
  const q = Math.round(angle / (Math.PI / 2));
  return Math.abs(angle - (q * Math.PI) / 2) <= 0.05 ? (q + 4) % 4 : -1;
}

/**
 * An item's box in the frame of the page's dominant orientation `turn`, so that a page stored sideways (landscape
 * text drawn at 90 degrees on a rotated page) reads like an upright one.
 */
function geom(it: PdfTextItem, turn: number, box: Box): Geom {
  const t = it.transform;
  const size = it.height > 0 ? it.height : Math.hypot(t[2] ?? 0, t[3] ?? 1) || 1;
  const px = (t[4] ?? 0) - box.x;
  const py = (t[5] ?? 0) - box.y;
  const [x, y] = turn === 1 ? [py, box.width - px] : turn === 2 ? [box.width - px, box.height - py] : turn === 3 ? [box.height - py, px] : [px, py];
  const chars = it.str.replace(/\s+/g, '').length;
  // A missing width is estimated at half an em a character, enough for layout.
  const w = it.width > 0 ? it.width : chars * size * 0.5;
  return { x0: x, x1: x + w, y, size, upright: quarterTurn(t) === turn, rtl: it.dir === 'rtl', chars };
}

/** Whether an item carries text; checked at run time too, since pdf.js's marked-content items have no str. */
function hasText(it: PdfTextItem): boolean {
  return typeof it.str === 'string' && /\S/.test(it.str) && Array.isArray(it.transform);
}

/** The orientation most of a page's text has (by characters); 0 for a page without text. */
function dominantTurn(page: PdfPageText): number {
  const chars = [0, 0, 0, 0];
  for (const it of page.items) {
    if (!hasText(it)) continue;
    const q = quarterTurn(it.transform);
    if (q >= 0) chars[q] += it.str.length;
  }
  return chars.indexOf(Math.max(...chars));
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The unrotated page box that transforms are in. */
function pageBox(page: PdfPageText): Box {
  const v = page.view;
  if (v && v.length === 4 && v[2] > v[0] && v[3] > v[1]) return { x: v[0], y: v[1], width: v[2] - v[0], height: v[3] - v[1] };
  return { x: 0, y: 0, width: page.width, height: page.height };
}

/** A page's height in the frame of its dominant orientation. */
function frameHeight(page: PdfPageText, turn: number): number {
  const box = pageBox(page);
  return turn % 2 ? box.width : box.height;
}

/**
 * The pieces of one page: those in the page's dominant orientation for layout, and the others (margin stamps, axis
 * labels, skewed text) read last.
 */
function buildPieces(page: PdfPageText, p: number): { upright: Piece[]; loose: Piece[]; turn: number } {
  const turn = dominantTurn(page);
  const box = pageBox(page);
  const upright: Piece[] = [];
  const loose: Piece[] = [];
  let cur: Piece | null = null;
  let curUpright = true;
  let last: Geom | null = null;
  let best = 0;
  let eol = false;
  let space = false;
  const flush = () => {
    if (cur) (curUpright ? upright : loose).push(cur);
    cur = null;
  };
  page.items.forEach((it, i) => {
    if (!hasText(it)) {
      // Empty and blank items carry no text, but pdf.js uses them to say "a space here" and "a line ends here".
      if (typeof it.str === 'string' && it.str.length > 0) space = true;
      if (it.hasEOL) eol = true;
      return;
    }
    const g = geom(it, turn, box);
    let joins = false;
    let gap = 0;
    if (cur && last && !eol && g.upright === curUpright) {
      if (!g.upright) joins = true;
      else {
        const sz = Math.max(g.size, last.size);
        gap = g.rtl || last.rtl ? Math.max(g.x0 - last.x1, last.x0 - g.x1) : g.x0 - last.x1;
        joins = Math.abs(g.y - last.y) <= BASELINE_TOLERANCE * sz && gap >= -0.5 * sz && gap <= PIECE_GAP * sz;
      }
    }
    if (joins && cur) {
      const pc: Piece = cur;
      pc.segs.push({ item: i, space: space || gap > WORD_GAP * Math.max(g.size, last ? last.size : g.size) });
      pc.x0 = Math.min(pc.x0, g.x0);
      pc.x1 = Math.max(pc.x1, g.x1);
      pc.top = Math.max(pc.top, g.y + 0.75 * g.size);
      pc.bottom = Math.min(pc.bottom, g.y - 0.2 * g.size);
      pc.rtl = pc.rtl && g.rtl;
      if (g.chars > best) {
        best = g.chars;
        pc.y = g.y;
        pc.size = g.size;
      }
    } else {
      flush();
      cur = { page: p, segs: [{ item: i, space: false }], x0: g.x0, x1: g.x1, y: g.y, size: g.size, top: g.y + 0.75 * g.size, bottom: g.y - 0.2 * g.size, rtl: g.rtl, text: '' };
      curUpright = g.upright;
      best = g.chars;
    }
    last = g;
    eol = it.hasEOL;
    space = false;
  });
  flush();
  for (const pc of [...upright, ...loose]) pc.text = pieceText(page, pc);
  return { upright, loose, turn };
}

function pieceText(page: PdfPageText, pc: Piece): string {
  let s = '';
  for (const seg of pc.segs) s += (seg.space ? ' ' : '') + page.items[seg.item].str;
  return s.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Running headers, footers and page numbers

const ROMAN = /^(?=[mdclxvi])m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$/;

/** A page-number line: "12", "xiv", "Page 3", "p. 3", "3 of 12", "3/12", "- 3 -", "[3]". */
export function isPageNumberText(text: string): boolean {
  let s = text.replace(/\s+/g, ' ').trim();
  s = s.replace(/^[-–—[(]\s*(.*?)\s*[-–—\])]$/, '$1');
  const lower = s.toLowerCase();
  // Roman numerals only in one case: "Mix" or "Vi" in a footer is more likely a word.
  if ((s === lower || s === s.toUpperCase()) && ROMAN.test(lower)) return true;
  return /^(?:(?:page|pg\.?|p\.)\s*)?\d{1,5}(?:\s*(?:of|\/)\s*\d{1,5})?$/.test(lower);
}

/** The text a running header keeps from page to page: digits (page and volume numbers) and case normalised. */
function runningKey(text: string): string {
  return text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

/**
 * Drops, in the top and bottom EDGE_ZONE of each page:
 *  - pieces whose runningKey appears in those zones on at least `minRepeat` pages (3; for documents of 2 to 5 pages,
 *    more than half of them: 2, 2, 3, 3; never in a one-page document);
 *  - the page's top-most or bottom-most line when it holds a page number (as a piece of its own, beside other text)
 *    that follows the page sequence (number minus page index constant) on `minRepeat` pages: running heads whose
 *    text changes, like "Chapter 2: Methods      17";
 *  - page-number pieces with nothing kept beside them on their baseline.
 * Counts: a running line is a (page, baseline) with a dropped piece other than a page number; each dropped
 * page-number piece counts once.
 */
function dropEdges(heights: number[], pieces: Piece[][]): { kept: Piece[][]; runningLines: number; pageNumbers: number } {
  const n = heights.length;
  const minRepeat = n >= 6 ? 3 : n >= 2 ? Math.floor(n / 2) + 1 : Infinity;
  const inZone = (pc: Piece): boolean => {
    const h = heights[pc.page];
    return h > 0 && (pc.y >= h * (1 - EDGE_ZONE) || pc.y <= h * EDGE_ZONE);
  };
  const sameLine = (a: Piece, b: Piece) => Math.abs(a.y - b.y) <= BASELINE_TOLERANCE * Math.max(a.size, b.size);
  const drops = pieces.map(() => new Map<Piece, 'running' | 'number'>());

  const seen = new Map<string, Set<number>>();
  for (const list of pieces) {
    for (const pc of list) {
      if (!inZone(pc) || isPageNumberText(pc.text)) continue;
      const key = runningKey(pc.text);
      let set = seen.get(key);
      if (!set) seen.set(key, (set = new Set()));
      set.add(pc.page);
    }
  }
  pieces.forEach((list, p) => {
    for (const pc of list) if (inZone(pc) && !isPageNumberText(pc.text) && (seen.get(runningKey(pc.text))?.size ?? 0) >= minRepeat) drops[p].set(pc, 'running');
  });

  // Outermost lines in the zone, and the page numbers in them.
  const edges = pieces.map((list) => {
    if (list.length === 0) return [];
    const ys = list.map((pc) => pc.y);
    const extremes = [Math.max(...ys), Math.min(...ys)];
    return extremes.flatMap((y, k) => {
      if (k === 1 && extremes[1] === extremes[0]) return [];
      const line = list.filter((pc) => inZone(pc) && Math.abs(pc.y - y) <= BASELINE_TOLERANCE * pc.size);
      const numbers = line.filter((pc) => isPageNumberText(pc.text) && /\d/.test(pc.text));
      return line.length > numbers.length && numbers.length ? [{ line, numbers }] : [];
    });
  });
  const deltas = new Map<number, Set<number>>();
  edges.forEach((list, p) => {
    for (const { numbers } of list) {
      for (const pc of numbers) {
        const d = Number(/\d+/.exec(pc.text)?.[0]) - p;
        let set = deltas.get(d);
        if (!set) deltas.set(d, (set = new Set()));
        set.add(p);
      }
    }
  });
  let delta: number | null = null;
  for (const [d, set] of deltas) if (set.size >= minRepeat && (delta === null || set.size > (deltas.get(delta)?.size ?? 0))) delta = d;
  edges.forEach((list, p) => {
    for (const { line, numbers } of list) {
      if (!numbers.some((pc) => Number(/\d+/.exec(pc.text)?.[0]) - p === delta)) continue;
      for (const pc of line) drops[p].set(pc, numbers.includes(pc) ? 'number' : 'running');
    }
  });

  pieces.forEach((list, p) => {
    for (const pc of list) {
      if (!inZone(pc) || !isPageNumberText(pc.text) || drops[p].has(pc)) continue;
      // "42" beside a kept label on its baseline is a table cell, not a page number.
      if (list.every((o) => o === pc || drops[p].has(o) || !sameLine(o, pc))) drops[p].set(pc, 'number');
    }
  });

  const runningLines = new Set<string>();
  let pageNumbers = 0;
  const kept = pieces.map((list, p) => {
    for (const [pc, why] of drops[p]) {
      if (why === 'number') pageNumbers++;
      else runningLines.add(`${p}:${Math.round(pc.y)}`);
    }
    return list.filter((pc) => !drops[p].has(pc));
  });
  return { kept, runningLines: runningLines.size, pageNumbers };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading order

type Interval = [number, number];

function median(xs: number[], fallback: number): number {
  if (xs.length === 0) return fallback;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Horizontal bands: pieces whose vertical extents overlap, top to bottom. */
function bands(pieces: Piece[]): Piece[][] {
  const sorted = [...pieces].sort((a, b) => b.top - a.top || a.x0 - b.x0);
  const out: Piece[][] = [];
  let bottom = Infinity;
  for (const pc of sorted) {
    if (out.length && pc.top > bottom) {
      out[out.length - 1].push(pc);
      bottom = Math.min(bottom, pc.bottom);
    } else {
      out.push([pc]);
      bottom = pc.bottom;
    }
  }
  return out;
}

/** The parts of [lo, hi] that no piece of the band covers horizontally. */
function freeIntervals(band: Piece[], lo: number, hi: number): Interval[] {
  const spans = band.map((pc): Interval => [pc.x0, pc.x1]).sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  let x = lo;
  for (const [a, b] of spans) {
    if (a > x) out.push([x, a]);
    x = Math.max(x, b);
  }
  if (hi > x) out.push([x, hi]);
  return out;
}

function intersect(a: Interval[], b: Interval[], minWidth: number): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i][0], b[j][0]);
    const hi = Math.min(a[i][1], b[j][1]);
    if (hi - lo >= minWidth) out.push([lo, hi]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

/** The widest gutter among `free` with columns on both sides, or null; returns the two sides. */
function splitColumns(pieces: Piece[], free: Interval[]): { left: Piece[]; right: Piece[] } | null {
  const x0 = Math.min(...pieces.map((p) => p.x0));
  const x1 = Math.max(...pieces.map((p) => p.x1));
  let best: { left: Piece[]; right: Piece[]; width: number } | null = null;
  for (const [g0, g1] of free) {
    if (g0 <= x0 || g1 >= x1) continue;
    const left = pieces.filter((p) => p.x1 <= g0);
    const right = pieces.filter((p) => p.x0 >= g1);
    if (left.length === 0 || right.length === 0 || left.length + right.length < 3) continue;
    // Columns hold running text: table cells and aligned code ("value1   INTEGER,") are short.
    const chars = (side: Piece[]) => side.reduce((sum, p) => sum + p.text.length, 0);
    if (Math.min(chars(left) / left.length, chars(right) / right.length) < MIN_COLUMN_CHARS || Math.min(chars(left), chars(right)) < 2 * MIN_COLUMN_CHARS) continue;
    const width = (side: Piece[]) => Math.max(...side.map((p) => p.x1)) - Math.min(...side.map((p) => p.x0));
    if (width(left) < MIN_COLUMN_SHARE * (x1 - x0) || width(right) < MIN_COLUMN_SHARE * (x1 - x0)) continue;
    // Columns stand side by side: a narrow line above wider text shares its empty strip but is not a column.
    const top = (side: Piece[]) => Math.max(...side.map((p) => p.top));
    const bottom = (side: Piece[]) => Math.min(...side.map((p) => p.bottom));
    const overlap = Math.min(top(left), top(right)) - Math.max(bottom(left), bottom(right));
    const shorter = Math.min(top(left) - bottom(left), top(right) - bottom(right));
    if (overlap < 0.5 * shorter) continue;
    if (!best || g1 - g0 > best.width) best = { left, right, width: g1 - g0 };
  }
  return best && { left: best.left, right: best.right };
}

/**
 * Orders a region's pieces into flow blocks (each a list of pieces read top to bottom). Bands are grouped greedily,
 * top down, while they share an empty vertical strip at least MIN_GUTTER wide; a group with columns on both sides of
 * such a strip is read column by column (each side ordered recursively), and the groups between them, with no
 * columns, form single-column blocks. A full-width title or paragraph crosses the strip, so it ends a group and
 * keeps its place in vertical order.
 */
function orderRegion(pieces: Piece[], depth: number): Piece[][] {
  if (pieces.length <= 1 || depth > 12) return pieces.length ? [pieces] : [];
  const lo = Math.min(...pieces.map((p) => p.x0));
  const hi = Math.max(...pieces.map((p) => p.x1));
  const minGutter = MIN_GUTTER * median(pieces.map((p) => p.size), 10);
  const out: Piece[][] = [];
  let plain: Piece[] | null = null;
  const addPlain = (list: Piece[]) => {
    if (plain) plain.push(...list);
    else out.push((plain = [...list]));
  };
  const close = (group: Piece[][], free: Interval[]) => {
    const cols = splitColumns(group.flat(), free);
    if (!cols) return addPlain(group.flat());
    // Bands above the right column's top (the short last line of a full-width paragraph, which shares the
    // gutter's strip) are read first either way; they stay with the single-column text before them.
    let left = cols.left;
    if (plain) {
      const rightTop = Math.max(...cols.right.map((p) => p.top));
      const lead: Piece[] = [];
      for (const band of group) {
        if (!band.every((p) => p.bottom >= rightTop)) break;
        lead.push(...band);
      }
      if (lead.length) {
        addPlain(lead);
        left = left.filter((p) => !lead.includes(p));
      }
    }
    plain = null;
    out.push(...orderRegion(left, depth + 1), ...orderRegion(cols.right, depth + 1));
  };
  // Strips touching the region's edge are margins beside short lines, not gutters. They let a band with text on one
  // side only stay in a column group, but never make a group take in a band across its gutter.
  const interior = (list: Interval[]) => list.some(([a, b]) => a > lo + 0.5 && b < hi - 0.5);
  let group: Piece[][] = [];
  let free: Interval[] = [];
  for (const band of bands(pieces)) {
    const f = freeIntervals(band, lo, hi);
    const shared = group.length ? intersect(free, f, minGutter) : [];
    if (group.length && (interior(shared) || (shared.length && !interior(free) && !interior(f)))) {
      group.push(band);
      free = shared;
    } else {
      if (group.length) close(group, free);
      group = [band];
      free = f.filter(([a, b]) => b - a >= minGutter);
    }
  }
  if (group.length) close(group, free);
  return out;
}

/** Pieces on one baseline make a line, read left to right (right to left when all of them are RTL). */
function toLines(block: Piece[]): Line[] {
  const sorted = [...block].sort((a, b) => b.y - a.y || a.x0 - b.x0);
  const groups: Piece[][] = [];
  let ref: Piece | null = null;
  for (const pc of sorted) {
    if (ref && Math.abs(ref.y - pc.y) <= BASELINE_TOLERANCE * Math.max(ref.size, pc.size)) groups[groups.length - 1].push(pc);
    else {
      groups.push([pc]);
      ref = pc;
    }
  }
  return groups.map((g) => {
    const rtl = g.every((p) => p.rtl);
    g.sort((a, b) => (rtl ? b.x1 - a.x1 : a.x0 - b.x0));
    const main = g.reduce((m, p) => (p.text.length > m.text.length ? p : m));
    return {
      pieces: g,
      x0: Math.min(...g.map((p) => p.x0)),
      x1: Math.max(...g.map((p) => p.x1)),
      y: main.y,
      size: main.size,
      text: g.map((p) => p.text).join(' '),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Text output

interface Src {
  page: number;
  item: number;
  offset: number;
}

/** Builds text, passages and runs together, so that every character taken from an item is mapped exactly. */
class Writer {
  private parts: string[] = [];
  len = 0;
  runs: PdfTextRun[] = [];
  passages: Array<{ start: number; end: number }> = [];
  pageStarts: number[] = [];
  private paraStart = 0;
  private paraHasText = false;
  private paraBreak = false;
  /** a space waits until more text follows in the paragraph; undefined: none, null: from no item */
  private pendingSpace: Src | null | undefined = undefined;

  /** The last characters written, for the hyphen and sentence-end tests. */
  tail(n = 4): string {
    let s = '';
    for (let i = this.parts.length - 1; i >= 0 && s.length < n; i--) s = this.parts[i] + s;
    return s.slice(-n);
  }

  space(src: Src | null = null): void {
    if (!this.paraHasText || this.paraBreak) return;
    // A space from an item is worth more than a joining one: it keeps runs longer.
    if (this.pendingSpace === undefined || (this.pendingSpace === null && src)) this.pendingSpace = src;
  }

  /** Takes the waiting space away (undefined: none), to decide at a line end whether it stays. */
  takeSpace(): Src | null | undefined {
    const sp = this.pendingSpace;
    this.pendingSpace = undefined;
    return sp;
  }

  paragraph(): void {
    if (this.paraHasText) this.paraBreak = true;
    this.pendingSpace = undefined;
  }

  /** Removes the last character written (a line-end hyphen), with its run. */
  dropLastChar(): void {
    while (this.parts.length > 1 && this.parts[this.parts.length - 1] === '') this.parts.pop();
    const last = this.parts.length - 1;
    this.parts[last] = this.parts[last].slice(0, -1);
    this.len--;
    const run = this.runs[this.runs.length - 1];
    if (run && run.end > this.len) {
      run.end = this.len;
      if (run.end === run.start) this.runs.pop();
    }
  }

  write(s: string, src: Src): void {
    if (this.paraBreak) {
      this.passages.push({ start: this.paraStart, end: this.len });
      this.emit('\n', null);
      this.paraStart = this.len;
      this.paraBreak = false;
      this.pendingSpace = undefined;
    }
    if (this.pendingSpace !== undefined) {
      const sp = this.pendingSpace;
      this.pendingSpace = undefined;
      this.emit(' ', sp);
    }
    // The first text of a page marks its start, and that of pages without text before it.
    while (this.pageStarts.length <= src.page) this.pageStarts.push(this.len);
    this.emit(s, src);
    this.paraHasText = true;
  }

  private emit(s: string, src: Src | null): void {
    this.parts.push(s);
    if (src) {
      const run = this.runs[this.runs.length - 1];
      if (run && run.end === this.len && run.page === src.page && run.item === src.item && run.offset + (run.end - run.start) === src.offset) run.end += s.length;
      else this.runs.push({ start: this.len, end: this.len + s.length, page: src.page, item: src.item, offset: src.offset });
    }
    this.len += s.length;
  }

  finish(pageCount: number): Pick<PdfReading, 'text' | 'passages' | 'pageStarts' | 'runs'> {
    if (this.paraHasText) this.passages.push({ start: this.paraStart, end: this.len });
    while (this.pageStarts.length < pageCount) this.pageStarts.push(this.len);
    return { text: this.parts.join(''), passages: this.passages, pageStarts: this.pageStarts, runs: this.runs };
  }
}

function writeItem(w: Writer, page: number, item: number, str: string): void {
  const re = /\s+|\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(str))) {
    const tok = m[0];
    if (/\s/.test(tok[0])) {
      // Whitespace collapses to one space; it maps to the item only where the item has a plain space.
      const sp = tok.indexOf(' ');
      w.space(sp >= 0 ? { page, item, offset: m.index + sp } : null);
    } else w.write(tok, { page, item, offset: m.index });
  }
}

function writeLine(w: Writer, pages: PdfPageText[], line: Line): void {
  line.pieces.forEach((pc, k) => {
    if (k > 0) w.space();
    for (const seg of pc.segs) {
      if (seg.space) w.space();
      writeItem(w, pc.page, seg.item, pages[pc.page].items[seg.item].str);
    }
  });
}

const HYPHEN_END = /\p{L}[-\u2010\u00AD]$/u;
const SENTENCE_END = /[.!?:;…]["'”’)\]]*$/;

function startsLower(text: string): boolean {
  return /^\p{Ll}/u.test(text);
}

/** Ends a line inside a paragraph: joins a hyphenated word (the hyphen is dropped, no space) or adds a space. */
function joinLines(w: Writer, next: Line): void {
  const trailing = w.takeSpace();
  const tail = w.tail();
  if (HYPHEN_END.test(tail) && (tail.endsWith('\u00AD') || startsLower(next.text))) w.dropLastChar();
  else w.space(trailing ?? null);
}

/** A list item's marker: a bullet, or "1." "2)" "(a)" "iv." followed by a space. */
const LIST_MARKER = /^(?:[•◦▪▫‣⁃●○■□◆◇►▸∙]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)])\s/u;

/** Whether lines[i] starts a new paragraph, in a block whose current paragraph began with `first`. */
function breaksBefore(lines: Line[], i: number, first: Line, leading: number, left: number, right: number): boolean {
  const a = lines[i - 1];
  const b = lines[i];
  const size = Math.max(a.size, b.size);
  if (a.y - b.y > PARAGRAPH_GAP * leading * size) return true;
  if (size / Math.min(a.size, b.size) > SIZE_CHANGE) return true;
  if (LIST_MARKER.test(b.text)) return true;
  if (LIST_MARKER.test(first.text)) {
    // A list item's own lines hang indented under its text, right of its marker; a line that does not ends it.
    return b.x0 < first.x0 + 0.4 * size;
  }
  const indented = (l: Line) => l.x0 - left > INDENT_MIN * l.size && l.x0 - left < INDENT_MAX * l.size;
  if (indented(b) && !indented(a)) return true;
  // Back to the left edge after two or more indented lines: a quotation ended.
  if (!indented(b) && indented(a) && i >= 2 && indented(lines[i - 2])) return true;
  if (lines.length >= 3 && a.x1 - left < SHORT_LINE * (right - left) && SENTENCE_END.test(a.text) && /^[\p{Lu}\p{N}]/u.test(b.text)) return true;
  return false;
}

/** The most common left edge of a block's lines (to the point), the smallest on a tie. */
function usualLeft(lines: Line[]): number {
  const counts = new Map<number, number>();
  for (const l of lines) counts.set(Math.round(l.x0), (counts.get(Math.round(l.x0)) ?? 0) + 1);
  let best = Infinity;
  let n = 0;
  for (const [x, c] of counts) if (c > n || (c === n && x < best)) [best, n] = [x, c];
  return best;
}

/** Line spacing in em, the median over consecutive same-size lines of all blocks (1.2 when there are none). */
function leadingOf(blocks: Line[][]): number {
  const ratios: number[] = [];
  for (const lines of blocks) {
    for (let i = 1; i < lines.length; i++) {
      const a = lines[i - 1];
      const b = lines[i];
      if (Math.max(a.size, b.size) / Math.min(a.size, b.size) > 1.1) continue;
      const r = (a.y - b.y) / Math.max(a.size, b.size);
      if (r >= 0.8 && r <= 3) ratios.push(r);
    }
  }
  return median(ratios, 1.2);
}

/** Reads pdf.js text content (pages in order, items as getTextContent gives them) into text, passages and runs. */
export function readPdfText(pages: PdfPageText[]): PdfReading {
  const built = pages.map((page, p) => buildPieces(page, p));
  const { kept, runningLines, pageNumbers } = dropEdges(
    built.map((b, p) => frameHeight(pages[p], b.turn)),
    built.map((b) => b.upright),
  );
  // Blocks per page in reading order; rotated text last, each piece its own line.
  const pageBlocks: Array<Array<{ lines: Line[]; loose: boolean }>> = kept.map((list, p) => [
    ...orderRegion(list, 0).map((block) => ({ lines: toLines(block), loose: false })),
    ...built[p].loose.map((pc) => ({ lines: [{ pieces: [pc], x0: pc.x0, x1: pc.x1, y: pc.y, size: pc.size, text: pc.text }], loose: true })),
  ]);
  const leading = leadingOf(pageBlocks.flat().flatMap((b) => (b.loose ? [] : [b.lines])));
  const w = new Writer();
  let prevLine: Line | null = null;
  for (const blocks of pageBlocks) {
    for (const { lines, loose } of blocks) {
      if (lines.length === 0) continue;
      // A block continues the previous paragraph (across a column or page) when the latter did not end a
      // sentence and the block starts in lower case, in the same font size (a title is no sentence to continue).
      if (prevLine) {
        const sameSize = Math.max(prevLine.size, lines[0].size) / Math.min(prevLine.size, lines[0].size) <= 1.05;
        if (!loose && sameSize && startsLower(lines[0].text) && !SENTENCE_END.test(w.tail())) joinLines(w, lines[0]);
        else w.paragraph();
      }
      prevLine = lines[lines.length - 1];
      const left = usualLeft(lines);
      const right = Math.max(...lines.map((l) => l.x1));
      let first = lines[0];
      lines.forEach((line, i) => {
        if (i > 0) {
          if (breaksBefore(lines, i, first, leading, left, right)) {
            w.paragraph();
            first = line;
          } else joinLines(w, line);
        }
        writeLine(w, pages, line);
      });
    }
  }
  return { ...w.finish(pages.length), leftOut: { runningLines, pageNumbers } };
}

/** The pieces of items that text[start, end) came from, for marking in the text layer; characters from no item are skipped. */
export function locateRange(reading: Pick<PdfReading, 'runs'>, start: number, end: number): PdfItemRange[] {
  const runs = reading.runs;
  const out: PdfItemRange[] = [];
  if (end <= start) return out;
  // First run ending after start.
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid].end <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < runs.length && runs[i].start < end; i++) {
    const r = runs[i];
    const from = r.offset + Math.max(start, r.start) - r.start;
    const to = r.offset + Math.min(end, r.end) - r.start;
    const prev = out[out.length - 1];
    if (prev && prev.page === r.page && prev.item === r.item && prev.to === from) prev.to = to;
    else out.push({ page: r.page, item: r.item, from, to });
  }
  return out;
}
