// Reaching a tab's content script: which pages Lens may read, and injecting the script into tabs that were
// open before the extension was installed (the manifest's content scripts only reach new page loads). A tab
// showing the Lens reader (a PDF) has no content script: its reader page answers the same requests.
import browser from 'webextension-polyfill';
import { sendToContent, unwrapReply } from '../shared/messaging.js';
import type { ContentReplies, ContentRequest, PdfTabInfo, ReaderContentRequest, TabInfoReply } from '../shared/protocol.js';
import { isPdfContentType, isReaderUrl, pdfTabInfo, pdfUrlOfReader, showsPdf } from './pdf-tab.js';
import { RESTRICTED_MESSAGE, restrictedReason } from './restricted.js';

const extensionBase = () => browser.runtime.getURL('');

/** A tab showing the Lens reader: its reader page, addressed by tab id, answers (retrying while it loads). */
async function askReader<R extends ContentRequest>(tabId: number, request: R): Promise<ContentReplies[R['type']]> {
  const message: ReaderContentRequest = { type: 'reader/content', tabId, request };
  for (let attempt = 0; ; attempt++) {
    // undefined: no reader page answered (still loading); a rejection: no extension page is listening at all
    const reply: unknown = await browser.runtime.sendMessage(message).catch(() => undefined);
    if (reply !== undefined) return unwrapReply(reply, request.type);
    if (attempt >= READER_READY_TRIES) throw new Error('the Lens reader in this tab is not answering; reload it and try again');
    await new Promise((resolve) => setTimeout(resolve, CONTENT_READY_DELAY_MS));
  }
}

/** How long to wait for a reader page that is still loading: 50 x 100 ms. */
const READER_READY_TRIES = 50;

async function injectContentScript(tabId: number): Promise<void> {
  const files = browser.runtime.getManifest().content_scripts?.flatMap((c) => c.js ?? []) ?? [];
  await browser.scripting.executeScript({ target: { tabId }, files });
}

/** Sends to the tab's content script, injecting it once if it is not there yet. */
export async function askContent<R extends ContentRequest>(tabId: number, request: R): Promise<ContentReplies[R['type']]> {
  const tab = await browser.tabs.get(tabId).catch(() => undefined);
  if (!tab) throw new Error('that tab is gone');
  if (isReaderUrl(tab.url, extensionBase())) return askReader(tabId, request);
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
  const reader = pdfUrlOfReader(url, extensionBase());
  try {
    const info = await askContent(tabId, { type: 'content/selection-info' });
    // Chrome may let the content script into the PDF viewer's shell page, which has no text to read
    if (reader === undefined && isPdfContentType(info.contentType)) return { readable: false, reason: PDF_TAB_MESSAGE, title, url, selectionLength: 0, pdf: await pdfOf(url) };
    return { readable: true, title: info.title || title, url: reader ?? url, selectionLength: info.selectionLength };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const pdf = reader === undefined && (await showsPdf(url)) ? await pdfOf(url) : undefined;
    return { readable: false, reason: pdf ? PDF_TAB_MESSAGE : reason, title, url, selectionLength: 0, ...(pdf ? { pdf } : {}) };
  }
}

const PDF_TAB_MESSAGE = 'This tab shows a PDF.';

async function pdfOf(url: string): Promise<PdfTabInfo> {
  const fileAccess = __LENS_BROWSER__ === 'chrome' && url.startsWith('file:') ? await browser.extension.isAllowedFileSchemeAccess() : false;
  return pdfTabInfo(url, __LENS_BROWSER__, fileAccess);
}

