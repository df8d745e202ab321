/**
 * Test PDFs made with pdf-lib (the same bytes on every run, but for encryptedPdf's random salt), for unit tests, browser end-to-end
 * tests and benchmarks, and one pdf.js loader for Node that gives pages as the reader sees them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from '@cantoo/pdf-lib';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PdfPageText } from '../../src/reader/pdf-text.js';
import { mulberry32 } from '../../src/modelgen/prng.js';

const LETTER: [number, number] = [612, 792];

/** pdf.js's standard font data, as a directory URL (pdf.js appends file names to it). */
const STANDARD_FONTS = fileURLToPath(new URL('../../node_modules/pdfjs-dist/standard_fonts/', import.meta.url));

/** Floats in [0, 1) from the models' deterministic PRNG, so generated prose is the same on every run. */
function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

/** Greedy word wrap; word widths are cached because long documents measure the same words many times. */
function wrapper(font: PDFFont, size: number): (text: string, width: number) => string[] {
  const widths = new Map<string, number>();
  const measure = (w: string) => {
    let v = widths.get(w);
    if (v === undefined) widths.set(w, (v = font.widthOfTextAtSize(w, size)));
    return v;
  };
  const space = measure(' ');
  return (text, width) => {
    const lines: string[] = [];
    let line = '';
    let used = 0;
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const w = measure(word);
      if (line && used + space + w > width) {
        lines.push(line);
        line = '';
        used = 0;
      }
      used += (line ? space : 0) + w;
      line += (line ? ' ' : '') + word;
    }
    if (line) lines.push(line);
    return lines;
  };
}

// Digit-free filler, so that the facts (which carry numbers and names) are the only distinctive sentences.
const SUBJECTS = ['The keepers', 'Visiting inspectors', 'The harbour board', 'Local pilots', 'Fishing crews', 'The survey party', 'Relief boatmen', 'Coastguard clerks', 'The parish council', 'Travelling painters'];
const VERBS = ['recorded', 'described', 'questioned', 'repaired', 'painted', 'measured', 'mapped', 'inspected', 'cleaned', 'rebuilt'];
const OBJECTS = ['the lamp room', 'the fog bell', 'the landing stage', 'the tide gauge', 'the oil store', 'the signal mast', 'the boat slip', 'the stone jetty', 'the lantern glass', 'the keepers cottage'];
const TAILS = ['after each winter gale', 'during the spring tides', 'with some reluctance', 'in careful ledgers', 'before the autumn storms', 'at the request of the board', 'without much ceremony', 'over several seasons', 'when the weather allowed', 'in the long evenings'];

function filler(r: () => number): string {
  return `${pick(r, SUBJECTS)} ${pick(r, VERBS)} ${pick(r, OBJECTS)} ${pick(r, TAILS)}.`;
}

function fillers(r: () => number, n: number): string[] {
  return Array.from({ length: n }, () => filler(r));
}

// ---------------------------------------------------------------------------------------------------------------
// Two-column article

type Column = 'left' | 'right';
type Slot = 'leftTop' | 'leftBottom' | 'rightTop' | 'rightBottom';

/** The sentences placed in each column of twoColumnPdf: first paragraph (top) and last paragraph (bottom). */
const FACT_TEXT: ReadonlyArray<Record<Slot, string>> = [
  {
    leftTop: 'The Harl signal station stood on a granite shelf above the estuary.',
    leftBottom: 'Keepers at Harl logged fog on 211 days in the year 1902.',
    rightTop: 'The Brenna daymark was painted red and white in 1889.',
    rightBottom: 'A storm in 1894 carried away the Brenna boat slip.',
  },
  {
    leftTop: 'The Oster beacon burned whale oil until the winter of 1871.',
    leftBottom: 'Oster village paid its keeper nine shillings a week.',
    rightTop: 'The Varn lighthouse was completed in 1847 by the engineer Tomas Ruel.',
    rightBottom: 'Ruel later drew the plans for the harbour wall at Tain.',
  },
  {
    leftTop: 'A relief crew of five men rowed to Skell Rock every second Tuesday.',
    leftBottom: 'The Skell fog horn could be heard 14 miles away on a calm night.',
    rightTop: 'The last keeper at Skell, Ada Morrow, left the rock in 1961.',
    rightBottom: 'Morrow kept a diary of 3,000 pages that is now held in Leith.',
  },
];

