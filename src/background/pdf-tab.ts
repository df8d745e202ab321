// Which tabs show a PDF, and the Lens reader's address for one (pure: also unit-tested in Node). The browsers'
// own PDF viewers let no extension in, so Lens offers to open the PDF in its reader page (src/reader/) instead.
import type { PdfTabInfo } from '../shared/protocol.js';

/** The reader page, as the package has it (the same path as in the source tree). */
export const READER_PATH = 'src/reader/reader.html';

export const FILE_ACCESS_MESSAGE =
  "To read PDFs from your disk, Lens needs your permission: in chrome://extensions, open MobileBERT Lens › Details and turn on “Allow access to file URLs”. Or open the Lens reader and choose the file there.";
export const FIREFOX_FILE_MESSAGE = "Firefox doesn't let extensions read files from your disk: open the Lens reader and choose the file there.";

const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf', 'application/acrobat', 'text/pdf']);

/** A Content-Type header (parameters allowed) that says PDF. */
export function isPdfContentType(contentType: string | null | undefined): boolean {
  return PDF_TYPES.has((contentType ?? '').split(';')[0]!.trim().toLowerCase());
}

function parse(url: string | undefined): URL | undefined {
  try {
    return url ? new URL(url) : undefined;
  } catch {
    return undefined;
  }
}

/** An http(s) or file URL whose path names a .pdf file. */
export function isPdfUrl(url: string | undefined): boolean {
  const u = parse(url);
  return u !== undefined && ['http:', 'https:', 'file:'].includes(u.protocol) && /\.pdf$/i.test(u.pathname);
}

/** The reader page's URL for a PDF address, under the extension's base URL (runtime.getURL('')). */
export function readerUrlFor(extensionBase: string, pdfUrl: string): string {
  return `${extensionBase}${READER_PATH}?${new URLSearchParams({ url: pdfUrl })}`;
}

/** Whether a tab's URL is this extension's reader page. */
export function isReaderUrl(url: string | undefined, extensionBase: string): boolean {
  return url !== undefined && url.startsWith(`${extensionBase}${READER_PATH}`);
}

/** The PDF a reader page shows (its ?url=), if any. */
export function pdfUrlOfReader(url: string, extensionBase: string): string | undefined {
  if (!isReaderUrl(url, extensionBase)) return undefined;
  return parse(url)?.searchParams.get('url') ?? undefined;
}

/**
 * What the popup offers for a tab showing a PDF: the reader fetches http(s) PDFs itself; a file:// PDF only in
 * Chrome, and only when the user has allowed the extension file access.
 */
export function pdfTabInfo(url: string, browser: 'chrome' | 'firefox', fileAccess: boolean): PdfTabInfo {
  if (parse(url)?.protocol !== 'file:') return { url, openable: true };
  if (browser === 'firefox') return { url, openable: false, reason: FIREFOX_FILE_MESSAGE };
  return fileAccess ? { url, openable: true } : { url, openable: false, reason: FILE_ACCESS_MESSAGE };
}

/**
 * Whether a tab Lens could not read shows a PDF: by its URL, else (http/https) by the Content-Type a HEAD request
 * gets back. Nothing is downloaded; the request goes where the tab already went.
 */
export async function showsPdf(url: string, timeoutMs = HEAD_TIMEOUT_MS): Promise<boolean> {
  if (isPdfUrl(url)) return true;
  if (!/^https?:/i.test(url)) return false;
  try {
    const response = await fetch(url, { method: 'HEAD', credentials: 'include', signal: AbortSignal.timeout(timeoutMs) });
    return isPdfContentType(response.headers.get('content-type'));
  } catch {
    return false;
  }
}

const HEAD_TIMEOUT_MS = 3000;
