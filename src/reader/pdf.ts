// pdf.js for the reader: its worker and data files come from the package (nothing remote: no CDN, no fonts from the
// web), a PDF is opened from bytes held in memory, and its text is read page by page with progress.
import { getDocument, GlobalWorkerOptions, PasswordResponses, type PDFDocumentProxy, type PDFPageProxy } from 'pdfjs-dist';
import type { TextContent, TextItem } from 'pdfjs-dist/types/src/display/api.js';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import browser from 'webextension-polyfill';
import type { PdfPageText } from './pdf-text.js';

GlobalWorkerOptions.workerSrc = workerUrl;

/** pdf.js's data files, copied into the package under pdfjs/ by the build (vite.config.ts). */
const asset = (dir: string) => browser.runtime.getURL(`pdfjs/${dir}/`);

export const NOT_A_PDF = "This file is not a PDF Lens can read: it is damaged, or not a PDF at all.";
export const SCANNED = 'This PDF has no text layer (it is scanned); Lens cannot read images.';

/** Asks the user for the password; `wrong` after a rejected one. Resolves with the next try. */
export type AskPassword = (wrong: boolean) => Promise<string>;

/** Opens a PDF from its bytes (pdf.js takes them over); a protected one asks for its password until it opens. */
export async function openPdf(bytes: Uint8Array, askPassword: AskPassword): Promise<PDFDocumentProxy> {
  const task = getDocument({
    data: bytes,
    cMapUrl: asset('cmaps'),
    cMapPacked: true,
    standardFontDataUrl: asset('standard_fonts'),
    wasmUrl: asset('wasm'),
    iccUrl: asset('iccs'),
    // the extension's CSP forbids eval: pdf.js then draws fonts without compiling glyph programs
    isEvalSupported: false,
    // no link to anything outside: the document's own fonts, else the packaged standard ones
    useSystemFonts: false,
    enableXfa: false,
  });
  task.onPassword = (update: (password: string) => void, reason: number) => {
    askPassword(reason === PasswordResponses.INCORRECT_PASSWORD).then(update, () => void task.destroy());
  };
  try {
    return await task.promise;
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'InvalidPDFException' || name === 'FormatError' || name === 'UnknownErrorException') throw new Error(NOT_A_PDF);
    throw err;
  }
}

export interface PdfPage {
  proxy: PDFPageProxy;
  /** the page's text items (those with text, in pdf.js's order: the text layer has one element per item) */
  text: PdfPageText;
  content: TextContent;
}

export async function readPage(doc: PDFDocumentProxy, pageNumber: number): Promise<PdfPage> {
  const proxy = await doc.getPage(pageNumber);
  const content = await proxy.getTextContent();
  const viewport = proxy.getViewport({ scale: 1 });
  const items = content.items.filter((item): item is TextItem => 'str' in item);
  // view: the unrotated page box, so rotated pages and boxes off the origin find their top and bottom edges
  return { proxy, content, text: { items, width: viewport.width, height: viewport.height, view: [...proxy.view] } };
}