export interface PdfFact {
  sentence: string;
  /** 0-based page index */
  page: number;
  column: Column;
  /** top: in the column's first paragraph; bottom: in its last */
  place: 'top' | 'bottom';
}

const SLOTS: ReadonlyArray<{ slot: Slot; column: Column; place: 'top' | 'bottom' }> = [
  { slot: 'leftTop', column: 'left', place: 'top' },
  { slot: 'leftBottom', column: 'left', place: 'bottom' },
  { slot: 'rightTop', column: 'right', place: 'top' },
  { slot: 'rightBottom', column: 'right', place: 'bottom' },
];

/** What twoColumnPdf contains, for tests to look up. */
export const TWO_COLUMN = {
  pages: 3,
  title: 'Quiet Harbours: A Survey of Coastal Signal Stations',
  authors: 'Idris Okafor and Mara Lindqvist, Institute of Tidal Studies',
  abstract:
    'Abstract. We survey the signal stations of a quiet stretch of coast, drawing on the ledgers of their keepers, on parish rolls and on the minutes of the harbour board. The stations differ in age, fuel and staffing, yet they share a routine of watching, logging and repair that shaped the villages around them.',
  /** running header: left part on every page; the right part carries the page's journal page number */
  header: 'Journal of Quiet Testing · Vol. 3',
  headerRight: (page: number) => `Quiet Harbours · p. ${41 + page}`,
  /** centred footer: the page number, 1-based */
  footer: (page: number) => `${page + 1}`,
  facts: FACT_TEXT.flatMap((f, page) => SLOTS.map(({ slot, column, place }): PdfFact => ({ sentence: f[slot], page, column, place }))),
  varn: { sentence: FACT_TEXT[1].rightTop, page: 1, column: 'right', place: 'top' } satisfies PdfFact,
  /** page 0, left column, second paragraph: set as lines, one with a line-end hyphen before a lowercase word */
  hyphenLines: ['The first keepers were deliber-', 'ately chosen from fishing families who', 'knew the reefs, and many were of Anglo-', 'Norse descent according to the parish rolls.'],
  /** how hyphenLines read: the split word joined, the hyphen before a capital kept */
  hyphenJoined: 'The first keepers were deliberately chosen from fishing families who knew the reefs, and many were of Anglo- Norse descent according to the parish rolls.',
  /**
   * How each page is written to the content stream, so that reading order cannot come from content order:
   * page 0 in reading order, page 1 right column first and header last, page 2 line by line across both columns
   * (paragraphs marked by a first-line indent instead of a blank line).
   */
  contentOrder: ['reading', 'right-first', 'interleaved'],
} as const;

interface Draw {
  text: string;
  x: number;
  y: number;
  size: number;
  font: PDFFont;
}

/**
 * US Letter, 3 pages: a running header (left and right parts) and a centred page-number footer on every page;
 * page 0 opens with a full-width title, author line and abstract; then two columns of paragraphs on every page.
 */
