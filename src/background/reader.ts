// "Open in Lens reader": the tab showing a PDF in the browser's viewer navigates to the reader page, which
// fetches the PDF from the tab's address after this click (the back button returns to the browser's viewer).
import browser from 'webextension-polyfill';
import type { OpenReaderRequest } from '../shared/protocol.js';
import { isReaderUrl, readerUrlFor, showsPdf } from './pdf-tab.js';

export async function openReader(req: OpenReaderRequest): Promise<{ url: string }> {
  const tab = await browser.tabs.get(req.tabId).catch(() => undefined);
  if (!tab?.url) throw new Error('that tab is gone');
  const base = browser.runtime.getURL('');
  if (isReaderUrl(tab.url, base)) return { url: tab.url };
  if (!(await showsPdf(tab.url))) throw new Error('this tab does not show a PDF');
  // A file:// PDF the reader may not fetch (Firefox; Chrome without file access) opens the reader with a file
  // chooser, named after the file, instead.
  const url = readerUrlFor(base, tab.url);
  await browser.tabs.update(req.tabId, { url });
  return { url };
}
