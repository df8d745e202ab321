// A content request to a tab's top frame in Chromium, sent from an extension page as the background sends it,
// retried while the tab's content script has not registered its listener yet (just after a page loads).
import type { Page } from 'playwright-core';
import type { ContentReplies, ContentRequest, Reply } from '../../../src/shared/protocol.js';
import type { LensChromium } from './chromium.js';
import type { ContentSession } from './session.js';

interface ChromeGlobal {
  chrome: { tabs: { sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown> } };
}

const tabIds = new WeakMap<Page, number>();

/** The raw reply (a Reply envelope, or whatever the script answers to a malformed message). */
export async function sendToContent(session: ContentSession<LensChromium>, page: Page, msg: unknown): Promise<unknown> {
  let tabId = tabIds.get(page);
  if (tabId === undefined) tabIds.set(page, (tabId = await session.browser.tabIdOf(page)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await session.extPage.evaluate(
        ([id, m]) => (globalThis as unknown as ChromeGlobal).chrome.tabs.sendMessage(id, m, { frameId: 0 }),
        [tabId, msg] as const,
      );
    } catch (err) {
      if (attempt > 50 || !/receiving end does not exist/i.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The reply's value; a reply that is an error fails with the request's type and the error. */
export async function contentValue<R extends ContentRequest>(session: ContentSession<LensChromium>, page: Page, req: R): Promise<ContentReplies[R['type']]> {
  const reply = (await sendToContent(session, page, req)) as Reply<ContentReplies[R['type']]>;
  if (!reply.ok) throw new Error(`${req.type} failed: ${reply.error}`);
  return reply.value;
}