export async function twoColumnPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(TWO_COLUMN.title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const [W] = LETTER;
  const margin = 54;
  const gutter = 18;
  const colW = (W - 2 * margin - gutter) / 2;
  const size = 10;
  const leading = 12.5;
  const wrap = wrapper(font, size);
  const r = rng(7);

  for (let p = 0; p < TWO_COLUMN.pages; p++) {
    const page = doc.addPage(LETTER);
    const indentStyle = TWO_COLUMN.contentOrder[p] === 'interleaved';
    const head: Draw[] = [
      { text: TWO_COLUMN.header, x: margin, y: 756, size: 8, font },
      { text: TWO_COLUMN.headerRight(p), x: W - margin - font.widthOfTextAtSize(TWO_COLUMN.headerRight(p), 8), y: 756, size: 8, font },
    ];
    const foot: Draw[] = [{ text: TWO_COLUMN.footer(p), x: (W - font.widthOfTextAtSize(TWO_COLUMN.footer(p), 9)) / 2, y: 40, size: 9, font }];
    const front: Draw[] = [];
    let top = 720;
    if (p === 0) {
      const centred = (text: string, y: number, sz: number, f: PDFFont) => front.push({ text, x: (W - f.widthOfTextAtSize(text, sz)) / 2, y, size: sz, font: f });
      centred(TWO_COLUMN.title, 680, 16, bold);
      centred(TWO_COLUMN.authors, 658, 11, font);
      let y = 632;
      for (const line of wrap(TWO_COLUMN.abstract, W - 2 * margin)) {
        front.push({ text: line, x: margin, y, size, font });
        y -= leading;
      }
      top = y - 2 * leading;
    }
    const f = FACT_TEXT[p];
    const columnLines = (x: number, topFact: string, bottomFact: string, hyphen: boolean): Draw[] => {
      // With first-line indents every line is wrapped a little short, which keeps the wrapping simple.
      const width = colW - (indentStyle ? 12 : 0);
      const paragraphs: string[][] = [wrap([topFact, ...fillers(r, 4)].join(' '), width)];
      if (hyphen) paragraphs.push([...TWO_COLUMN.hyphenLines]);
      paragraphs.push(wrap(fillers(r, 5).join(' '), width));
      paragraphs.push(wrap([...fillers(r, 3), bottomFact].join(' '), width));
      const out: Draw[] = [];
      let y = top;
      for (const lines of paragraphs) {
        lines.forEach((line, i) => {
          const indent = indentStyle && i === 0 ? 12 : 0;
          if (font.widthOfTextAtSize(line, size) + indent > colW + 0.01) throw new Error(`fixture line too wide: ${line}`);
          out.push({ text: line, x: x + indent, y, size, font });
          y -= leading;
        });
        if (!indentStyle) y -= leading;
      }
      if (y < 72) throw new Error('fixture column overflows the page');
      return out;
    };
    const left = columnLines(margin, f.leftTop, f.leftBottom, p === 0);
    const right = columnLines(margin + colW + gutter, f.rightTop, f.rightBottom, false);
    let order: Draw[];
    if (TWO_COLUMN.contentOrder[p] === 'reading') order = [...head, ...front, ...left, ...right, ...foot];
    else if (TWO_COLUMN.contentOrder[p] === 'right-first') order = [...foot, ...right, ...left, ...head];
    else {
      order = [...foot];
      for (let i = 0; i < Math.max(left.length, right.length); i++) {
        if (left[i]) order.push(left[i]);
        if (right[i]) order.push(right[i]);
      }
      order.push(...head);
    }
    drawAll(page, order);
  }
  return doc.save();
}

function drawAll(page: PDFPage, draws: Draw[]): void {
  for (const d of draws) page.drawText(d.text, { x: d.x, y: d.y, size: d.size, font: d.font });
}

// ---------------------------------------------------------------------------------------------------------------
// Other shapes

/** 2 pages, each only an embedded PNG (the extension's icon): no text at all. */
export async function imageOnlyPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const png = await doc.embedPng(readFileSync(new URL('../../extension/icons/icon-128.png', import.meta.url)));
  for (let p = 0; p < 2; p++) {
    const page = doc.addPage(LETTER);
    page.drawImage(png, { x: 150 + 40 * p, y: 300, width: 256, height: 256 });
  }
  return doc.save();
}

/** The sentence encryptedPdf holds. */
export const ENCRYPTED_SENTENCE = 'The sealed ledger lists 38 crates of tea landed at Port Edda.';

/** One page with ENCRYPTED_SENTENCE, encrypted (AES-256) with the given user password. */
export async function encryptedPdf(password: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage(LETTER);
  page.drawText('Harbour Accounts', { x: 72, y: 700, size: 16, font });
  page.drawText(ENCRYPTED_SENTENCE, { x: 72, y: 670, size: 11, font });
  doc.encrypt({ userPassword: password, ownerPassword: `${password}-owner` });
  return doc.save();
}

