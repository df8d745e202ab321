// The content script: reads the page (or the selection) and marks answers in it, on the background's request.
// No model logic here. Replies travel in the Reply envelope; requests from anything but this extension are ignored.
// The script listens to nothing the page can send: no window `message` or DOM event listeners, only
// runtime.onMessage from this extension (the page's postMessage and CustomEvents never reach it), and it runs in
// the isolated world, so the page's overrides of DOM or built-in prototypes do not change what it reads.
import browser, { type Runtime } from 'webextension-polyfill';
import { toReply } from '../shared/messaging.js';
import { isContentRequest, type ContentReplies, type ContentRequest, type Reply, type Scope } from '../shared/protocol.js';
import { showCard } from './card.js';
import { extractPage } from './extract.js';
import { extractSelection } from './selection.js';
import { snapshotReply, type Snapshot } from './snapshot.js';
import { domState } from './text-map.js';
import { clearHighlights, currentMarks, highlight } from './highlight.js';
import { noteReading, touchedSince, watchRoot } from './watch.js';

export const NOTHING_SELECTED = 'nothing is selected on this page';
export const UNKNOWN_SNAPSHOT = 'this answer belongs to an earlier reading of the page; ask again';

/** The latest reading per scope: answers refer to it by snapshotId. */
const snapshots = new Map<Scope, Snapshot>();

/**
 * The last page reading, when it still is the page's: no change touched its text (watch.ts), and its text-node map
 * fits the DOM as it is now (no marks since, or marks cleared exactly).
 */
function currentPageReading(): Snapshot | undefined {
  const last = snapshots.get('page');
  return last && last.domState === domState() && !touchedSince(last) ? last : undefined;
}

/** Reads the page or the selection and keeps the reading as the scope's latest. */
function read(scope: Scope): Snapshot {
  const snap = scope === 'page' ? extractPage(document) : extractSelection(document.getSelection());
  if (!snap) throw new Error(NOTHING_SELECTED);
  // from now on the page's changes are judged against this reading's text nodes
  watchRoot(document);
  noteReading(snap);
  snapshots.set(scope, snap);
  return snap;
}

type Handlers = { [K in ContentRequest['type']]: (req: Extract<ContentRequest, { type: K }>) => ContentReplies[K] };

const handlers: Handlers = {
  'content/extract': (req) => {
    if (req.scope !== 'page' && req.scope !== 'selection') throw new Error(`unknown scope: ${String(req.scope)}`);
    // a new question: the last answer's marks go, and the page is read with its own text nodes (so the
    // answer to this reading can be marked without reading the page again)
    clearHighlights(document);
    // a follow-up question about an unchanged page reuses its reading (same snapshotId, text and offsets); a
    // selection is always read as it is now
    const reused = req.scope === 'page' ? currentPageReading() : undefined;
    if (reused) return { ...snapshotReply(reused), reused: true };
    return { ...snapshotReply(read(req.scope)), reused: false };
  },
  'content/prepare': () => {
    // the popup opened: the page is read now, so the first question finds its reading
    if (currentPageReading()) return { reading: 'reused' };
    if (currentMarks().length > 0) {
      // the marks of the last answer stay until the next question; a reading taken with them in the page would
      // not fit once they are cleared (clearing puts back the text nodes the last reading mapped)
      const last = snapshots.get('page');
      return { reading: last && !touchedSince(last) ? 'reused' : 'skipped' };
    }
    read('page');
    return { reading: 'read' };
  },
  'content/highlight': (req) => {
    const snap = [...snapshots.values()].find((s) => s.snapshotId === req.snapshotId);
    if (!snap) throw new Error(UNKNOWN_SNAPSHOT);
    return { text: highlight(snap, req.start, req.end, req.scroll === true) };
  },
  'content/clear': () => ({ cleared: clearHighlights(document) }),
  'content/selection-info': () => ({
    selectionLength: extractSelection(document.getSelection())?.text.length ?? 0,
    title: document.title.trim(),
    url: location.href,
    contentType: document.contentType,
  }),
  'content/show-card': (req) => {
    const result = req.result as unknown;
    if (typeof req.title !== 'string' || typeof req.text !== 'string' || typeof result !== 'object' || result === null) {
      throw new Error('show-card needs a title, a text and a result');
    }
    if ('scores' in result && !Array.isArray(result.scores)) throw new Error('show-card: scores must be a list');
    showCard(req);
    return { shown: true };
  },
};

function handle(req: ContentRequest): unknown {
  const handler = (handlers as Record<string, ((r: ContentRequest) => unknown) | undefined>)[req.type];
  if (!handler) throw new Error(`unknown request: ${req.type}`);
  return handler(req);
}

function onMessage(msg: unknown, sender: Runtime.MessageSender): Promise<Reply<unknown>> | undefined {
  if (!isContentRequest(msg) || sender.id !== browser.runtime.id) return undefined;
  return toReply(async () => handle(msg));
}

// The background injects this script into tabs opened before the extension was installed; a second copy
// in the same page (and isolated world) must not answer twice.
const LOADED = Symbol.for('mobilebert-lens.content-script');
const flags = window as unknown as Record<symbol, boolean | undefined>;
if (!flags[LOADED]) {
  flags[LOADED] = true;
  browser.runtime.onMessage.addListener(onMessage);
}
