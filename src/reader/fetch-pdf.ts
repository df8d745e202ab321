// The PDF's bytes, fetched from its address after the user asked for the reader: kept in memory only (no HTTP
// cache entry, nothing stored), and fetched afresh on every open or reload, so a PDF that changed under the
// same address is read anew.

/** At most this many bytes (a PDF larger than this is refused rather than exhausting memory). */
export const MAX_PDF_BYTES = 512 * 1024 * 1024;

export type FetchProgress = (loaded: number, total: number | undefined) => void;

export async function fetchPdf(url: string, onProgress: FetchProgress): Promise<Uint8Array<ArrayBuffer>> {
  if (url.startsWith('file:')) return readFileUrl(url);
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store', credentials: 'include' });
  } catch (err) {
    throw new Error(`Could not fetch the PDF (${err instanceof Error ? err.message : String(err)}). Check your connection and try Reload.`);
  }
  if (!response.ok) throw new Error(`Could not fetch the PDF: the server answered ${response.status} ${response.statusText}`.trim());
  const total = Number(response.headers.get('content-length')) || undefined;
  if (total !== undefined && total > MAX_PDF_BYTES) throw new Error(tooLarge(total));
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.length;
    if (loaded > MAX_PDF_BYTES) {
      await reader.cancel();
      throw new Error(tooLarge(loaded));
    }
    chunks.push(value);
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

const tooLarge = (bytes: number) => `This PDF is too large for the reader (${Math.round(bytes / 1024 / 1024)} MB; ${MAX_PDF_BYTES / 1024 / 1024} MB at most).`;

/** Chrome lets an extension with file access read file:// URLs through XMLHttpRequest (fetch refuses the scheme). */
function readFileUrl(url: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.responseType = 'arraybuffer';
    xhr.onload = () => (xhr.response instanceof ArrayBuffer && xhr.response.byteLength > 0 ? resolve(new Uint8Array(xhr.response)) : reject(new Error(FILE_REFUSED)));
    xhr.onerror = () => reject(new Error(FILE_REFUSED));
    xhr.send();
  });
}

export const FILE_REFUSED = 'The browser did not let Lens read this file from your disk. Choose it with “Open a PDF file…” instead.';

/** A short fingerprint of the bytes: a reading is the same document's while this holds. */
export async function fingerprint(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
