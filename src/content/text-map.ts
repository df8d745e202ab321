// The text builder: it turns the characters the walker (walk.ts) hands it into the reading's text, its passages and
// the exact map from every character back to the text node and offset it came from, so an answer's [start, end) in
// the text can be marked in the page exactly (highlight.ts). Passages are joined with "\n"; whitespace runs collapse
// to one space (preformatted text keeps its spaces); leading and trailing whitespace of a passage is dropped; the
// text stops at MAX_READ_CHARS. It also keeps the DOM state counter that says whether a map still fits the page.
import { MAX_READ_CHARS, type Passage, type PartialRead } from '../shared/protocol.js';

/** The characters of one text node that appear, in order and contiguously, in the extracted text. */
export interface TextSegment {
  node: Text;
  /** offset in the extracted text of the first character */
  start: number;
  /** for each character text[start + i]: its offset in node.data (collapsed whitespace maps to the run's first character) */
  offsets: Int32Array;
}

/** What one read built: the text, its passages and its text-node map. */
export interface BuiltText {
  text: string;
  passages: Passage[];
  segments: TextSegment[];
  /** MAX_READ_CHARS was reached */
  full: boolean;
  /** set where the read stopped at MAX_READ_CHARS (see withPartial in walk.ts) */
  partial?: PartialRead;
}

// ---- which text nodes the DOM holds, as far as this script's own changes go ----
// Marking splits text nodes: maps read before it no longer fit, and maps read while marks are shown stop
// fitting once they are cleared. A clear that puts every split node back exactly returns to the state
// before the marking, and maps read in that state fit again.

let currentState = 0;
let lastState = 0;

export function domState(): number {
  return currentState;
}

/** The DOM's text nodes changed (marks were added, or could not all be taken back cleanly): a new state. */
export function newDomState(): number {
  currentState = ++lastState;
  return currentState;
}

/** A clear restored the text nodes of an earlier state exactly. */
export function restoreDomState(state: number): void {
  currentState = state;
}

// ---- building the text ----

interface MutableSegment {
  node: Text;
  start: number;
  offsets: number[];
}

interface PendingSpace {
  node: Text;
  offset: number;
  /** the character to emit: ' ' for a collapsed run, the character itself where spaces are preserved */
  ch: string;
  collapsed: boolean;
}

/** Builds one read: the walker hands it a text node's characters in document order, and where passages end. */
export class TextBuilder {
  private readonly chunks: string[] = [];
  length = 0;
  readonly passages: Passage[] = [];
  readonly segments: MutableSegment[] = [];
  /** start of the open passage; -1 while no passage has content */
  private passageStart = -1;
  private pending: PendingSpace[] = [];
  /** an inline-block boundary: words on both sides must not run together */
  private softSpace = false;
  /** MAX_READ_CHARS reached: nothing more is added, and the walk stops (a 10 MB page is read only up to the cap) */
  full = false;

  constructor(private readonly limit = MAX_READ_CHARS) {}

  /** A whitespace character: `collapse` runs become one space; others are kept as they are. */
  space(node: Text, offset: number, ch: string, collapse: boolean): void {
    if (this.passageStart < 0 || this.full) return; // leading whitespace of a passage
    const last = this.pending[this.pending.length - 1];
    if (collapse) {
      if (last?.collapsed) return;
      this.pending.push({ node, offset, ch: ' ', collapsed: true });
    } else {
      this.pending.push({ node, offset, ch, collapsed: false });
    }
  }

  /** Non-space characters data[from, to) of a text node. */
  word(node: Text, data: string, from: number, to: number): void {
    if (this.length + this.pending.length + 1 >= this.limit) {
      this.full = true;
      return;
    }
    // one huge "word" (a page of text without spaces) is cut at the limit too
    to = Math.min(to, from + (this.limit - this.length - this.pending.length - 1));
    if (this.passageStart < 0) {
      if (this.length > 0) this.push('\n', undefined, 0);
      this.passageStart = this.length;
    } else if (this.pending.length > 0) {
      for (const p of this.pending) this.push(p.ch, p.node, p.offset);
    } else if (this.softSpace) {
      this.push(' ', undefined, 0);
    }
    this.pending = [];
    this.softSpace = false;
    this.chunks.push(data.slice(from, to));
    const offsets = this.segmentFor(node);
    for (let i = from; i < to; i++) offsets.push(i);
    this.length += to - from;
  }

  soft(): void {
    if (this.passageStart >= 0) this.softSpace = true;
  }

  endPassage(): void {
    if (this.passageStart >= 0) this.passages.push({ start: this.passageStart, end: this.length });
    this.passageStart = -1;
    this.pending = [];
    this.softSpace = false;
  }

  private push(ch: string, node: Text | undefined, offset: number): void {
    this.chunks.push(ch);
    if (node) this.segmentFor(node).push(offset);
    this.length++;
  }

  /** The offsets list that the next character of `node` goes into (a new segment unless it continues the last one). */
  private segmentFor(node: Text): number[] {
    const seg = this.segments[this.segments.length - 1];
    if (seg && seg.node === node && seg.start + seg.offsets.length === this.length) return seg.offsets;
    const fresh: MutableSegment = { node, start: this.length, offsets: [] };
    this.segments.push(fresh);
    return fresh.offsets;
  }

  finish(): BuiltText {
    this.endPassage();
    return {
      full: this.full,
      text: this.chunks.join(''),
      passages: this.passages,
      segments: this.segments.map((s) => ({ node: s.node, start: s.start, offsets: Int32Array.from(s.offsets) })),
    };
  }
}
