// The Lens reader's PDF text: reading order, paragraphs, dropped headers and page numbers, and the map from text back
// to pdf.js text items, on PDFs made by tests/helpers/pdf-fixtures.ts and read by pdf.js, and on hand-built items.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pageAt } from '../src/shared/pages.js';
import { isPageNumberText, locateRange, readPdfText, type PdfPageText, type PdfReading, type PdfTextItem } from '../src/reader/pdf-text.js';
import {
  ENCRYPTED_SENTENCE,
  TWO_COLUMN,
  corruptPdf,
  encryptedPdf,
  imageOnlyPdf,
  longPdf,
  longPdfFact,
  notAPdf,
  pdfTextForTest,
  twoColumnPdf,
} from './helpers/pdf-fixtures.js';

/** Every run maps exactly, runs are sorted and disjoint, and what no run covers is a joining space or newline. */
function checkReading(pages: PdfPageText[], r: PdfReading): void {
  let covered = 0;
  let prevEnd = 0;
  const inRun = new Uint8Array(r.text.length);
  for (const run of r.runs) {
    assert.ok(run.start >= prevEnd && run.end > run.start, `run order at ${run.start}`);
    const str = pages[run.page].items[run.item].str;
    assert.equal(r.text.slice(run.start, run.end), str.slice(run.offset, run.offset + (run.end - run.start)), `run at ${run.start}`);
    inRun.fill(1, run.start, run.end);
    covered += run.end - run.start;
    prevEnd = run.end;
  }
  for (let i = 0; i < r.text.length; i++) {
    if (!inRun[i]) assert.ok(r.text[i] === ' ' || r.text[i] === '\n', `character ${JSON.stringify(r.text[i])} at ${i} comes from no item`);
  }
  assert.ok(covered <= r.text.length);
  // Passages tile the text, one paragraph each.
  assert.equal(r.passages.map((p) => r.text.slice(p.start, p.end)).join('\n'), r.text);
  for (const p of r.passages) {
    assert.ok(p.end > p.start, 'empty passage');
    assert.ok(!r.text.slice(p.start, p.end).includes('\n'));
    assert.doesNotMatch(r.text.slice(p.start, p.end), /^ | $| {2}/, 'spaces are normalised');
  }
  assert.equal(r.pageStarts.length, pages.length);
  for (let p = 1; p < r.pageStarts.length; p++) assert.ok(r.pageStarts[p] >= r.pageStarts[p - 1]);
}

function passageOf(r: PdfReading, offset: number): number {
  return r.passages.findIndex((p) => p.start <= offset && offset < p.end);
}

function once(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `missing: ${needle}`);
  assert.equal(text.indexOf(needle, at + 1), -1, `twice: ${needle}`);
  return at;
}

