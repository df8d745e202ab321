// The content script: reads the page (or the selection) and marks answers in it, on the background's request.
// No model logic here. Replies travel in the Reply envelope; requests from anything but this extension are ignored.
// The script listens to nothing the page can send: no window `message` or DOM event listeners, only
// runtime.onMessage from this extension (the page's postMessage and CustomEvents never reach it), and it runs in
// the isolated world, so the page's overrides of DOM or built-in prototypes do not change what it reads.
import browser, { type Runtime } from 'webextension-polyfill';
import { toReply } from '../shared/messaging.js';
import { isContentRequest, type ContentReplies, type ContentRequest, type Reply, type Scope } from '../shared/protocol.js';
import { showCard } from './card.js';
import { extractPage, extractSelection, snapshotReply, type Snapshot } from './extract.js';
import { clearHighlights, highlight } from './highlight.js';
import { noteReading, watchRoot } from './watch.js';

export const NOTHING_SELECTED = 'nothing is selected on this page';
export const UNKNOWN_SNAPSHOT = 'this answer belongs to an earlier reading of the page; ask again';

/** The latest reading per scope: answers refer to it by snapshotId. */
const snapshots = new Map<Scope, Snapshot>();

type Handlers = { [K in ContentRequest['type']]: (req: Extract<ContentRequest, { type: K }>) => ContentReplies[K] };

const handlers: Handlers = {
  'content/extract': (req) => {
    if (req.scope !== 'page' && req.scope !== 'selection') throw new Error(`unknown scope: ${String(req.scope)}`);
    // a new question: the last answer's marks go, and the page is read with its own text nodes (so the
    // answer to this reading can be marked without reading the page again)
    clearHighlights(document);
    const snap = req.scope === 'page' ? extractPage(document) : extractSelection(document.getSelection());
    if (!snap) throw new Error(NOTHING_SELECTED);
    // from now on a change the page makes to itself means the snapshot's map must be checked by reading again
    watchRoot(document);
    noteReading(snap);
    snapshots.set(req.scope, snap);
    return snapshotReply(snap);
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
