// Telling a PDF tab from a page (the browsers' PDF viewers cannot be driven headless, so the detection is tested
// here, by URL and by the Content-Type a real local server sends), the reader's addresses, page numbers and find.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { FILE_ACCESS_MESSAGE, FIREFOX_FILE_MESSAGE, isPdfContentType, isPdfUrl, isReaderUrl, pdfTabInfo, pdfUrlOfReader, readerUrlFor, showsPdf } from '../src/background/pdf-tab.js';
import { findAll, MAX_MATCHES } from '../src/reader/find.js';
import { pageAt } from '../src/shared/pages.js';

const BASE = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/';

test('a PDF by its address: http(s) and file paths ending in .pdf, any case, query and hash aside', () => {
  for (const url of ['https://arxiv.org/pdf/2004.02984v2.pdf', 'http://127.0.0.1:8000/docs/Report.PDF?download=1', 'file:///home/me/paper.pdf', 'https://x.org/a.pdf#page=3']) assert.equal(isPdfUrl(url), true, url);
  for (const url of ['https://arxiv.org/abs/2004.02984', 'https://x.org/pdf', 'https://x.org/a.pdf.html', 'ftp://x.org/a.pdf', 'chrome://pdf/a.pdf', 'not a url', undefined]) assert.equal(isPdfUrl(url), false, String(url));
});

test('a PDF by its Content-Type, parameters and case aside', () => {
  for (const type of ['application/pdf', 'Application/PDF; charset=binary', 'application/x-pdf']) assert.equal(isPdfContentType(type), true, type);
  for (const type of ['text/html', 'application/octet-stream', '', null, undefined]) assert.equal(isPdfContentType(type), false, String(type));
});

test('the reader page carries the PDF address, and only its own pages are taken for the reader', () => {
  const pdf = 'https://example.org/a b/report.pdf?x=1&y=2';
  const reader = readerUrlFor(BASE, pdf);
  assert.ok(reader.startsWith(`${BASE}src/reader/reader.html?url=`));
  assert.equal(isReaderUrl(reader, BASE), true);
  assert.equal(pdfUrlOfReader(reader, BASE), pdf);
  assert.equal(isReaderUrl(reader, 'chrome-extension://otherextensionidotherextensionid/'), false);
  assert.equal(pdfUrlOfReader(`${BASE}src/popup/popup.html?url=x`, BASE), undefined);
  assert.equal(isReaderUrl(undefined, BASE), false);
});

test('what the popup offers: web PDFs open; disk PDFs need Chrome with file access', () => {
  assert.deepEqual(pdfTabInfo('https://x.org/a.pdf', 'firefox', false), { url: 'https://x.org/a.pdf', openable: true });
  assert.deepEqual(pdfTabInfo('file:///a.pdf', 'chrome', true), { url: 'file:///a.pdf', openable: true });
  assert.deepEqual(pdfTabInfo('file:///a.pdf', 'chrome', false), { url: 'file:///a.pdf', openable: false, reason: FILE_ACCESS_MESSAGE });
  assert.deepEqual(pdfTabInfo('file:///a.pdf', 'firefox', true), { url: 'file:///a.pdf', openable: false, reason: FIREFOX_FILE_MESSAGE });
});

test('a PDF behind an address without .pdf is found by a HEAD request (and only a HEAD request)', async () => {
  const methods: string[] = [];
  const server = createServer((req, res) => {
    methods.push(req.method ?? '');
    if (req.url === '/slow') return void setTimeout(() => res.end(), 2000);
    const type = req.url === '/report' ? 'application/pdf' : 'text/html; charset=utf-8';
    res.writeHead(req.url === '/gone' ? 404 : 200, { 'Content-Type': type });
    res.end(req.method === 'HEAD' ? undefined : 'body');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.equal(await showsPdf(`${origin}/report`), true);
    assert.equal(await showsPdf(`${origin}/article`), false);
    assert.equal(await showsPdf(`${origin}/gone`), false);
    assert.equal(await showsPdf(`${origin}/slow`, 200), false, 'a server that does not answer in time is not a PDF');
    assert.ok(methods.every((m) => m === 'HEAD'), `only HEAD requests (${methods.join(', ')})`);
    const before = methods.length;
    assert.equal(await showsPdf(`${origin}/named.pdf`), true);
    assert.equal(await showsPdf('chrome://settings'), false);
    assert.equal(methods.length, before, 'no request for an address that already says');
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});

test('pageAt: the page an offset of the text is on', () => {
  const starts = [0, 0, 120, 400, 400, 900];
  assert.equal(pageAt(starts, 0), 1, 'an empty first page gives way to the next one starting at the same offset');
  assert.equal(pageAt(starts, 119), 1);
  assert.equal(pageAt(starts, 120), 2);
  assert.equal(pageAt(starts, 399), 2);
  assert.equal(pageAt(starts, 400), 4);
  assert.equal(pageAt(starts, 5000), 5);
  assert.equal(pageAt([], 10), 0);
});

test('find in the PDF: case and spacing aside, regex characters taken literally, bounded', () => {
  const text = 'The Varn lighthouse\nwas built. THE varn   LIGHTHOUSE again (1847)? a.b';
  assert.deepEqual(findAll(text, 'varn lighthouse'), [{ start: 4, end: 19 }, { start: 35, end: 52 }]);
  assert.deepEqual(findAll(text, '  (1847)?  '), [{ start: 59, end: 66 }]);
  assert.deepEqual(findAll(text, 'a.b').length, 1, 'a dot matches a dot only');
  assert.deepEqual(findAll(text, '   '), []);
  assert.equal(findAll('ab '.repeat(5000), 'ab').length, MAX_MATCHES);
});