describe('two-column article through pdf.js', async () => {
  const pages = await pdfTextForTest(await twoColumnPdf());
  const r = readPdfText(pages);

  test('the fixture is what it claims: 3 letter pages, header drawn last on page 1, rows interleaved on page 2', () => {
    assert.equal(pages.length, TWO_COLUMN.pages);
    assert.deepEqual([pages[0].width, pages[0].height], [612, 792]);
    const texts = (p: number) => pages[p].items.map((i) => i.str).filter((s) => s.trim());
    assert.equal(texts(1).at(-1), TWO_COLUMN.headerRight(1));
    assert.ok(texts(1)[1].startsWith(TWO_COLUMN.facts.find((f) => f.page === 1 && f.column === 'right' && f.place === 'top')?.sentence.slice(0, 20) ?? '?'));
    const xs = pages[2].items.filter((i) => i.str.trim()).slice(1, 5).map((i) => i.transform[4]);
    assert.ok(xs[0] < 300 && xs[1] > 300 && xs[2] < 300 && xs[3] > 300, `interleaved: ${xs}`);
  });

  test('runs map exactly and passages tile the text', () => checkReading(pages, r));

  test('the title comes first, then the authors and the abstract as one passage each', () => {
    assert.ok(r.text.startsWith(`${TWO_COLUMN.title}\n${TWO_COLUMN.authors}\n${TWO_COLUMN.abstract}\n`), r.text.slice(0, 200));
    assert.equal(r.passages.length, 22);
  });

  test('each page reads the whole left column, then the right column, whatever the content order', () => {
    let last = -1;
    for (let p = 0; p < TWO_COLUMN.pages; p++) {
      const at = (column: string, place: string) => {
        const fact = TWO_COLUMN.facts.find((f) => f.page === p && f.column === column && f.place === place);
        assert.ok(fact);
        const i = once(r.text, fact.sentence);
        assert.equal(pageAt(r.pageStarts, i), p, fact.sentence);
        return i;
      };
      const order = [at('left', 'top'), at('left', 'bottom'), at('right', 'top'), at('right', 'bottom')];
      assert.ok(order[0] > last, `page ${p} after page ${p - 1}`);
      assert.deepEqual([...order].sort((a, b) => a - b), order, `page ${p} order ${order}`);
      last = order[3];
    }
  });

  test('paragraphs: blank-line gaps and first-line indents both start passages', () => {
    const perPage = [0, 0, 0];
    for (const p of r.passages) perPage[pageAt(r.pageStarts, p.start)]++;
    // page 0: title, authors, abstract, 4 left (one is the hyphenation paragraph), 3 right; pages 1 and 2: 3 + 3
    assert.deepEqual(perPage, [10, 6, 6]);
    const facts = TWO_COLUMN.facts.map((f) => passageOf(r, r.text.indexOf(f.sentence)));
    assert.equal(new Set(facts).size, facts.length, 'every fact in its own paragraph');
  });

  test('a line-end hyphen before a lowercase word is joined and comes from no item; before a capital it stays', () => {
    const at = once(r.text, TWO_COLUMN.hyphenJoined);
    assert.equal(r.text.slice(r.passages[passageOf(r, at)].start, r.passages[passageOf(r, at)].end), TWO_COLUMN.hyphenJoined);
    const split = pages[0].items.findIndex((i) => i.str === TWO_COLUMN.hyphenLines[0]);
    assert.ok(split >= 0);
    const pieces = locateRange(r, at, at + TWO_COLUMN.hyphenJoined.length).filter((x) => x.page === 0 && x.item === split);
    assert.deepEqual(pieces, [{ page: 0, item: split, from: 0, to: TWO_COLUMN.hyphenLines[0].length - 1 }]);
    const anglo = pages[0].items.findIndex((i) => i.str === TWO_COLUMN.hyphenLines[2]);
    assert.ok(locateRange(r, at, at + TWO_COLUMN.hyphenJoined.length).some((x) => x.item === anglo && x.to === TWO_COLUMN.hyphenLines[2].length));
  });

  test('running headers and page-number footers are left out, and counted', () => {
    assert.ok(!r.text.includes('Journal of Quiet Testing'));
    assert.ok(!r.text.includes('Quiet Harbours · p.'));
    assert.ok(!r.passages.some((p) => /^\d+$/.test(r.text.slice(p.start, p.end))));
    assert.deepEqual(r.leftOut, { runningLines: 3, pageNumbers: 3 });
  });

  test('locateRange of the Varn sentence lands in the right column of page 1 and rebuilds the sentence', () => {
    const sentence = TWO_COLUMN.varn.sentence;
    const at = once(r.text, sentence);
    const pieces = locateRange(r, at, at + sentence.length);
    assert.ok(pieces.length >= 1);
    for (const x of pieces) {
      assert.equal(x.page, TWO_COLUMN.varn.page);
      assert.ok(pages[1].items[x.item].transform[4] > 306, 'right column');
      assert.ok(x.to > x.from);
    }
    const rebuilt = pieces.map((x) => pages[x.page].items[x.item].str.slice(x.from, x.to)).join(' ');
    assert.equal(rebuilt.replace(/\s+/g, ' '), sentence);
  });

  test('pageStarts and pageAt', () => {
    assert.equal(r.pageStarts[0], 0);
    assert.ok(r.text.slice(r.pageStarts[1]).startsWith(TWO_COLUMN.facts.find((f) => f.page === 1 && f.column === 'left' && f.place === 'top')?.sentence ?? '?'));
    assert.ok(r.text.slice(r.pageStarts[2]).startsWith('A relief crew'));
    assert.equal(pageAt(r.pageStarts, 0), 0);
    assert.equal(pageAt(r.pageStarts, r.pageStarts[1] - 1), 0);
    assert.equal(pageAt(r.pageStarts, r.pageStarts[1]), 1);
    assert.equal(pageAt(r.pageStarts, r.pageStarts[2]), 2);
    assert.equal(pageAt(r.pageStarts, r.text.length - 1), 2);
    assert.equal(pageAt(r.pageStarts, -5), 0);
    assert.equal(pageAt(r.pageStarts, r.text.length + 5), 2);
  });
});

