// Reading the selection: the text of every range the user selected, kept as anchors (anchors.ts) so the same
// selection can be read again after answers were marked in it. A user who selects text gets it read even where page
// reading would skip it as chrome or aria-hidden; what is not seen at all is still left out (visibility.ts).
import type { Reading } from '../shared/protocol.js';
import { boundsOf, rangeOf } from './anchors.js';
import { newSnapshot, type Snapshot } from './snapshot.js';
import { readRanges } from './walk.js';

/** What the popup says was read (after "Read: "). */
const READ_SELECTION: Reading = { kind: 'selection', note: 'your selection' };

/** The selected text (every range of the selection); undefined when nothing readable is selected. */
export function extractSelection(sel: Selection | null): Snapshot | undefined {
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return undefined;
  const ranges: Range[] = [];
  for (let i = 0; i < sel.rangeCount; i++) {
    const r = sel.getRangeAt(i);
    if (!r.collapsed) ranges.push(r);
  }
  if (ranges.length === 0) return undefined;
  const doc = ranges[0].startContainer.ownerDocument ?? (ranges[0].startContainer as Document);
  const bounds = ranges.map(boundsOf);
  const result = readRanges(ranges);
  if (!result.text.trim()) return undefined;
  return newSnapshot(doc, 'selection', result, READ_SELECTION, bounds);
}

/** Reads a selection snapshot's ranges again, by their anchors; undefined when the selection is gone. */
export function extractSelectionAgain(previous: Snapshot): Snapshot | undefined {
  const ranges: Range[] = [];
  for (const b of previous.bounds ?? []) {
    const r = rangeOf(previous.doc, b);
    if (!r) return undefined;
    ranges.push(r);
  }
  if (ranges.length === 0) return undefined;
  return newSnapshot(previous.doc, 'selection', readRanges(ranges), READ_SELECTION, [...(previous.bounds ?? [])]);
}
