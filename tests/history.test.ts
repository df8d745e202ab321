// The per-tab question history (src/background/history.ts): what an answered question records, newest first and
// capped, kept across a #hash change and cleared once the tab shows another document (found when the history is
// asked for) or closed (told, or pruned when a later answer is recorded); the background's shape check for
// history/list and the event's check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HistoryStore, documentUrl, entryOf, historyHolds, historyKey, parseHistory, withEntry, type HistoryArea } from '../src/background/history.js';
import { HISTORY_PER_TAB, isBackgroundRequest, isHistoryChangedEvent, type AskReply, type HistoryEntry } from '../src/shared/protocol.js';

function reply(n: number, over: Partial<AskReply> = {}): AskReply {
  return {
    scope: 'page',
    snapshotId: `snap-${n}`,
    reading: { kind: 'main', note: 'the article' },
    answers: [
      { text: `answer ${n}`, start: n, end: n + 8, score: 0.75 },
      { text: `other ${n}`, start: n + 20, end: n + 27, score: 0.1, page: 2 },
    ],
    abstained: false,
    noAnswerScore: 0.05,
    windowsRead: 3,
    windowsTotal: 9,
    pageTokensRead: 300,
    pageTokens: 1200,
    highlighted: true,
    ms: 42,
    timeline: [{ name: 'worker:ask', at: 1 }],
    ...over,
  };
}

/** storage.session as a Map, with what was written, for the store. */
function memoryArea(): HistoryArea & { data: Map<string, unknown>; writes: number } {
  const data = new Map<string, unknown>();
  const area = {
    data,
    writes: 0,
    get: async (key: string | null) => (key === null ? Object.fromEntries([...data].map(([k, v]) => [k, structuredClone(v)])) : data.has(key) ? { [key]: structuredClone(data.get(key)) } : {}),
    set: async (items: Record<string, unknown>) => {
      area.writes++;
      // a tick, as the browser's storage takes one: interleavings would show
      await new Promise((r) => setTimeout(r, 1));
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v));
    },
    remove: async (key: string) => {
      data.delete(key);
    },
  };
  return area;
}

function makeStore(cap?: number) {
  const area = memoryArea();
  const notified: number[] = [];
  let clock = 1000;
  let ids = 0;
  const store = new HistoryStore(area, { notify: (tabId) => notified.push(tabId), now: () => clock++, newId: () => `e${++ids}`, cap });
  return { area, notified, store };
}

const URL_A = 'https://example.org/article?id=1';

test('documentUrl and historyHolds: the #hash alone does not make another document', () => {
  assert.equal(documentUrl('https://a.example/x?y=1#part-2'), 'https://a.example/x?y=1');
  assert.equal(documentUrl('https://a.example/x'), 'https://a.example/x');
  assert.ok(historyHolds(URL_A, `${URL_A}#section-3`));
  assert.ok(historyHolds(`${URL_A}#top`, URL_A));
  assert.ok(!historyHolds(URL_A, 'https://example.org/article?id=2'));
  assert.ok(!historyHolds(URL_A, 'https://example.org/article'));
  // a page the extension may not see (undefined URL) is another document, unless the history had no URL either
  assert.ok(!historyHolds(URL_A, undefined));
  assert.ok(historyHolds('', undefined));
});

test('entryOf keeps what the list and qa/highlight need: question, scope, answers with offsets and page, snapshot, time', () => {
  const entry = entryOf({ question: '  who planted them?  ', scope: 'page' }, reply(7), 1234, 'id-1');
  assert.deepEqual(entry, {
    id: 'id-1',
    question: 'who planted them?',
    scope: 'page',
    answers: [
      { text: 'answer 7', start: 7, end: 15, score: 0.75 },
      { text: 'other 7', start: 27, end: 34, score: 0.1, page: 2 },
    ],
    abstained: false,
    snapshotId: 'snap-7',
    at: 1234,
  });
  // no diagnostics stored
  assert.ok(!('timeline' in entry) && !('ms' in entry));
  const empty = entryOf({ question: 'q', scope: 'selection' }, reply(1, { answers: [], noText: true, scope: 'selection' }), 1, 'x');
  assert.equal(empty.noText, true);
  assert.equal(empty.scope, 'selection');
  assert.deepEqual(empty.answers, []);
});

test('withEntry: newest first, capped, and a history of another document starts over', () => {
  const e = (n: number): HistoryEntry => entryOf({ question: `q${n}`, scope: 'page' }, reply(n), n, `e${n}`);
  let h = withEntry(undefined, URL_A, e(1), 3);
  h = withEntry(h, URL_A, e(2), 3);
  h = withEntry(h, `${URL_A}#later`, e(3), 3);
  h = withEntry(h, URL_A, e(4), 3);
  assert.deepEqual(h.entries.map((x) => x.id), ['e4', 'e3', 'e2'], 'newest first, the oldest dropped past the cap');
  const other = withEntry(h, 'https://example.org/other', e(5), 3);
  assert.deepEqual(other.entries.map((x) => x.id), ['e5']);
  assert.equal(other.url, 'https://example.org/other');
});

