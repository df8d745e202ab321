// Reaching a tab's content script: which pages Lens may read, and injecting the script into tabs that were
// open before the extension was installed (the manifest's content scripts only reach new page loads).
import browser from 'webextension-polyfill';
import { sendToContent } from '../shared/messaging.js';
import type { ContentReplies, ContentRequest, TabInfoReply } from '../shared/protocol.js';
import { RESTRICTED_MESSAGE, restrictedReason } from './restricted.js';

async function injectContentScript(tabId: number): Promise<void> {
  const files = browser.runtime.getManifest().content_scripts?.flatMap((c) => c.js ?? []) ?? [];
  await browser.scripting.executeScript({ target: { tabId }, files });
}

/** Sends to the tab's content script, injecting it once if it is not there yet. */
export async function askContent<R extends ContentRequest>(tabId: number, request: R): Promise<ContentReplies[R['type']]> {
  const tab = await browser.tabs.get(tabId).catch(() => undefined);
  if (!tab) throw new Error('that tab is gone');
  const reason = restrictedReason(tab.url);
  if (reason) throw new Error(reason);
  try {
    return await sendToContent(tabId, request);
  } catch (err) {
    if (!isNoReceiver(err)) throw err;
  }
  try {
    await injectContentScript(tabId);
  } catch {
    // e.g. the PDF viewer or a page the browser protects: scripting is refused there
    throw new Error(RESTRICTED_MESSAGE);
  }
  // A page still loading may get the manifest's copy at the same moment (the second copy stands down), so the
  // listener can come a little after executeScript resolves.
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendToContent(tabId, request);
    } catch (err) {
      if (!isNoReceiver(err)) throw err;
      if (attempt >= CONTENT_READY_TRIES) throw new Error(RESTRICTED_MESSAGE);
      await new Promise((resolve) => setTimeout(resolve, CONTENT_READY_DELAY_MS));
    }
  }
}

/** How long to wait for an injected content script's listener: 20 x 100 ms. */
const CONTENT_READY_TRIES = 20;
const CONTENT_READY_DELAY_MS = 100;

function isNoReceiver(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /receiving end does not exist|could not establish connection|no reply to/i.test(message);
}

export async function tabInfo(tabId: number): Promise<TabInfoReply> {
  const tab = await browser.tabs.get(tabId).catch(() => undefined);
  if (!tab) throw new Error('that tab is gone');
  const title = tab.title ?? '';
  const url = tab.url ?? '';
  try {
    const info = await askContent(tabId, { type: 'content/selection-info' });
    return { readable: true, title: info.title || title, url, selectionLength: info.selectionLength };
  } catch (err) {
    return { readable: false, reason: err instanceof Error ? err.message : String(err), title, url, selectionLength: 0 };
  }
}
