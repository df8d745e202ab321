// The popup's request that survives the background being stopped mid-answer (src/popup/resilient-ask.ts),
// against a fake background: replies, errors, closed ports, silence and restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LostRequest, askResilient, type RequestState, type ResilientOptions } from '../src/popup/resilient-ask.js';

const PORT_CLOSED = 'A listener indicated an asynchronous response by returning true, but the message channel closed before a response was received';

/** A fake background: per attempt, what send does; status answers from `known`. */
function fake(sends: Array<(id: string) => Promise<unknown>>, state: (id: string) => RequestState | Error = () => 'running') {
  let n = 0;
  const log: string[] = [];
  const opts: ResilientOptions = {
    newId: () => `req-${++n}`,
    send: (id) => {
      log.push(`send ${id}`);
      const next = sends.shift();
      if (!next) throw new Error('no more sends expected');
      return next(id);
    },
    status: async (id) => {
      const s = state(id);
      log.push(`status ${id}: ${s instanceof Error ? 'error' : s}`);
      if (s instanceof Error) throw s;
      return s;
    },
    onAttempt: (id, attempt, lost) => log.push(`attempt ${attempt} ${id}${lost ? ` (lost ${lost})` : ''}`),
    probeMs: 5,
  };
  return { opts, log };
}

const never = () => new Promise<unknown>(() => undefined);

test('a reply comes back as its value, in one attempt', async () => {
  const { opts, log } = fake([async () => ({ ok: true, value: { answers: 1 } })]);
  assert.deepEqual(await askResilient(opts), { answers: 1 });
  assert.deepEqual(log, ['attempt 1 req-1', 'send req-1']);
});

test("the background's own error is thrown as it is, not retried", async () => {
  const { opts, log } = fake([async () => ({ ok: false, error: 'this page has no readable text' })]);
  await assert.rejects(askResilient(opts), (err: Error) => !(err instanceof LostRequest) && err.message === 'this page has no readable text');
  assert.equal(log.filter((l) => l.startsWith('send')).length, 1);
});

test('a closed port (the worker was stopped mid-answer) is retried once under a new id; the retry answers', async () => {
  const { opts, log } = fake([() => Promise.reject(new Error(PORT_CLOSED)), async () => ({ ok: true, value: 'answer' })]);
  assert.equal(await askResilient(opts), 'answer');
  assert.deepEqual(log, ['attempt 1 req-1', 'send req-1', 'attempt 2 req-2 (lost req-1)', 'send req-2']);
});

test('lost twice: LostRequest, so the popup can say "ask again"', async () => {
  const { opts } = fake([() => Promise.reject(new Error(PORT_CLOSED)), async () => undefined]);
  await assert.rejects(askResilient(opts), (err: Error) => err instanceof LostRequest && /lost 2 times \(last: no reply came back\)/.test(err.message));
});

test('silence: a request that never settles is found lost when the background no longer knows it', async () => {
  const restarted = new Set<string>(['req-1']);
  const { opts, log } = fake([never, async () => ({ ok: true, value: 'second' })], (id) => (restarted.has(id) ? 'unknown' : 'running'));
  assert.equal(await askResilient(opts), 'second');
  assert.ok(log.includes('status req-1: unknown'));
});

test('silence while the background is unreachable or says finished without a reply: lost after a few probes', async () => {
  const unreachable = fake([never, never], () => new Error('Could not establish connection. Receiving end does not exist.'));
  await assert.rejects(askResilient(unreachable.opts), (err: Error) => err instanceof LostRequest && /cannot be reached/.test(err.message));
  const finished = fake([never, never], () => 'finished');
  await assert.rejects(askResilient(finished.opts), (err: Error) => err instanceof LostRequest && /reply never arrived/.test(err.message));
});

test('a slow answer the background is still working on is waited for, however long', async () => {
  let probes = 0;
  const { opts } = fake([() => new Promise((resolve) => setTimeout(() => resolve({ ok: true, value: 'late' }), 120))], () => {
    probes++;
    return 'running';
  });
  assert.equal(await askResilient(opts), 'late');
  assert.ok(probes >= 5, `the background was probed while it worked (${probes} probes)`);
});
