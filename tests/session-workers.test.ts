// Firefox's pool of session workers (src/background/session-workers.ts) and how runRows splits a question's windows
// over sessions that run at once (src/engine/batch.ts): the split, order, progress, abort and errors with a fake
// parallel session (a scheduling test), then the real thing: the pool over two worker_threads, each with its own
// onnxruntime-web session of a tiny model (the second from the WebAssembly module the first compiled), against one
// in-process session of the same bytes.
// The worker threads run this very file (tsx's loader comes with process.execArgv); they only serve a session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { bucketRows, runRows, splitRows, type EncodedRow } from '../src/engine/batch.js';
import { LensModel } from '../src/engine/model.js';
import type { FloatOutput, SessionLike } from '../src/engine/runtime.js';
import { PreparedDocument, answerDocument } from '../src/engine/qa/document.js';
import { SessionWorkers, type WorkerPort } from '../src/background/session-workers.js';
import { takeMarks } from '../src/shared/timeline.js';
import { serveSession } from '../src/workers/session-host.js';
import type { FromSessionWorker, ToSessionWorker } from '../src/workers/session-protocol.js';
import { memorySource, tinyModelFiles } from './helpers/memory-model.js';

if (!isMainThread && parentPort) {
  const port = parentPort;
  serveSession({
    post: (message, transfer) => port.postMessage(message, transfer),
    onMessage: (listener) => port.on('message', (message: ToSessionWorker) => listener(message)),
  });
} else {
  await mainThreadTests();
}

/** Rows of the given lengths whose ids say which row they are (row r: ids 1000 + r). */
function rowsOf(lengths: readonly number[]): EncodedRow[] {
  return lengths.map((n, r) => ({ inputIds: Array.from({ length: n }, () => 1000 + r), segmentIds: Array.from({ length: n }, () => 0) }));
}

/** A session that answers each row with its own id (so order is checkable), after `delayMs`, counting runs in flight. */
class FakeSession implements SessionLike {
  readonly inputs = [{ name: 'input_ids', type: 'int64' as const }];
  readonly outputNames = ['start_logits'];
  readonly executionProvider = 'wasm' as const;
  inFlight = 0;
  maxInFlight = 0;
  readonly batches: number[][] = [];
  failOn?: number;

  constructor(
    readonly parallelism: number,
    private readonly delayMs: (batch: number, seqLen: number) => number = (batch, seqLen) => batch * seqLen * 0.02,
  ) {}

  hasInput(name: string): boolean {
    return this.inputs.some((i) => i.name === name);
  }

  async run(feeds: Record<string, Int32Array>, batch: number, seqLen: number): Promise<Record<string, FloatOutput>> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const ids = feeds.input_ids;
    const rows = Array.from({ length: batch }, (_, b) => ids[b * seqLen] - 1000);
    this.batches.push(rows);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs(batch, seqLen)));
      if (this.failOn !== undefined && rows.includes(this.failOn)) throw new Error(`row ${this.failOn} failed`);
      // each position's value is its row id
      return { start_logits: { data: Float32Array.from(ids, (v) => v - 1000), dims: [batch, seqLen] } };
    } finally {
      this.inFlight--;
    }
  }

  async release(): Promise<void> {}
}

const fakeModel = (session: SessionLike) => ({ session, tokenizer: { padId: 0 } }) as unknown as LensModel;

/** A worker_threads Worker running this file, as the pool's WorkerPort. */
function threadPort(): WorkerPort {
  // tsx's loader first (Node 20 does not apply --import to worker threads), then this .ts file
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(bootstrap, { eval: true });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (listener) => worker.on('message', (message: FromSessionWorker) => listener(message)),
    onError: (listener) => {
      worker.on('error', (err) => listener(err.message));
      worker.on('exit', (code) => listener(`exited with code ${code}`));
    },
    terminate: () => void worker.terminate(),
  };
}