describe('other fixtures through pdf.js', () => {
  test('an image-only PDF has pages but no text', async () => {
    const pages = await pdfTextForTest(await imageOnlyPdf());
    assert.equal(pages.length, 2);
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [0, 0],
    );
    const r = readPdfText(pages);
    assert.deepEqual(r, { text: '', passages: [], pageStarts: [0, 0], runs: [], leftOut: { runningLines: 0, pageNumbers: 0 } });
    assert.deepEqual(locateRange(r, 0, 10), []);
  });

  test('an encrypted PDF needs its password (pdf.js: code 1 without, 2 when wrong)', async () => {
    const bytes = await encryptedPdf('harbour');
    await assert.rejects(pdfTextForTest(bytes), { name: 'PasswordException', code: 1 });
    await assert.rejects(pdfTextForTest(bytes, 'wrong'), { name: 'PasswordException', code: 2 });
    const r = readPdfText(await pdfTextForTest(bytes, 'harbour'));
    assert.equal(r.text, `Harbour Accounts\n${ENCRYPTED_SENTENCE}`);
  });

  test('bytes that are no PDF, and a damaged PDF, are refused by pdf.js', async () => {
    await assert.rejects(pdfTextForTest(notAPdf()), { name: 'InvalidPDFException' });
    const bad = await corruptPdf();
    assert.equal(new TextDecoder().decode(bad.slice(0, 5)), '%PDF-');
    await assert.rejects(pdfTextForTest(bad), { name: 'InvalidPDFException' });
  });

  test('a 500-page PDF keeps every page’s fact on its page and drops every page number', async () => {
    const n = 500;
    const pages = await pdfTextForTest(await longPdf(n));
    assert.equal(pages.length, n);
    const r = readPdfText(pages);
    checkReading(pages, r);
    for (let p = 0; p < n; p++) {
      const at = once(r.text, longPdfFact(p));
      assert.equal(pageAt(r.pageStarts, at), p);
    }
    assert.equal(r.passages.length, 4 * n);
    assert.deepEqual(r.leftOut, { runningLines: 0, pageNumbers: n });
    assert.ok(!/Page \d+ of/.test(r.text));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Hand-built pages

const W = 612;
const H = 792;

function item(str: string, x: number, y: number, opts: { size?: number; width?: number; eol?: boolean; dir?: string } = {}): PdfTextItem {
  const size = opts.size ?? 10;
  return { str, transform: [size, 0, 0, size, x, y], width: opts.width ?? str.length * size * 0.5, height: size, hasEOL: opts.eol ?? false, fontName: 'f1', dir: opts.dir ?? 'ltr' };
}

function page(items: PdfTextItem[]): PdfPageText {
  return { items, width: W, height: H };
}

function read(...pages: PdfTextItem[][]): { pages: PdfPageText[]; r: PdfReading } {
  const ps = pages.map(page);
  const r = readPdfText(ps);
  checkReading(ps, r);
  return { pages: ps, r };
}

/** Single-column lines from y = 640 down (clear of the header zone), 12pt apart, at x = 72. */
function column(lines: string[], x = 72, top = 640, step = 12): PdfTextItem[] {
  return lines.map((s, i) => item(s, x, top - i * step));
}

describe('hand-built pages', () => {
  test('nothing at all', () => {
    assert.deepEqual(readPdfText([]), { text: '', passages: [], pageStarts: [], runs: [], leftOut: { runningLines: 0, pageNumbers: 0 } });
    const { r } = read([], [item('', 72, 640, { eol: true }), item('   ', 72, 628, { eol: true })]);
    assert.equal(r.text, '');
    assert.deepEqual(r.pageStarts, [0, 0]);
  });

  test('one item', () => {
    const { r } = read([item('Hello there.', 72, 640)]);
    assert.equal(r.text, 'Hello there.');
    assert.deepEqual(r.passages, [{ start: 0, end: 12 }]);
    assert.deepEqual(r.runs, [{ start: 0, end: 12, page: 0, item: 0, offset: 0 }]);
    assert.deepEqual(locateRange(r, 6, 11), [{ page: 0, item: 0, from: 6, to: 11 }]);
    assert.deepEqual(locateRange(r, 5, 5), []);
  });

  test('empty and blank items carry no text; hasEOL ends a line even on one baseline', () => {
    const { r } = read([item('', 72, 640, { eol: true }), item('alpha', 72, 640, { eol: true }), item('beta', 100, 640), item(' ', 120, 640), item('gamma', 125, 640), item('', 0, 0, { eol: true })]);
    // "alpha" ended its line, so "beta" is a separate piece; on one baseline the two read left to right.
    assert.equal(r.text, 'alpha beta gamma');
    assert.ok(r.runs.every((run) => run.item !== 0 && run.item !== 3 && run.item !== 5));
  });

  test('a single-column page reads top to bottom whatever the content order, lines joined by a space', () => {
    const lines = ['The harbour at Tain was dredged twice in the last', 'century, once by hand and once with a steam', 'dredger hired from Leith for the whole summer.'];
    const items = column(lines);
    const expected = lines.join(' ');
    assert.equal(read(items).r.text, expected);
    assert.equal(read([items[2], items[0], items[1]]).r.text, expected);
  });

  test('single-column layouts that are not columns: a numbered list, label and value rows, a signature line', () => {
    const list = [item('1.', 72, 640, { width: 8 }), item('Check the lamp wick and trim it before dusk every day.', 90, 640), item('2.', 72, 628, { width: 8 }), item('Wind the clockwork that turns the lens every four hours.', 90, 628), item('3.', 72, 616, { width: 8 }), item('Log the weather, the ships seen and the oil burned.', 90, 616)];
    assert.equal(read(list).r.text, '1. Check the lamp wick and trim it before dusk every day.\n2. Wind the clockwork that turns the lens every four hours.\n3. Log the weather, the ships seen and the oil burned.');
    const rows = [item('Keeper:', 72, 640), item('Ada Morrow', 300, 640), item('Station:', 72, 628), item('Skell Rock', 300, 628), item('Relieved:', 72, 616), item('never', 300, 616)];
    assert.equal(read(rows).r.text, 'Keeper: Ada Morrow Station: Skell Rock Relieved: never');
    const letter = [...column(['I remain, sir, your obedient servant, and I ask that the board consider the matter', 'of the oil store at its next meeting.']), item('Yours,', 72, 600), item('14 March', 480, 600), item('A. Morrow', 72, 588)];
    assert.equal(read(letter).r.text, 'I remain, sir, your obedient servant, and I ask that the board consider the matter of the oil store at its next meeting.\nYours, 14 March A. Morrow');
  });

  test('aligned code is not two columns', () => {
    const code = [item('Value ::= SEQUENCE {', 90, 640), item('value1', 110, 628), item('INTEGER,', 200, 628), item('value2', 110, 616), item('BOOLEAN', 200, 616), item('}', 90, 604)];
    // Row by row; the indented lines make a paragraph of their own, as a quotation would.
    assert.equal(read(code).r.text, 'Value ::= SEQUENCE {\nvalue1 INTEGER, value2 BOOLEAN\n}');
  });

  test('list items with hanging lines are one passage each; the paragraph after the list is its own', () => {
    const lines = [
      item('The keepers were told:', 72, 640),
      item('•', 72, 628, { width: 4 }),
      item('to trim the wick at dusk and again at midnight, and', 84, 628),
      item('to log the time they did so;', 84, 616),
      item('•', 72, 604, { width: 4 }),
      item('to wind the clockwork every four hours.', 84, 604),
      item('Most of them kept to it for years.', 72, 592),
    ];
    assert.deepEqual(read(lines).r.text.split('\n'), [
      'The keepers were told:',
      '• to trim the wick at dusk and again at midnight, and to log the time they did so;',
      '• to wind the clockwork every four hours.',
      'Most of them kept to it for years.',
    ]);
  });

  test('two columns with a full-width title, and a full-width caption between two column sections', () => {
    const L = 72;
    const R = 320;
    const leftA = column(['left one of the upper section here', 'left two of the upper section here', 'left three of the upper section.'], L, 600);
    const rightA = column(['right one of the upper section', 'right two of the upper section', 'right three of the upper section.'], R, 600);
    const caption = [item('Figure 1. A caption that runs across the whole width of the page text block.', L, 500, { width: 470 })];
    const leftB = column(['left one of the lower section here', 'left two of the lower section.'], L, 460);
    const rightB = column(['right one of the lower section', 'right two of the lower section.'], R, 460);
    const title = [item('A Title Across Both Columns', 200, 640, { size: 16 })];
    // Content order row by row, the worst case for reading order.
    const rows: PdfTextItem[] = [];
    for (let i = 0; i < 3; i++) rows.push(leftA[i], rightA[i]);
    const rowsB: PdfTextItem[] = [];
    for (let i = 0; i < 2; i++) rowsB.push(leftB[i], rightB[i]);
    const { r } = read([...rows, ...caption, ...rowsB, ...title]);
    assert.deepEqual(r.text.split('\n'), [
      'A Title Across Both Columns',
      'left one of the upper section here left two of the upper section here left three of the upper section.',
      'right one of the upper section right two of the upper section right three of the upper section.',
      'Figure 1. A caption that runs across the whole width of the page text block.',
      'left one of the lower section here left two of the lower section.',
      'right one of the lower section right two of the lower section.',
    ]);
  });

  test('three columns, and two columns with offset baselines and a gutter of one em', () => {
    const col = (tag: string, x: number, top: number, n: number, width: number) => Array.from({ length: n }, (_, i) => item(`${tag}${i} of a column line with words in it`, x, top - i * 12, { width }));
    const three = [...col('A', 54, 600, 4, 150), ...col('B', 222, 600, 4, 150), ...col('C', 390, 600, 4, 150)].sort((a, b) => b.transform[5] - a.transform[5]);
    assert.deepEqual(
      read(three).r.text.split('\n').map((p) => p.replace(/ of a column line with words in it/g, '')),
      ['A0 A1 A2 A3', 'B0 B1 B2 B3', 'C0 C1 C2 C3'],
    );
    const offset = [...col('L', 54, 600, 5, 247), ...col('R', 311, 606, 5, 247)];
    assert.deepEqual(
      read(offset).r.text.split('\n').map((p) => p.replace(/ of a column line with words in it/g, '')),
      ['L0 L1 L2 L3 L4', 'R0 R1 R2 R3 R4'],
    );
  });

  test('a paragraph that runs on from the left column to the right one stays one passage', () => {
    const left = column(['The keepers rowed out at dawn and', 'found the lamp still burning, though', 'the oil had run low in the'], 72, 640);
    const right = column(['reservoir and the wick was black.', 'A new wick was fitted by noon.'], 320, 640);
    // It starts in lower case after no sentence end; the next sentence stays in it (two lines are too few to judge
    // a short last line by).
    const { r } = read([...left, ...right]);
    assert.equal(r.text, 'The keepers rowed out at dawn and found the lamp still burning, though the oil had run low in the reservoir and the wick was black. A new wick was fitted by noon.');
  });

  test('paragraph breaks: a wide gap, a first-line indent, a font size change, a short line ending a sentence', () => {
    const gap = [...column(['First paragraph line one goes on and on here.', 'First paragraph ends.']), ...column(['Second paragraph after a gap.'], 72, 600)];
    assert.equal(read(gap).r.text, 'First paragraph line one goes on and on here. First paragraph ends.\nSecond paragraph after a gap.');
    const indent = [item('An indented first line that goes on for a while.', 90, 640), item('and continues at the margin for the rest of it', 72, 628), item('until it stops.', 72, 616), item('Another indented line starts here and goes on.', 90, 604), item('and ends at the margin.', 72, 592)];
    assert.equal(read(indent).r.text, 'An indented first line that goes on for a while. and continues at the margin for the rest of it until it stops.\nAnother indented line starts here and goes on. and ends at the margin.');
    const heading = [item('Methods', 72, 640, { size: 14 }), ...column(['The survey used the ledgers of four stations.'], 72, 624)];
    assert.equal(read(heading).r.text, 'Methods\nThe survey used the ledgers of four stations.');
    const short = column(['A line that fills the whole width of the column, more or less.', 'A short end.', 'Then a new paragraph with no gap and no indent at all here.', 'and more of it.']);
    assert.equal(read(short).r.text, 'A line that fills the whole width of the column, more or less. A short end.\nThen a new paragraph with no gap and no indent at all here. and more of it.');
  });

  test('line-end hyphens: joined before a lowercase letter, kept before a capital or a digit, soft hyphens joined', () => {
    const { r, pages } = read(column(['The light was deliber-', 'ately dimmed; an Anglo-', 'Norse name; the years 1840-', '1850 and a re\u00AD', 'Built wall.']));
    assert.equal(r.text, 'The light was deliberately dimmed; an Anglo- Norse name; the years 1840- 1850 and a reBuilt wall.');
    // The dropped hyphens are in no run.
    for (const run of r.runs) {
      const s = pages[0].items[run.item].str;
      if (run.item === 0) assert.equal(run.offset + (run.end - run.start), s.length - 1);
    }
  });

  test('whitespace inside items collapses while runs still map exactly', () => {
    const { r } = read([item('  many   spaces\there\u00A0and  ', 72, 640), item('then more', 72, 628)]);
    assert.equal(r.text, 'many spaces here and then more');
    assert.deepEqual(
      locateRange(r, 0, r.text.length).map((x) => [x.item, x.from, x.to]),
      [
        [0, 2, 7],
        [0, 9, 15],
        [0, 16, 20],
        [0, 21, 25],
        [1, 0, 9],
      ],
    );
    // Every character of a run is the item's own; the tab and no-break space became joining spaces.
    assert.equal(r.runs.filter((run) => run.item === 0).map((run) => r.text.slice(run.start, run.end)).join('|'), 'many |spaces|here|and ');
  });

  test('a superscript stays on its line; rotated text is read after the page', () => {
    const items = [item('Rotated margin stamp', 30, 300), item('The keeper', 72, 640), item('1', 122, 644, { size: 6 }), item(' wrote daily.', 125, 640)];
    items[0].transform = [0, 10, -10, 0, 30, 300];
    const { r } = read(items);
    assert.equal(r.text, 'The keeper1 wrote daily.\nRotated margin stamp');
  });

  test('a page whose text is all turned a quarter (landscape stored sideways) reads like an upright one', () => {
    // Upright frame: 792 wide, 612 high. Stored: x = 612 - frameY, y = frameX, text running up.
    const upright = [...column(['The landscape table of tides at Tain and Leith', 'was printed sideways on the page.'], 72, 500), item('- 4 -', 380, 30)];
    const turned = upright.map((i) => ({ ...i, transform: [0, i.height, -i.height, 0, 612 - i.transform[5], i.transform[4]] }));
    const { r } = read(turned);
    assert.equal(r.text, 'The landscape table of tides at Tain and Leith was printed sideways on the page.');
    assert.equal(r.leftOut.pageNumbers, 1);
  });

  test('a /Rotate page: the viewport is turned but view, the box transforms are in, is not', () => {
    // Upright text in a 612 x 792 box starting at (100, 50), shown rotated: the viewport is 792 x 612.
    const items = [...column(['Text in a box that does not start at the origin,', 'on a page shown turned a quarter.'], 172, 690), item('7', 400, 80)];
    const rotated = readPdfText([{ items, width: 792, height: 612, view: [100, 50, 712, 842] }]);
    assert.equal(rotated.text, 'Text in a box that does not start at the origin, on a page shown turned a quarter.');
    assert.equal(rotated.leftOut.pageNumbers, 1);
    // Without view, the viewport's 612 height would put the footer far from the page's bottom edge.
    assert.equal(readPdfText([{ items, width: 792, height: 612 }]).leftOut.pageNumbers, 0);
  });

  test('right-to-left items keep their order within a piece', () => {
    const { r } = read([item('שלום', 300, 640, { dir: 'rtl' }), item('עולם', 250, 640, { dir: 'rtl' })]);
    assert.ok(r.text === 'שלום עולם' || r.text === 'שלוםעולם', r.text);
  });

  test('pages without text get the next offset; pageAt skips them', () => {
    const { r } = read([item('Page one text.', 72, 640)], [], [item('Page three text.', 72, 640)], []);
    assert.equal(r.text, 'Page one text.\nPage three text.');
    assert.deepEqual(r.pageStarts, [0, 15, 15, 31]);
    assert.equal(pageAt(r.pageStarts, 14), 0);
    assert.equal(pageAt(r.pageStarts, 15), 2);
    assert.equal(pageAt(r.pageStarts, 30), 2);
  });
});

describe('headers, footers and page numbers', () => {
  const body = (p: number) => column([`Body text of page ${p} that says something different each time.`], 72, 600);
  const header = (p: number) => item(`The Quiet Review, issue ${p + 4}`, 72, 760);

  test('page-number forms', () => {
    for (const s of ['3', '12', 'xiv', 'XIV', 'Page 3', 'page 3 of 12', '3 of 12', '3/12', '- 3 -', '— 12 —', 'p. 7', '[4]']) assert.ok(isPageNumberText(s), s);
    for (const s of ['Mix', 'Figure 3', '3 ships', 'Chapter 2', '1847.', '']) assert.ok(!isPageNumberText(s), s);
  });

  test('a header repeating (digits aside) on 3 of 6 pages is dropped; on 2 of 6 it is kept', () => {
    const pages = Array.from({ length: 6 }, (_, p) => [...(p < 3 ? [header(p)] : []), ...body(p), item(`${p + 1}`, 300, 40)]);
    const { r } = read(...pages);
    assert.ok(!r.text.includes('Quiet Review'));
    assert.deepEqual(r.leftOut, { runningLines: 3, pageNumbers: 6 });
    const kept = read(...Array.from({ length: 6 }, (_, p) => [...(p < 2 ? [header(p)] : []), ...body(p)])).r;
    assert.equal(kept.text.split('The Quiet Review').length - 1, 2);
  });

  test('running heads whose text changes are dropped when their page numbers follow the page sequence', () => {
    const pages = Array.from({ length: 6 }, (_, p) => [item(`Chapter ${Math.floor(p / 2) + 1}: ${['Lights', 'Fog', 'Keepers'][Math.floor(p / 2)]}`, 72, 760), item(`${p + 3}`, 530, 760), ...body(p)]);
    const { r } = read(...pages);
    assert.ok(!/Chapter|^\d/m.test(r.text), r.text);
    assert.deepEqual(r.leftOut, { runningLines: 6, pageNumbers: 6 });
    // Numbers that do not follow the pages stay, with the text beside them.
    const topics = ['Tides', 'Lamps', 'Fog', 'Wrecks', 'Keepers', 'Boats'];
    const headings = Array.from({ length: 6 }, (_, p) => [item(topics[p], 72, 760), item(`${[4, 1, 9, 2, 7, 3][p]}`, 530, 760), ...body(p)]);
    const kept = read(...headings).r;
    for (const [p, topic] of topics.entries()) assert.ok(kept.text.includes(`${topic} ${[4, 1, 9, 2, 7, 3][p]}`), topic);
    assert.deepEqual(kept.leftOut, { runningLines: 0, pageNumbers: 0 });
  });

  test('short documents: more than half the pages; one page keeps its header but not its page number', () => {
    assert.ok(!read([header(0), ...body(0)], [header(1), ...body(1)]).r.text.includes('Quiet Review'));
    const one = read([header(0), ...body(0), item('Page 1', 290, 30)]).r;
    assert.ok(one.text.startsWith('The Quiet Review, issue 4\n'));
    assert.deepEqual(one.leftOut, { runningLines: 0, pageNumbers: 1 });
  });

  test('a number in the margin zone beside a kept label is a table cell, and text away from the edges is never dropped', () => {
    const { r } = read([...body(0), item('Total', 72, 60), item('42', 400, 60), item('17', 300, 400)]);
    assert.ok(r.text.endsWith('Total 42') || r.text.includes('Total 42'), r.text);
    assert.ok(r.text.includes('17'));
  });
});
