// The reader's pages: a column of placeholders sized like the pages, each drawn (canvas + pdf.js text layer) when
// it comes near the screen and released when it leaves, so a 1,000-page PDF costs a few pages of memory. Marks
// (the answer, find matches) are kept as item ranges and re-applied whenever a page's text layer is drawn again.
import { TextLayer, type PDFDocumentProxy, type PDFPageProxy, type RenderTask } from 'pdfjs-dist';
import type { TextContent } from 'pdfjs-dist/types/src/display/api.js';

/** Characters [from, to) of text item `item` on page `page` (0-based). */
export interface ItemRange {
  page: number;
  item: number;
  from: number;
  to: number;
}

export type MarkKind = 'answer' | 'find' | 'find-current';

export type Zoom = number | 'fit';

interface PageSlot {
  el: HTMLDivElement;
  width: number;
  height: number;
  drawn?: { canvas: HTMLCanvasElement; layer: TextLayer; scale: number; textDivs: HTMLElement[]; strings: string[] };
  drawing?: Promise<void>;
  renderTask?: RenderTask;
  near: boolean;
}

export interface PageSource {
  page(index: number): Promise<PDFPageProxy>;
  content(index: number): Promise<TextContent>;
}

export class PdfView {
  private slots: PageSlot[] = [];
  private source: PageSource | undefined;
  private zoom: Zoom = 'fit';
  private scale = 1;
  private readonly marks = new Map<MarkKind, ItemRange[]>();
  private readonly observer: IntersectionObserver;
  /** bumped on every zoom or document change: a drawing started before it is dropped */
  private generation = 0;

