// Pages where browsers do not let extensions run (pure: also unit-tested in Node).

export const RESTRICTED_MESSAGE =
  "Lens can't read this page. Browser pages, the extension store and the built-in PDF viewer don't let extensions in. Open a regular web page and try again.";

export const PDF_MESSAGE = "The browser's PDF viewer doesn't let extensions in: open this PDF in the Lens reader (Lens › Open in Lens reader) to ask about it.";

// Stores where browsers block extensions even with host permissions.
const STORE_HOSTS = ['chrome.google.com', 'chromewebstore.google.com', 'addons.mozilla.org', 'microsoftedge.microsoft.com'];

/** Why a URL cannot be read, or undefined when it may be. */
export function restrictedReason(url: string | undefined): string | undefined {
  if (!url) return RESTRICTED_MESSAGE;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return RESTRICTED_MESSAGE;
  }
  if (!['http:', 'https:', 'file:'].includes(parsed.protocol)) return RESTRICTED_MESSAGE;
  if (STORE_HOSTS.includes(parsed.hostname) && (parsed.hostname !== 'chrome.google.com' || parsed.pathname.startsWith('/webstore'))) return RESTRICTED_MESSAGE;
  // Chrome's and Firefox's PDF viewers do not expose the document's text to extensions
  if (/\.pdf$/i.test(parsed.pathname)) return PDF_MESSAGE;
  return undefined;
}
