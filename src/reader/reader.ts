// The Lens reader: a PDF fetched from its tab's address (or chosen from disk), drawn with pdf.js, read in
// reading order (src/reader/pdf-text.ts) and answered like a web page. The tab has no content script: this page
// answers the background's content requests itself (reader/content, addressed to its tab), so the popup, the
// side panel and the context menu work here as on any page.
import browser, { type Runtime } from 'webextension-polyfill';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';
import type { TextContent } from 'pdfjs-dist/types/src/display/api.js';
import { showCard } from '../content/card.js';
import { toReply } from '../shared/messaging.js';
import { isReaderContentRequest, MAX_READ_CHARS, type ContentReplies, type ContentRequest, type ExtractReply, type PartialRead } from '../shared/protocol.js';
import { partialReadText } from '../shared/read-limit.js';
import { byId, h } from '../ui/dom.js';
import { errorText } from '../ui/format.js';
import { notice } from '../ui/notice.js';
import { fetchPdf, fingerprint } from './fetch-pdf.js';
import { findAll, MAX_MATCHES } from './find.js';
import { openPdf, readPage, SCANNED, type PdfPage } from './pdf.js';
import { locateRange, readPdfText, type PdfReading } from './pdf-text.js';
import { PdfView, type Zoom } from './view.js';

/** A document open in the reader and what was read of it. */
interface Loaded {
  doc: PDFDocumentProxy;
  /** the snapshot id of its page-scope reading: the bytes' fingerprint (a changed PDF is another snapshot) */
  id: string;
  title: string;
  url: string;
  pages: PdfPage[];
  reading: PdfReading;
  partial?: PartialRead;
}

const status = byId('status');
const viewer = byId('viewer');
const pageInput = byId<HTMLInputElement>('page-number');
const view = new PdfView(viewer, (index) => {
  if (document.activeElement !== pageInput) pageInput.value = String(index + 1);
});

let loaded: Promise<Loaded> | undefined;
/** the page-scope reading was handed out before (a later extract is `reused`) */
let handedOut = false;
/** selection readings handed out: their snapshot id -> where the selection starts in the page reading */
const selections = new Map<string, number>();

function setStatus(...children: Node[]): void {
  status.replaceChildren(...children);
}

function showError(err: unknown): void {
  setStatus(notice('error', { body: errorText(err) }));
}

function progress(label: string, done: number, total: number | undefined): void {
  const bar = h('progress', { max: total ?? '', value: total ? done : '', 'aria-label': label });
  setStatus(h('p', { class: 'small muted' }, label), bar);
}

/** The reader's password form: resolves with what the user typed; `wrong` says the last one was refused. */
function askPassword(wrong: boolean): Promise<string> {
  const form = byId<HTMLFormElement>('password-form');
  const input = byId<HTMLInputElement>('password');
  const error = byId('password-error');
  form.hidden = false;
  error.hidden = !wrong;
  error.textContent = wrong ? 'Wrong password; try again.' : '';
  input.value = '';
  input.setAttribute('aria-invalid', String(wrong));
  input.focus();
  setStatus(h('p', { class: 'small muted' }, 'Enter the PDF’s password to open it.'));
  return new Promise((resolve) => {
    form.addEventListener(
      'submit',
      (e) => {
        e.preventDefault();
        form.hidden = true;
        resolve(input.value);
      },
      { once: true },
    );
  });
}

/** Opens the bytes, lays out the pages, and reads the text (up to MAX_READ_CHARS) with progress. */
async function load(bytes: Uint8Array<ArrayBuffer>, url: string, name: string): Promise<Loaded> {
  // before pdf.js takes the buffer over
  const id = `pdf:${await fingerprint(bytes)}`;
  progress('Opening the PDF', 0, undefined);
  const doc = await openPdf(bytes, askPassword);
  const metadata = await doc.getMetadata().catch(() => undefined);
  const info = metadata?.info as { Title?: unknown } | undefined;
  const title = (typeof info?.Title === 'string' && info.Title.trim()) || name;
  document.title = `${title} · Lens reader`;
  byId('doc-title').textContent = title;
  byId('page-count').textContent = `/ ${doc.numPages}`;

  const pages: PdfPage[] = [];
  let chars = 0;
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await readPage(doc, n);
    if (n === 1) {
      view.setDocument(doc, pageSource(doc, pages), page.text);
    }
    view.setPageSize(n - 1, page.text.width, page.text.height);
    pages.push(page);
    for (const item of page.text.items) chars += item.str.length;
    if (n % 10 === 0 || n === doc.numPages) progress(`Reading page ${n} of ${doc.numPages}`, n, doc.numPages);
    // the same bound as for a long web page: the rest is neither read nor asked about
    if (chars > MAX_READ_CHARS && n < doc.numPages) break;
  }
  const reading = readPdfText(pages.map((p) => p.text));
  const partial = pages.length < doc.numPages ? { read: MAX_READ_CHARS, total: Math.round((reading.text.length / pages.length) * doc.numPages) } : undefined;
  if (!reading.text.trim()) setStatus(notice('warn', { body: SCANNED }));
  else if (partial) setStatus(notice('info', { body: `${partialReadText(partial)} (pages 1–${pages.length} of ${doc.numPages}): questions are answered from those pages.` }));
  // data-read-ms: from the reader's navigation to the text read (the bench's figure)
  else setStatus(h('p', { class: 'small muted', 'data-testid': 'read-done', 'data-read-ms': Math.round(performance.now()) }, `Read ${doc.numPages} ${doc.numPages === 1 ? 'page' : 'pages'}.`));
  return { doc, id, title, url, pages, reading, ...(partial ? { partial } : {}) };
}