test('parseHistory refuses what is not a history and drops malformed entries', () => {
  assert.equal(parseHistory(undefined), undefined);
  assert.equal(parseHistory({ url: 1, entries: [] }), undefined);
  assert.equal(parseHistory({ url: URL_A }), undefined);
  const good = entryOf({ question: 'q', scope: 'page' }, reply(1), 1, 'a');
  assert.deepEqual(parseHistory({ url: URL_A, entries: [good, { id: 3 }, null] })?.entries, [good]);
});

test('HistoryStore: records per tab, newest first, at most HISTORY_PER_TAB, and says which tab changed', async () => {
  const { store, notified, area } = makeStore();
  for (let i = 1; i <= HISTORY_PER_TAB + 5; i++) await store.record(1, URL_A, { question: `question ${i}`, scope: 'page' }, reply(i));
  await store.record(2, 'https://other.example/', { question: 'elsewhere', scope: 'page' }, reply(99));
  const one = await store.list(1, URL_A);
  assert.equal(one.length, HISTORY_PER_TAB);
  assert.equal(one[0].question, `question ${HISTORY_PER_TAB + 5}`, 'newest first');
  assert.equal(one.at(-1)?.question, 'question 6', 'the oldest went first');
  assert.ok(one.every((e, i) => i === 0 || e.at < one[i - 1].at));
  assert.deepEqual((await store.list(2, 'https://other.example/')).map((e) => e.question), ['elsewhere'], 'tabs have histories of their own');
  assert.deepEqual(await store.list(3, 'https://nothing.example/'), []);
  assert.equal(notified.length, HISTORY_PER_TAB + 6);
  assert.ok(area.data.has(historyKey(1)) && area.data.has(historyKey(2)));
});

test('HistoryStore: answers finishing together are all recorded (operations run one after another)', async () => {
  const { store } = makeStore();
  await Promise.all([1, 2, 3, 4, 5].map((n) => store.record(1, URL_A, { question: `q${n}`, scope: 'page' }, reply(n))));
  assert.deepEqual((await store.list(1, URL_A)).map((e) => e.question), ['q5', 'q4', 'q3', 'q2', 'q1']);
});

test('HistoryStore: a #hash change keeps the history; another URL or closing the tab clears it', async () => {
  const { store, notified } = makeStore();
  await store.record(1, URL_A, { question: 'first', scope: 'page' }, reply(1));
  await store.record(1, `${URL_A}#section`, { question: 'second', scope: 'page' }, reply(2));
  notified.length = 0;

  assert.deepEqual((await store.list(1, `${URL_A}#another-section`)).map((e) => e.question), ['second', 'first'], 'hash-only change: kept');
  assert.deepEqual(notified, [], 'nothing changed, nobody told');

  assert.deepEqual(await store.list(1, 'https://example.org/article?id=2'), [], 'another URL: cleared');
  assert.deepEqual(notified, [1], 'the clearing is announced');
  assert.deepEqual(await store.list(1, URL_A), [], 'and stays cleared when the tab comes back to the first URL');

  await store.record(2, URL_A, { question: 'kept until closed', scope: 'page' }, reply(3));
  assert.equal(await store.removed(2), true);
  assert.deepEqual(await store.list(2, URL_A), []);
  assert.equal(await store.removed(2), false);
});

test('HistoryStore.list: a URL the extension may not see now is another document', async () => {
  const { store, notified } = makeStore();
  await store.record(1, URL_A, { question: 'q', scope: 'page' }, reply(1));
  notified.length = 0;
  assert.deepEqual(await store.list(1, 'https://example.org/next'), []);
  assert.deepEqual(notified, [1]);
  await store.record(1, URL_A, { question: 'q', scope: 'page' }, reply(1));
  assert.deepEqual(await store.list(1, undefined), [], 'now on a page the extension may not see (a browser page)');
});

test('HistoryStore.prune clears the histories of tabs closed since, and leaves other items alone', async () => {
  const { store, area } = makeStore();
  for (const tabId of [1, 2, 3]) await store.record(tabId, URL_A, { question: `q${tabId}`, scope: 'page' }, reply(tabId));
  area.data.set('something-else', 1);
  assert.deepEqual(await store.prune(new Set([2, 7])), [1, 3]);
  assert.deepEqual([...area.data.keys()].sort(), [historyKey(2), 'something-else']);
  assert.deepEqual(await store.prune(new Set([2])), []);
});

test('HistoryStore: a failed write does not stop the operations after it', async () => {
  const { store, area } = makeStore();
  const set = area.set;
  area.set = async () => {
    throw new Error('quota');
  };
  await assert.rejects(store.record(1, URL_A, { question: 'lost', scope: 'page' }, reply(1)), /quota/);
  area.set = set;
  await store.record(1, URL_A, { question: 'kept', scope: 'page' }, reply(2));
  assert.deepEqual((await store.list(1, URL_A)).map((e) => e.question), ['kept']);
});

test('the background accepts history/list with a tab id only; the event has its own check', () => {
  assert.ok(isBackgroundRequest({ type: 'history/list', tabId: 4 }));
  assert.ok(!isBackgroundRequest({ type: 'history/list' }));
  assert.ok(!isBackgroundRequest({ type: 'history/list', tabId: '4' }));
  assert.ok(isHistoryChangedEvent({ type: 'event/history-changed', tabId: 4 }));
  assert.ok(!isHistoryChangedEvent({ type: 'event/history-changed' }));
  assert.ok(!isHistoryChangedEvent({ type: 'event/progress', tabId: 4 }));
});
