// The extraction development set (../shared/data/extraction-dev: 151 real English pages from trafilatura's
// evaluation, each with `with` snippets that must be read and `without` snippets of boilerplate that must not):
// its cases, a server that opens the saved pages as from disk (scripts off, nothing fetched from outside), and
// trafilatura's snippet scoring.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { SHARED_DATA } from '../../helpers/shared-data.js';

export const DEV_SET_DIR = join(SHARED_DATA, 'extraction-dev');
const CASES_FILE = join(DEV_SET_DIR, 'cases.json');
const PAGES_DIR = join(DEV_SET_DIR, 'pages');

/** Why the dev-set tests cannot run here, or false when they can. */
export function devSetUnavailable(): string | false {
  if (!existsSync(CASES_FILE) || !existsSync(PAGES_DIR)) return `skipped: ${DEV_SET_DIR} (cases.json and pages/) not found (reference data)`;
  return false;
}

export interface DevCase {
  /** where the page was saved from (never fetched) */
  url: string;
  /** relative to DEV_SET_DIR, e.g. pages/abc7news.com-Napa.html */
  file: string;
  /** snippets of the main text: must be read */
  with: string[];
  /** snippets of boilerplate on the same page: must not be read */
  without: string[];
}

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string' && s.trim() !== '');

export function loadDevCases(): DevCase[] {
  const data: unknown = JSON.parse(readFileSync(CASES_FILE, 'utf8'));
  const list = (data as { cases?: unknown } | null)?.cases;
  if (!Array.isArray(list)) throw new Error(`${CASES_FILE}: no "cases" array`);
  return list.map((raw: unknown, i) => {
    const c = raw as Partial<Record<keyof DevCase, unknown>> | null;
    if (typeof c?.url !== 'string' || typeof c.file !== 'string' || !isStrings(c.with) || !isStrings(c.without)) {
      throw new Error(`${CASES_FILE}: case ${i} is not { url, file, with: string[], without: string[] }`);
    }
    return { url: c.url, file: c.file, with: c.with, without: c.without };
  });
}

/**
 * The saved pages as they would be opened from disk with scripts off: script-src 'none' (content scripts of
 * extensions are exempt from a page's CSP) and every fetch limited to this server (which has only the pages,
 * so a page's stylesheets and images 404; a <base href> to the original site is ignored).
 */
const CSP = [
  "default-src 'self' data:",
  "script-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The page's charset as a browser would take it from the file: a byte-order mark, else a <meta charset> or
 * <meta http-equiv content-type> in the first 1024 bytes; without either, UTF-8 when the bytes are valid UTF-8
 * (what a saved page almost always is; the browser's own fallback, windows-1252, would garble it), else
 * windows-1252.
 */
export function detectCharset(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const meta = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head);
  if (meta) return meta[1].toLowerCase();
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

export interface DevSetServer {
  /** the page of a case on this server (http://127.0.0.1:PORT/pages/...) */
  url(c: DevCase): string;
  close(): Promise<void>;
}

/** Serves DEV_SET_DIR/pages/* on 127.0.0.1 (anything else: 404), with the CSP above. */
export async function startDevSetServer(): Promise<DevSetServer> {
  const root = resolve(PAGES_DIR);
  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return send(res, 400, 'text/plain', 'bad path');
    }
    const file = path.startsWith('/pages/') ? resolve(root, path.slice('/pages/'.length)) : '';
    if (!file.startsWith(root + sep) || !file.endsWith('.html')) return send(res, 404, 'text/plain', 'not found');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return send(res, 404, 'text/plain', 'not found');
    }
    return send(res, 200, `text/html; charset=${detectCharset(bytes)}`, bytes);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (c) => `${origin}/${c.file.split('/').map(encodeURIComponent).join('/')}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * Text prepared for snippet matching, the same on both sides. Trafilatura collapses whitespace runs to one space
 * and tests substrings (tests/eval_common.py `norm`); besides that, both sides are NFKC-folded (ligatures, full-
 * width forms, no-break spaces), lowercased (CSS text-transform changes what a browser reads, not what the
 * annotator copied), curly quotes and primes made straight, and soft hyphens and zero-width characters dropped
 * (invisible, present in one side's copy and not the other's).
 */
export function normaliseForMatch(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[\u2018\u2019\u201a\u201b\u2032\u0060\u00b4]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g, '"')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Trafilatura's per-page counts: each `with` snippet found in the text read is a true positive (else a false
 * negative, listed in `missed`), each `without` found a false positive (listed in `leaked`, else a true negative).
 */
export function scoreSnippets(text: string, c: DevCase): { tp: number; fn: number; fp: number; tn: number; missed: string[]; leaked: string[] } {
  const read = normaliseForMatch(text);
  const found = (s: string) => read.includes(normaliseForMatch(s));
  const missed = c.with.filter((s) => !found(s));
  const leaked = c.without.filter(found);
  return { tp: c.with.length - missed.length, fn: missed.length, fp: leaked.length, tn: c.without.length - leaked.length, missed, leaked };
}

/** Precision, recall and F1 of pooled counts (0 where a denominator is empty, as trafilatura does). */
export function prf(totals: { tp: number; fn: number; fp: number }): { precision: number; recall: number; f1: number } {
  const { tp, fn, fp } = totals;
  return {
    precision: tp + fp ? tp / (tp + fp) : 0,
    recall: tp + fn ? tp / (tp + fn) : 0,
    f1: 2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : 0,
  };
}