/** Pages and their text for drawing: the ones read are kept, the rest (beyond the read limit) asked for. */
function pageSource(doc: PDFDocumentProxy, pages: PdfPage[]): { page(i: number): Promise<PDFPageProxy>; content(i: number): Promise<TextContent> } {
  return {
    page: async (i) => pages[i]?.proxy ?? doc.getPage(i + 1),
    content: async (i) => pages[i]?.content ?? (await doc.getPage(i + 1)).getTextContent(),
  };
}

function start(getBytes: () => Promise<Uint8Array<ArrayBuffer>>, url: string, name: string): void {
  handedOut = false;
  selections.clear();
  loaded = (async () => {
    const bytes = await getBytes();
    return load(bytes, url, name);
  })();
  loaded.catch(showError);
}

function fileName(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url;
  }
}

// ---- answering the background's content requests (the same ones a web page's content script answers) ----

async function ready(): Promise<Loaded> {
  if (!loaded) throw new Error('no PDF is open in the reader: choose one with “Open a PDF file…”');
  return loaded;
}

async function extract(scope: 'page' | 'selection'): Promise<ExtractReply> {
  const doc = await ready();
  const { reading } = doc;
  if (!reading.text.trim()) throw new Error(SCANNED);
  const pagesNote = `${doc.doc.numPages} ${doc.doc.numPages === 1 ? 'page' : 'pages'}`;
  if (scope === 'selection') {
    const range = selectionRange(doc);
    if (!range) throw new Error('select some text in the PDF first');
    const id = `${doc.id}:selection:${range.start}-${range.end}`;
    selections.set(id, range.start);
    const text = reading.text.slice(range.start, range.end);
    return { snapshotId: id, scope, reading: { kind: 'selection', note: 'your selection' }, text, passages: [{ start: 0, end: text.length }], title: doc.title, url: doc.url };
  }
  const reused = handedOut;
  handedOut = true;
  return {
    snapshotId: doc.id,
    scope,
    reading: { kind: 'page', note: `the PDF (${pagesNote})` },
    text: reading.text,
    passages: reading.passages,
    title: doc.title,
    url: doc.url,
    pageStarts: reading.pageStarts,
    reused,
    ...(doc.partial ? { partial: doc.partial } : {}),
  };
}

/** The selection as a range of the page reading (its ends mapped through the text items they are in). */
function selectionRange(doc: Loaded): { start: number; end: number } | undefined {
  const selection = document.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return undefined;
  const range = selection.getRangeAt(0);
  const from = view.itemAt(range.startContainer, range.startOffset);
  const to = view.itemAt(range.endContainer, range.endOffset);
  if (!from || !to) return undefined;
  const start = offsetOf(doc.reading, from, 'start');
  const end = offsetOf(doc.reading, to, 'end');
  return start !== undefined && end !== undefined && end > start ? { start, end } : undefined;
}

/** Where a character of a text item is in the reading (the nearest read character at a left-out spot). */
function offsetOf(reading: PdfReading, at: { page: number; item: number; offset: number }, side: 'start' | 'end'): number | undefined {
  const key = (r: { page: number; item: number }) => r.page * 1e6 + r.item;
  const target = key(at);
  let best: number | undefined;
  for (const run of reading.runs) {
    const k = key(run);
    if (k === target && at.offset >= run.offset && at.offset <= run.offset + (run.end - run.start)) return run.start + (at.offset - run.offset);
    // a point in a left-out line (a running header): the next run's start, or the previous run's end
    if (side === 'start' && k > target && best === undefined) best = run.start;
    if (side === 'end' && k < target) best = run.end;
  }
  return best;
}

async function highlight(snapshotId: string, start: number, end: number, scroll: boolean): Promise<{ text: string }> {
  const doc = await ready();
  const base = snapshotId === doc.id ? 0 : selections.get(snapshotId);
  if (base === undefined) throw new Error('the PDF has changed since the question was asked; ask again');
  const ranges = locateRange(doc.reading, base + start, base + end);
  if (ranges.length === 0) throw new Error('that answer is not in the PDF’s text layer');
  await view.mark('answer', ranges, scroll);
  return { text: doc.reading.text.slice(base + start, base + end) };
}

type Handlers = { [T in ContentRequest['type']]: (req: Extract<ContentRequest, { type: T }>) => Promise<ContentReplies[T]> };