async function mainThreadTests(): Promise<void> {
  test('splitRows: every row once, lanes of similar token counts, each lane bucketed', () => {
    const nine = Array.from({ length: 9 }, () => 110);
    const lanes = splitRows(nine, 2, 4);
    assert.equal(lanes.length, 2);
    assert.deepEqual(lanes.map((l) => l.flat().length).sort(), [4, 5], '9 equal windows: 5 + 4, not 4 + 4 then 1');
    assert.deepEqual(lanes.flat(2).sort((a, b) => a - b), [...nine.keys()]);
    for (const lane of lanes) assert.ok(lane.every((batch) => batch.length <= 4));

    const mixed = [384, 120, 110, 300, 96, 200, 111, 105, 64];
    const split = splitRows(mixed, 2, 4);
    const tokens = split.map((lane) => lane.flat().reduce((sum, i) => sum + mixed[i], 0));
    assert.ok(Math.abs(tokens[0] - tokens[1]) <= Math.max(...mixed), `token counts ${tokens.join(' / ')} differ by at most one row`);
    assert.deepEqual(split.flat(2).sort((a, b) => a - b), [...mixed.keys()]);

    assert.deepEqual(splitRows([50, 60, 70], 4, 4).length, 3, 'never more lanes than rows');
    assert.deepEqual(splitRows([10, 300, 290, 50], 1, 4), [bucketRows([10, 300, 290, 50], 4)], 'one lane: the plain buckets');
    assert.deepEqual(splitRows([], 2, 4), []);
  });

  test('runRows over a parallel session: both lanes at once, results in the rows\' order, progress to the total', async () => {
    const session = new FakeSession(2);
    const lengths = [110, 108, 111, 96, 112, 109, 107, 110, 90];
    const progress: number[] = [];
    const out = await runRows(fakeModel(session), rowsOf(lengths), ['start_logits'], { batchSize: 4, onProgress: (done, total) => progress.push(done / total) });
    assert.equal(session.maxInFlight, 2, 'two batches ran at once');
    out.forEach((row, r) => assert.ok(row.start_logits.subarray(0, lengths[r]).every((v) => v === r), `row ${r} has its own outputs`));
    assert.deepEqual(session.batches.flat().sort((a, b) => a - b), [...lengths.keys()], 'each row ran once');
    assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]), 'progress only grows');
    assert.equal(progress.at(-1), 1);

    const single = new FakeSession(1);
    await runRows(fakeModel(single), rowsOf(lengths), ['start_logits'], { batchSize: 4 });
    assert.equal(single.maxInFlight, 1, 'a plain session runs one batch at a time');
    assert.deepEqual(single.batches, bucketRows(lengths, 4), 'in the buckets it always had');
  });

  test('runRows over a parallel session: an abort or a failed run stops both lanes, after the runs in flight', async () => {
    const rows = rowsOf(Array.from({ length: 12 }, () => 100));
    const session = new FakeSession(2, () => 20);
    const controller = new AbortController();
    const run = runRows(fakeModel(session), rows, ['start_logits'], { batchSize: 2, signal: controller.signal, onProgress: (done) => done >= 4 && controller.abort(new Error('cancelled')) });
    await assert.rejects(run, /cancelled/);
    assert.equal(session.inFlight, 0, 'nothing still runs once runRows has settled');
    assert.ok(session.batches.length < 6, `no batch started after the abort (${session.batches.length} of 6 ran)`);

    const failing = new FakeSession(2, () => 10);
    failing.failOn = 0;
    await assert.rejects(runRows(fakeModel(failing), rows, ['start_logits'], { batchSize: 2 }), /row 0 failed/);
    assert.equal(failing.inFlight, 0);
    assert.ok(failing.batches.length <= 3, `the other lane stopped too (${failing.batches.length} batches ran)`);
  });

  test('the pool over two worker threads: same logits as one in-process session, both workers ran rows', { timeout: 120_000 }, async () => {
    const files = await tinyModelFiles({ kind: 'qa' });
    const plain = await LensModel.load(memorySource(files));
    let pool: SessionWorkers | undefined;
    // what each worker was told to start its runtime with
    const inits: Array<{ worker: number; module: boolean }> = [];
    let compiled: WebAssembly.Module | undefined;
    const spawn = (worker: number): WorkerPort => {
      const port = threadPort();
      return {
        ...port,
        post: (message, transfer) => {
          if (message.type === 'init') inits.push({ worker, module: message.module !== undefined });
          port.post(message, transfer);
        },
      };
    };
    const pooled = await LensModel.load(memorySource(files), {
      createSession: (bytes) => {
        pool = SessionWorkers.start(2, spawn, { label: 'test', onModule: (module) => (compiled = module) });
        return pool.create(bytes);
      },
    });
    assert.deepEqual(inits, [{ worker: 0, module: false }, { worker: 1, module: true }], 'the second worker starts from the module the first compiled');
    assert.ok(compiled, 'the pool hands the module out for later pools');
    try {
      assert.ok(pool);
      assert.equal(pooled.session.parallelism, 2);
      assert.deepEqual(pooled.session.inputs, plain.session.inputs);
      assert.equal(pooled.task, 'qa');
      const tok = plain.tokenizer;
      const rows = Array.from({ length: 9 }, (_, r) => {
        const inputIds = [tok.clsId, ...Array.from({ length: 20 + r * 7 }, (_, i) => 1000 + ((i * 13 + r) % 700)), tok.sepId];
        return { inputIds, segmentIds: inputIds.map(() => 0) };
      });
      takeMarks();
      const expected = await runRows(plain, rows, ['start_logits', 'end_logits']);
      const got = await runRows(pooled, rows, ['start_logits', 'end_logits']);
      for (const [r, row] of rows.entries()) {
        for (const name of ['start_logits', 'end_logits']) {
          for (let j = 0; j < row.inputIds.length; j++) assert.ok(Math.abs(got[r][name][j] - expected[r][name][j]) < 1e-4, `row ${r} ${name}[${j}]`);
        }
      }
      const stats = pool.stats();
      assert.equal(stats.alive, 2);
      assert.ok(stats.rowsPerWorker.every((n) => n > 0), `both workers ran rows: ${stats.rowsPerWorker.join(', ')}`);
      assert.equal(stats.rowsPerWorker.reduce((a, b) => a + b, 0), 9);
      assert.ok(stats.heapBytesPerWorker.every((n) => n > 0), `each worker reports its WebAssembly memory: ${stats.heapBytesPerWorker.join(', ')}`);
      const ran = takeMarks().filter((m) => /^test:session-\d+:ran-/.test(m.name));
      assert.equal(new Set(ran.map((m) => m.name.split(':')[1])).size, 2, 'the timeline names both workers');

      // a later pool (another model, a reload) starts every worker from that module at once
      inits.length = 0;
      const later = await SessionWorkers.start(2, spawn, { module: compiled }).create(files.get('onnx/model.onnx') as Uint8Array);
      assert.deepEqual(inits, [{ worker: 0, module: true }, { worker: 1, module: true }]);
      assert.equal(later.stats().sharedModule, 2);
      await later.release();

      // a page question through the pool answers as through one session
      const text = 'The lighthouse at Port Elwood was built in 1872. Its keeper was Ada Morrow.\n'.repeat(30);
      const doc = PreparedDocument.prepare(tok, { text });
      const a = await answerDocument(plain, 'Who was the keeper?', doc);
      const b = await answerDocument(pooled, 'Who was the keeper?', doc);
      assert.deepEqual(b.answers.map((x) => [x.start, x.end]), a.answers.map((x) => [x.start, x.end]));
      assert.equal(b.windowsRead, a.windowsRead);
    } finally {
      await plain.release();
      await pooled.release();
    }
  });

  test('the pool: a worker that cannot load the model is left out; none: create fails; a lost worker fails its run', { timeout: 60_000 }, async () => {
    const files = await tinyModelFiles({ kind: 'qa' });
    const bytes = files.get('onnx/model.onnx') as Uint8Array;
    // one spawn throws (e.g. a CSP refusal): the other carries on
    const half = await SessionWorkers.start(2, (i) => {
      if (i === 1) throw new Error('refused');
      return threadPort();
    }).create(bytes);
    assert.equal(half.parallelism, 1);
    await half.release();

    await assert.rejects(SessionWorkers.start(2, threadPort).create(new Uint8Array([1, 2, 3])), /no session worker could load the model: the ONNX model could not be loaded/);
    await assert.rejects(
      SessionWorkers.start(1, () => {
        throw new Error('Worker is not defined');
      }).create(bytes),
      /no session worker could load the model: Worker is not defined/,
    );

    // a worker that dies mid-run: its run fails, and with none left the pool reports it lost
    let lost = '';
    let port: WorkerPort | undefined;
    const pool = await SessionWorkers.start(
      1,
      () => {
        port = threadPort();
        return port;
      },
      { onLost: (reason) => (lost = reason) },
    ).create(bytes);
    const feeds = { input_ids: new Int32Array([101, 2000, 102]), attention_mask: new Int32Array([1, 1, 1]), token_type_ids: new Int32Array([0, 0, 0]) };
    const running = pool.run(feeds, 1, 3, ['start_logits']);
    port?.terminate();
    await assert.rejects(running, /a session worker stopped/);
    assert.match(lost, /exited/);
    await assert.rejects(pool.run(feeds, 1, 3, ['start_logits']), /the session workers stopped/);
    await pool.release();
  });
}
