// The background's cap on page text (src/shared/read-limit.ts): whatever a content script sends, at most
// MAX_READ_CHARS reach the index, passages cut with the text; and the words the popup shows for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_READ_CHARS, type ExtractReply } from '../src/shared/protocol.js';
import { capPage, charCount, partialReadText } from '../src/shared/read-limit.js';

function page(text: string, lineLength: number): ExtractReply {
  const passages = [];
  for (let at = 0; at < text.length; at += lineLength + 1) passages.push({ start: at, end: Math.min(text.length, at + lineLength) });
  return { snapshotId: 's', scope: 'page', reading: { kind: 'main', note: 'the main article' }, text, passages, title: '', url: 'http://x/' };
}

test('a page within the cap is passed on unchanged', () => {
  const p = page('a'.repeat(99) + '\n' + 'b'.repeat(50), 99);
  assert.equal(capPage(p, 1000), p);
});

test('a longer page is cut at the cap, its passages with it, and marked partial', () => {
  const text = Array.from({ length: 30 }, (_, i) => String(i % 10).repeat(99)).join('\n'); // 30 lines of 99 + 29 newlines
  const capped = capPage(page(text, 99), 1234);
  assert.equal(capped.text.length, 1234);
  assert.equal(capped.text, text.slice(0, 1234));
  assert.ok(capped.passages.every((p) => p.start < p.end && p.end <= 1234));
  assert.equal(capped.passages.at(-1)?.end, 1234, 'the passage across the cap is cut at it');
  assert.deepEqual(capped.partial, { read: 1234, total: text.length });
  // a content script's own estimate of the whole page is kept when larger
  assert.deepEqual(capPage({ ...page(text, 99), partial: { read: text.length, total: 10_000_000 } }, 1234).partial, { read: 1234, total: 10_000_000 });
  assert.equal(capPage(page('x'.repeat(MAX_READ_CHARS + 10), 100)).text.length, MAX_READ_CHARS);
});

test('the popup says how much was read in plain words', () => {
  assert.equal(partialReadText({ read: 1_000_000, total: 10_234_567 }), 'Read the first 1.0 million of about 10.2 million characters');
  assert.equal(charCount(54_321), '54,321');
});
