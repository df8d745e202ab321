// The per-tab question history (./history.ts) in the browser: kept in storage.session, recorded when a qa/ask is
// answered, and checked against the tab when it is asked for. A tab that shows another URL now (a #hash change
// aside) has its history cleared then, and recording one prunes the histories of tabs closed since. There is
// deliberately no tabs.onUpdated / onRemoved listener here: Chrome would wake the service worker (and Firefox
// the event page) for every page load in every tab just to find most of them have no history. The side panel,
// which is open anyway, follows its tab's navigations and asks again (src/popup/follow.ts). Each change is
// broadcast as event/history-changed, so an open side panel or popup shows it.
import browser from 'webextension-polyfill';
import type { AskReply, AskRequest, HistoryChangedEvent, HistoryListReply } from '../shared/protocol.js';
import { HistoryStore } from './history.js';

function announce(tabId: number): void {
  const event: HistoryChangedEvent = { type: 'event/history-changed', tabId };
  // nobody listening (no panel or popup open) is normal
  browser.runtime.sendMessage(event).catch(() => undefined);
}

const store = new HistoryStore(browser.storage.session, { notify: announce });

/** The URL a tab shows now; undefined for a page the extension may not see, null when the tab is gone. */
async function urlOf(tabId: number): Promise<string | undefined | null> {
  const tab = await browser.tabs.get(tabId).catch(() => undefined);
  return tab ? tab.url : null;
}

/** Records an answered question in its tab's history (best effort: the answer stands either way). */
export async function recordAnswer(req: AskRequest, reply: AskReply): Promise<void> {
  try {
    const url = await urlOf(req.tabId);
    if (url === null) return;
    await store.record(req.tabId, url ?? '', req, reply);
    const open = await browser.tabs.query({});
    await store.prune(new Set(open.flatMap((t) => (t.id !== undefined ? [t.id] : []))));
  } catch (err) {
    console.warn('Lens: could not record the question in the tab history', err);
  }
}

/** The tab's history, cleared first when the tab has gone to another document or closed. */
export async function listHistory(tabId: number): Promise<HistoryListReply> {
  const url = await urlOf(tabId);
  if (url === null) {
    await store.removed(tabId);
    return { tabId, entries: [] };
  }
  return { tabId, entries: await store.list(tabId, url) };
}