const METALS = ['copper', 'tin', 'lead', 'slate', 'coal', 'iron', 'silver', 'zinc'];
const PLACE_A = ['Esk', 'Tarn', 'Moss', 'Holm', 'Brae', 'Fell', 'Wick', 'Ness', 'Garth', 'Thorp'];
const PLACE_B = ['by', 'dale', 'ford', 'ham', 'ley', 'mouth', 'stead', 'wick'];

/** The fact on page `page` (0-based) of longPdf: each page's is different (its section number at least). */
export function longPdfFact(page: number): string {
  const place = PLACE_A[page % PLACE_A.length] + PLACE_B[Math.floor(page / PLACE_A.length) % PLACE_B.length];
  return `Section ${page + 1} reports that the ${METALS[page % METALS.length]} mine at ${place} employed ${100 + ((page * 37) % 900)} workers.`;
}

/** `pages` pages of single-column prose, four paragraphs each, with longPdfFact(p) on page p and a "Page p of n" footer. */
export async function longPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const size = 11;
  const leading = 14;
  const wrap = wrapper(font, size);
  for (let p = 0; p < pages; p++) {
    const r = rng(1000 + p);
    const page = doc.addPage(LETTER);
    let y = 720;
    const factIn = p % 4;
    for (let k = 0; k < 4; k++) {
      const sentences = fillers(r, 3 + Math.floor(r() * 3));
      if (k === factIn) sentences.splice(Math.floor(r() * sentences.length), 0, longPdfFact(p));
      for (const line of wrap(sentences.join(' '), 468)) {
        page.drawText(line, { x: 72, y, size, font });
        y -= leading;
      }
      y -= leading;
    }
    const footer = `Page ${p + 1} of ${pages}`;
    page.drawText(footer, { x: (LETTER[0] - font.widthOfTextAtSize(footer, 9)) / 2, y: 36, size: 9, font });
  }
  // Object streams make saving a thousand pages slow; a plain cross-reference table is fine for tests.
  return doc.save({ useObjectStreams: false });
}

/** Bytes that are no PDF at all. */
export function notAPdf(): Uint8Array {
  return new TextEncoder().encode('This is not a PDF. It is a plain text file that someone renamed.\n'.repeat(20));
}

/** A PDF cut off at 60% with garbage written over part of what is left: pdf.js cannot read its structure. */
export async function corruptPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage(LETTER).drawText('This document was damaged in transit.', { x: 72, y: 700, size: 12, font });
  const whole = await doc.save();
  const cut = whole.slice(0, Math.floor(whole.length * 0.6));
  for (let i = Math.floor(cut.length * 0.3); i < cut.length; i += 7) cut[i] = 0x5a;
  return cut;
}

// ---------------------------------------------------------------------------------------------------------------
// Loader

/**
 * Loads a PDF with pdf.js (legacy build, in Node) and returns its pages as readPdfText takes them: text items only
 * (marked-content items dropped), in getTextContent order, page size from the viewport at scale 1 and page.view.
 */
export async function pdfTextForTest(bytes: Uint8Array, password?: string): Promise<PdfPageText[]> {
  // pdf.js takes ownership of (detaches) the buffer it is given.
  const pdf = await getDocument({ data: bytes.slice(), password, standardFontDataUrl: STANDARD_FONTS, verbosity: 0, isEvalSupported: false }).promise;
  try {
    const pages: PdfPageText[] = [];
    for (let i = 1; i <= pdf.numPages; i++) {
      const page = await pdf.getPage(i);
      const viewport = page.getViewport({ scale: 1 });
      const content = await page.getTextContent();
      const items = content.items.flatMap((it) =>
        'str' in it ? [{ str: it.str, transform: it.transform.map(Number), width: it.width, height: it.height, hasEOL: it.hasEOL, fontName: it.fontName, dir: it.dir }] : [],
      );
      pages.push({ items, width: viewport.width, height: viewport.height, view: [...page.view] });
      page.cleanup();
    }
    return pages;
  } finally {
    await pdf.destroy();
  }
}