const handlers: Handlers = {
  'content/extract': (req) => extract(req.scope),
  // the PDF is read as the reader opens: the popup's prepare finds it read, and the first question then reuses it
  'content/prepare': async () => {
    await ready();
    const reading = handedOut ? 'reused' : 'read';
    handedOut = true;
    return { reading };
  },
  'content/highlight': (req) => highlight(req.snapshotId, req.start, req.end, req.scroll),
  'content/clear': async () => ({ cleared: view.clear('answer') }),
  'content/selection-info': async () => {
    const doc = await loaded?.catch(() => undefined);
    return { selectionLength: document.getSelection()?.toString().trim().length ?? 0, title: doc?.title ?? document.title, url: doc?.url ?? '', contentType: 'application/pdf' };
  },
  'content/show-card': async (req) => ({ shown: showCard(req) !== undefined }),
};

function handle(req: ContentRequest): Promise<unknown> {
  const handler = handlers[req.type] as (r: ContentRequest) => Promise<unknown>;
  return handler(req);
}

async function listen(): Promise<void> {
  const tab = await browser.tabs.getCurrent();
  const tabId = tab?.id;
  if (tabId === undefined) return;
  browser.runtime.onMessage.addListener((msg: unknown, sender: Runtime.MessageSender) => {
    if (!isReaderContentRequest(msg) || msg.tabId !== tabId || sender.id !== browser.runtime.id) return undefined;
    return toReply(() => handle(msg.request));
  });
}

// ---- the toolbar ----

function setUpToolbar(): void {
  const goTo = (n: number) => {
    const index = Math.max(1, Math.min(view.pageCount, Math.round(n))) - 1;
    view.goTo(index);
    pageInput.value = String(index + 1);
  };
  pageInput.addEventListener('change', () => goTo(Number(pageInput.value) || 1));
  byId('prev-page').addEventListener('click', () => goTo(view.currentPage()));
  byId('next-page').addEventListener('click', () => goTo(view.currentPage() + 2));

  const zoom = byId<HTMLSelectElement>('zoom');
  const steps = [...zoom.options].map((o) => o.value).filter((v) => v !== 'fit').map(Number);
  const setZoom = (z: Zoom) => {
    view.setZoom(z);
    zoom.value = String(z);
  };
  zoom.addEventListener('change', () => setZoom(zoom.value === 'fit' ? 'fit' : Number(zoom.value)));
  const step = (dir: 1 | -1) => {
    const now = view.currentZoom.scale;
    const next = dir > 0 ? steps.find((s) => s > now + 1e-6) : [...steps].reverse().find((s) => s < now - 1e-6);
    if (next !== undefined) setZoom(next);
  };
  byId('zoom-in').addEventListener('click', () => step(1));
  byId('zoom-out').addEventListener('click', () => step(-1));

  setUpFind();

  byId('reload').addEventListener('click', () => location.reload());
  const fileInput = byId<HTMLInputElement>('file-input');
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    start(async () => new Uint8Array(await file.arrayBuffer()), file.name, file.name);
  });
}

/** Find in the PDF: matches in the text Lens read (case and spacing ignored), Enter for the next one. */
function setUpFind(): void {
  const input = byId<HTMLInputElement>('find');
  const count = byId('find-count');
  let matches: Array<{ start: number; end: number }> = [];
  let current = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const show = async (scroll: boolean) => {
    const doc = await ready().catch(() => undefined);
    if (!doc) return;
    count.textContent = matches.length === 0 ? (input.value.trim() ? 'No matches' : '') : `${current + 1} of ${matches.length}${matches.length >= MAX_MATCHES ? '+' : ''}`;
    await view.mark('find', matches.flatMap((m, i) => (i === current ? [] : locateRange(doc.reading, m.start, m.end))));
    const now = matches[current];
    await view.mark('find-current', now ? locateRange(doc.reading, now.start, now.end) : [], scroll);
  };
  const search = async () => {
    const doc = await ready().catch(() => undefined);
    if (!doc) return;
    matches = findAll(doc.reading.text, input.value);
    current = matches.length > 0 ? 0 : -1;
    await show(true);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void search(), 150);
  });
  const move = (dir: 1 | -1) => {
    if (matches.length === 0) return;
    current = (current + dir + matches.length) % matches.length;
    void show(true);
  };
  byId<HTMLFormElement>('find-form').addEventListener('submit', (e) => {
    e.preventDefault();
    move(1);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.shiftKey) {
      e.preventDefault();
      move(-1);
    }
  });
  byId('find-prev').addEventListener('click', () => move(-1));
}

function main(): void {
  setUpToolbar();
  void listen();
  const url = new URLSearchParams(location.search).get('url');
  if (!url) {
    setStatus(notice('info', { body: 'Choose a PDF with “Open a PDF file…”: Lens reads it on this device; the file goes nowhere.' }));
    return;
  }
  start(() => fetchPdf(url, (done, total) => progress('Downloading the PDF', done, total)), url, fileName(url));
}

main();
