// A snapshot: one reading of the page or of the selection, kept in the content script so an answer found in its text
// can be marked in the page later. Its ExtractReply part travels to the background (snapshotReply); the text-node
// map, the DOM state it was read in and the selection's anchors stay here.
import type { ExtractReply, Reading, Scope } from '../shared/protocol.js';
import type { RangeBounds } from './anchors.js';
import { domState, type BuiltText, type TextSegment } from './text-map.js';

/**
 * One reading of the page or of the selection. The ExtractReply fields travel to the background
 * (snapshotReply); the rest stays in the content script.
 */
export interface Snapshot extends ExtractReply {
  /** the text-node map of `text`, in text order; replaced when the page is re-read before marking */
  segments: readonly TextSegment[];
  /** the text-node state of the DOM the segments were read in (see domState) */
  domState: number;
  readonly doc: Document;
  /** selection scope: the selected ranges, as anchors that stay valid while answers are marked and cleared */
  readonly bounds?: readonly RangeBounds[];
}

function newSnapshotId(): string {
  // crypto.randomUUID needs a secure context; plain http pages are not one
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A snapshot of what a read built, with a fresh id. */
export function newSnapshot(doc: Document, scope: Scope, read: BuiltText, reading: Reading, bounds?: RangeBounds[]): Snapshot {
  return {
    snapshotId: newSnapshotId(),
    scope,
    reading,
    text: read.text,
    passages: read.passages,
    title: (doc.title ?? '').trim(),
    url: doc.URL,
    segments: read.segments,
    domState: domState(),
    doc,
    ...(read.partial ? { partial: read.partial } : {}),
    ...(bounds ? { bounds } : {}),
  };
}

/** The public part of a snapshot, for the message channel (the node map cannot travel). */
export function snapshotReply(s: Snapshot): ExtractReply {
  return { snapshotId: s.snapshotId, scope: s.scope, reading: s.reading, text: s.text, passages: s.passages, title: s.title, url: s.url, ...(s.partial ? { partial: s.partial } : {}) };
}