  constructor(
    private readonly viewer: HTMLElement,
    private readonly onPageChange: (index: number) => void,
  ) {
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), { root: null, rootMargin: '800px 0px' });
    let queued = false;
    window.addEventListener('scroll', () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        this.onPageChange(this.currentPage());
      });
    });
    window.addEventListener('resize', () => {
      if (this.zoom === 'fit') this.setZoom('fit');
    });
  }

  /** Shows a document: every page a placeholder of the first page's size until its own size is known. */
  setDocument(doc: PDFDocumentProxy, source: PageSource, first: { width: number; height: number }): void {
    this.generation++;
    this.observer.disconnect();
    this.viewer.replaceChildren();
    this.marks.clear();
    this.source = source;
    this.slots = [];
    for (let i = 0; i < doc.numPages; i++) {
      const el = document.createElement('div');
      el.className = 'page';
      el.dataset.page = String(i + 1);
      el.setAttribute('role', 'region');
      el.setAttribute('aria-label', `Page ${i + 1}`);
      const label = document.createElement('span');
      label.className = 'page-label';
      label.textContent = `${i + 1}`;
      label.setAttribute('aria-hidden', 'true');
      el.append(label);
      this.viewer.append(el);
      this.slots.push({ el, width: first.width, height: first.height, near: false });
    }
    this.applyScale();
    for (const slot of this.slots) this.observer.observe(slot.el);
  }

  get pageCount(): number {
    return this.slots.length;
  }

  setPageSize(index: number, width: number, height: number): void {
    const slot = this.slots[index];
    if (!slot || (slot.width === width && slot.height === height)) return;
    slot.width = width;
    slot.height = height;
    this.sizeSlot(slot);
  }

  setZoom(zoom: Zoom): void {
    this.zoom = zoom;
    const anchor = this.currentPage();
    this.generation++;
    for (const slot of this.slots) this.release(slot);
    this.applyScale();
    this.goTo(anchor);
    for (const [index, slot] of this.slots.entries()) if (slot.near) void this.draw(index);
  }

  get currentZoom(): { zoom: Zoom; scale: number } {
    return { zoom: this.zoom, scale: this.scale };
  }

  private applyScale(): void {
    const first = this.slots[0];
    const available = Math.max(200, this.viewer.clientWidth - 32);
    this.scale = this.zoom === 'fit' ? (first ? Math.min(4, available / first.width) : 1) : this.zoom;
    for (const slot of this.slots) this.sizeSlot(slot);
  }

  private sizeSlot(slot: PageSlot): void {
    slot.el.style.width = `${Math.floor(slot.width * this.scale)}px`;
    slot.el.style.height = `${Math.floor(slot.height * this.scale)}px`;
    slot.el.style.setProperty('--scale-factor', String(this.scale));
  }

  /** The page at the middle of the screen (0-based). */
  currentPage(): number {
    const middle = window.innerHeight / 2;
    let lo = 0;
    let hi = this.slots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.slots[mid]!.el.getBoundingClientRect().top <= middle) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  goTo(index: number): void {
    this.slots[Math.max(0, Math.min(index, this.slots.length - 1))]?.el.scrollIntoView({ block: 'start' });
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const index = Number((entry.target as HTMLElement).dataset.page) - 1;
      const slot = this.slots[index];
      if (!slot) continue;
      slot.near = entry.isIntersecting;
      if (entry.isIntersecting) void this.draw(index);
      else this.release(slot);
    }
  }

  private release(slot: PageSlot): void {
    slot.renderTask?.cancel();
    slot.renderTask = undefined;
    if (slot.drawn) {
      slot.drawn.layer.cancel();
      // a 0-sized canvas gives its pixel memory back at once
      slot.drawn.canvas.width = 0;
      slot.drawn.canvas.height = 0;
      slot.drawn.canvas.remove();
      slot.el.querySelector('.textLayer')?.remove();
      slot.drawn = undefined;
    }
    slot.drawing = undefined;
  }

  /** Draws a page (once; concurrent calls share the drawing). */
  draw(index: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot || !this.source) return Promise.resolve();
    if (slot.drawn) return Promise.resolve();
    slot.drawing ??= this.drawPage(index, slot, this.source, this.generation).finally(() => {
      slot.drawing = undefined;
    });
    return slot.drawing;
  }

  private async drawPage(index: number, slot: PageSlot, source: PageSource, generation: number): Promise<void> {
    const page = await source.page(index);
    const viewport = page.getViewport({ scale: this.scale });
    this.setPageSize(index, viewport.width / this.scale, viewport.height / this.scale);
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.setAttribute('aria-hidden', 'true');
    const context = canvas.getContext('2d');
    if (!context) throw new Error('this browser gave the reader no canvas to draw on');
    slot.renderTask = page.render({ canvas, canvasContext: context, viewport, transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0] });
    try {
      await slot.renderTask.promise;
    } catch (err) {
      if (err instanceof Error && err.name === 'RenderingCancelledException') return;
      throw err;
    }
    if (generation !== this.generation) return;
    const container = document.createElement('div');
    container.className = 'textLayer';
    const layer = new TextLayer({ textContentSource: await source.content(index), container, viewport });
    await layer.render();
    if (generation !== this.generation || slot.drawn) return;
    slot.el.prepend(canvas, container);
    slot.drawn = { canvas, layer, scale: this.scale, textDivs: layer.textDivs, strings: layer.textContentItemsStr };
    this.paint(index);
  }

  /** Replaces the marks of a kind; draws (and with `scrollTo`, scrolls to) the first one's page. */
  async mark(kind: MarkKind, ranges: ItemRange[], scrollTo = false): Promise<string> {
    const touched = new Set([...(this.marks.get(kind) ?? []), ...ranges].map((r) => r.page));
    this.marks.set(kind, ranges);
    for (const page of touched) this.paint(page);
    const first = ranges[0];
    if (!first) return '';
    await Promise.all([...new Set(ranges.map((r) => r.page))].map((p) => this.draw(p)));
    const marks = [...this.viewer.querySelectorAll<HTMLElement>(kind === 'answer' ? 'mark[data-lens-answer]' : `mark[data-lens-find="${kind === 'find-current' ? 'current' : 'match'}"]`)];
    if (scrollTo) (marks[0] ?? this.slots[first.page]?.el)?.scrollIntoView({ block: 'center' });
    return kind === 'answer' ? marks.map((m) => m.textContent ?? '').join('') : '';
  }

  clear(kind: MarkKind): number {
    const ranges = this.marks.get(kind) ?? [];
    this.marks.delete(kind);
    for (const page of new Set(ranges.map((r) => r.page))) this.paint(page);
    return ranges.length;
  }

  /** Rebuilds the marked text elements of a drawn page from their item text and the current marks. */
  private paint(index: number): void {
    const drawn = this.slots[index]?.drawn;
    if (!drawn) return;
    const byItem = new Map<number, Array<ItemRange & { kind: MarkKind }>>();
    for (const [kind, ranges] of this.marks) {
      for (const r of ranges) if (r.page === index) byItem.set(r.item, [...(byItem.get(r.item) ?? []), { ...r, kind }]);
    }
    for (const [item, div] of drawn.textDivs.entries()) {
      // an element marked before but not now goes back to its plain text
      if (!byItem.has(item) && div.querySelector('mark')) div.textContent = drawn.strings[item] ?? div.textContent;
    }
    for (const [item, ranges] of byItem) {
      const div = drawn.textDivs[item];
      const text = drawn.strings[item];
      if (!div || text === undefined) continue;
      ranges.sort((a, b) => a.from - b.from);
      const parts: Node[] = [];
      let at = 0;
      for (const r of ranges) {
        const from = Math.max(r.from, at);
        if (r.to <= from) continue;
        if (from > at) parts.push(document.createTextNode(text.slice(at, from)));
        const mark = document.createElement('mark');
        if (r.kind === 'answer') mark.dataset.lensAnswer = '';
        else mark.dataset.lensFind = r.kind === 'find-current' ? 'current' : 'match';
        mark.textContent = text.slice(from, r.to);
        parts.push(mark);
        at = r.to;
      }
      if (at < text.length) parts.push(document.createTextNode(text.slice(at)));
      div.replaceChildren(...parts);
    }
  }

  /** The text item a DOM point of a selection is in, and the character offset in it. */
  itemAt(node: Node, offset: number): { page: number; item: number; offset: number } | undefined {
    const element = node instanceof Element ? node : node.parentElement;
    for (const [page, slot] of this.slots.entries()) {
      const drawn = slot.drawn;
      if (!drawn || !slot.el.contains(element)) continue;
      const item = drawn.textDivs.findIndex((div) => div.contains(node));
      if (item < 0) return undefined;
      const div = drawn.textDivs[item]!;
      // characters before the point inside the item's element (marks split it into several text nodes)
      const range = document.createRange();
      range.setStart(div, 0);
      range.setEnd(node, offset);
      return { page, item, offset: range.toString().length };
    }
    return undefined;
  }
}
