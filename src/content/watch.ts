// Which changes the page made to itself since a reading. A snapshot's text-node map is trusted only while the
// page has not changed the DOM since it was read (any childList, text or visibility-attribute change counts,
// in the document, its same-origin frames and the shadow roots the walker entered); otherwise the page is read
// again. The extension's own DOM changes (marks, their styles, opened <details>) are not page changes: the
// code that makes them runs inside ownChange(), which takes their records out of the queue.
// A MutationObserver in the content script sees the page's changes whatever the page does to its own globals:
// the observer, like the rest of this script, lives in the extension's isolated world.

const OPTIONS: MutationObserverInit = {
  subtree: true,
  childList: true,
  characterData: true,
  attributes: true,
  // attributes that show, hide or move text (a class or style change can hide a block)
  attributeFilter: ['class', 'style', 'hidden', 'aria-hidden', 'open', 'slot', 'dir', 'inert', 'contenteditable'],
};

let changes = 0;
const observed = new WeakSet<Node>();
const readAt = new WeakMap<object, number>();
let listener: ((records: readonly MutationRecord[]) => void) | undefined;

const observer = new MutationObserver((records) => pageChanged(records));

function pageChanged(records: readonly MutationRecord[]): void {
  if (records.length === 0) return;
  changes++;
  listener?.(records);
}

/** Watches a document, a same-origin frame's document or a shadow root for the page's own changes. */
export function watchRoot(root: Document | ShadowRoot): void {
  if (observed.has(root)) return;
  observed.add(root);
  try {
    observer.observe(root, OPTIONS);
  } catch {
    // a root that cannot be observed (a document being torn down): its snapshots are re-read before marking
  }
}

/** Delivers the page's pending changes now (the observer's callback otherwise runs after this task). */
export function flushChanges(): number {
  pageChanged(observer.takeRecords());
  return changes;
}

/** Runs the extension's own DOM changes: the page's pending changes are counted first, then fn's records dropped. */
export function ownChange<T>(fn: () => T): T {
  flushChanges();
  try {
    return fn();
  } finally {
    observer.takeRecords();
  }
}

/** Records that `reading` (a snapshot) matches the page as it is now. */
export function noteReading(reading: object): void {
  readAt.set(reading, flushChanges());
}

/** Whether the page changed since `reading` was noted (or it never was). */
export function changedSince(reading: object): boolean {
  const at = readAt.get(reading);
  return at === undefined || flushChanges() !== at;
}

/** Called with each batch of page changes (highlight.ts: drop marks whose text changed). */
export function onPageChange(fn: ((records: readonly MutationRecord[]) => void) | undefined): void {
  listener = fn;
}
