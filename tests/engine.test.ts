import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketRows, runRows } from '../src/engine/batch.js';
import { classify, classifyMany } from '../src/engine/classify.js';
import { LensModel } from '../src/engine/model.js';
import { windowConfidence } from '../src/engine/qa/answers.js';
import { DEFAULT_TOKEN_BUDGET, EARLY_EXIT_TOKENS, earlyExitSteps, PreparedDocument, answerDocument, linePassages } from '../src/engine/qa/document.js';
import { DEFAULT_WINDOW_OPTIONS, buildWindows, questionIds, tokenizeContext } from '../src/engine/qa/windows.js';
import { answerQuestion } from '../src/engine/qa/pipeline.js';
import { memorySource, tinyModelFiles, type Files } from './helpers/memory-model.js';

const qaFiles = await tinyModelFiles({ kind: 'qa' });
const clsFiles = await tinyModelFiles({ kind: 'classify', labels: ['negative', 'positive'] });

function without(files: Files, ...paths: string[]): Files {
  const copy = new Map(files);
  for (const p of paths) copy.delete(p);
  return copy;
}

function withFile(files: Files, path: string, content: string | Uint8Array): Files {
  return new Map(files).set(path, typeof content === 'string' ? new TextEncoder().encode(content) : content);
}

const load = (files: Files) => LensModel.load(memorySource(files));

test('loading refuses incomplete or broken model folders with a clear message', async () => {
  await assert.rejects(load(without(qaFiles, 'config.json')), /model memory-model has no config\.json/);
  await assert.rejects(load(without(qaFiles, 'onnx/model.onnx')), /has no ONNX file \(looked for onnx\/model\.onnx, model\.onnx/);
  await assert.rejects(load(without(qaFiles, 'vocab.txt')), /has neither vocab\.txt nor tokenizer\.json/);
  await assert.rejects(load(withFile(qaFiles, 'config.json', '{ nope')), /config\.json of model memory-model is not valid JSON/);
  await assert.rejects(load(withFile(qaFiles, 'onnx/model.onnx', 'not a model')), /the ONNX model could not be loaded/);
  await assert.rejects(load(withFile(qaFiles, 'config.json', '{"id2label": {"0": "a", "5": "b"}}')), /id2label must map the ids 0\.\.1/);
});

test('the task is read from the session outputs and the wrong task is refused', async () => {
  const qa = await load(qaFiles);
  const cls = await load(clsFiles);
  try {
    assert.equal(qa.task, 'qa');
    assert.equal(cls.task, 'classify');
    assert.deepEqual(cls.config.labels, ['negative', 'positive']);
    assert.deepEqual(qa.session.inputs.map((i) => i.name).sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
    await assert.rejects(answerQuestion(cls, 'who?', 'someone'), /classification model, not one for question answering/);
    await assert.rejects(classify(qa, 'text'), /question-answering model, not one for classification/);
    await assert.rejects(answerQuestion(qa, '  ', 'someone'), /the question is empty/);
    await assert.rejects(answerQuestion(qa, 'who?', ' \n '), /the context is empty/);
    await assert.rejects(answerQuestion(qa, 'who?', 'x', { maxSeqLength: 600 }), /exceeds the model's 512 positions/);
  } finally {
    await qa.release();
    await cls.release();
  }
});

test('a quantized-only folder loads its quantized file; an explicit variant is honoured', async () => {
  const onlyQuantized = withFile(without(qaFiles, 'onnx/model.onnx'), 'onnx/model_quantized.onnx', qaFiles.get('onnx/model.onnx') as Uint8Array);
  const m = await load(onlyQuantized);
  assert.equal(m.onnxFile, 'onnx/model_quantized.onnx');
  await m.release();
  await assert.rejects(LensModel.load(memorySource(qaFiles), { variant: 'quantized' }), /looked for onnx\/model_quantized\.onnx/);
});

test('tokenizer.json (the fast-tokenizer file) is used when present, with its normalizer settings', async () => {
  const vocabLines = new TextDecoder().decode(qaFiles.get('vocab.txt')).split('\n').filter((l, i, a) => l || i < a.length - 1);
  const vocab = Object.fromEntries(vocabLines.map((t, i) => [t, i]));
  const tokenizerJson = { model: { type: 'WordPiece', vocab, unk_token: '[UNK]', max_input_chars_per_word: 100 }, normalizer: { type: 'BertNormalizer', lowercase: true, strip_accents: null, handle_chinese_chars: true } };
  const m = await load(withFile(without(qaFiles, 'vocab.txt'), 'tokenizer.json', JSON.stringify(tokenizerJson)));
  try {
    assert.deepEqual(m.tokenizer.tokenize('Café').map((t) => t.text), ['cafe']);
  } finally {
    await m.release();
  }
});

test('results do not depend on batch size (padding is masked)', async () => {
  const m = await load(clsFiles);
  try {
    const texts = ['short', 'a much longer sentence that needs many more tokens than the others do', 'medium length text here'].map((text) => ({ text }));
    const one = await classifyMany(m, texts, { batchSize: 1 });
    const all = await classifyMany(m, texts, { batchSize: 3 });
    one.forEach((scores, i) => scores.forEach((s, j) => {
      assert.equal(all[i][j].label, s.label);
      assert.ok(Math.abs(all[i][j].score - s.score) < 1e-5, `${s.score} vs ${all[i][j].score}`);
    }));
  } finally {
    await m.release();
  }
});

/** A long page of filler paragraphs with one that answers "When was the Eiffel Tower completed?". */
function eiffelPage(): string {
  const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} tells about topic${i} and ${'filler words '.repeat(60)}end.`);
  paragraphs[23] = 'The Eiffel Tower was completed in 1889 for the World Fair in Paris.';
  return `Title\n\n${paragraphs.join('\n\n')}\n`;
}

test('document QA reads a bounded number of windows and answers with offsets into the page', async () => {
  const m = await load(qaFiles);
  try {
    const text = eiffelPage();
    const doc = PreparedDocument.prepare(m.tokenizer, { text });
    assert.ok(doc.chunks.length > 10);
    const chosen = doc.select('When was the Eiffel Tower completed?', 2);
    assert.equal(chosen.length, 2);
    assert.ok(text.slice(chosen[0].start, chosen[0].end).includes('Eiffel Tower was completed'), 'BM25 ranks the passage with the answer first');

    let progress = 0;
    const result = await answerDocument(m, 'When was the Eiffel Tower completed?', doc, { windowBudget: 3, topK: 5, onProgress: (done) => { progress = done; } });
    assert.equal(result.windowsRead, 3);
    assert.equal(result.windowsTotal, doc.chunks.length);
    assert.equal(progress, 3);
    assert.equal(result.tokensRead, doc.select('When was the Eiffel Tower completed?', 3).reduce((t, c) => t + doc.questionTokens('When was the Eiffel Tower completed?') + 3 + c.length, 0));

    // no budget given: the default token budget, whole windows, the best first
    const byDefault = await answerDocument(m, 'When was the Eiffel Tower completed?', doc);
    assert.ok(byDefault.tokensRead <= DEFAULT_TOKEN_BUDGET && byDefault.tokensRead > DEFAULT_TOKEN_BUDGET - 128, `${byDefault.tokensRead} tokens`);
    assert.ok(byDefault.windowsRead > 3);
    // a window budget alone sets no token limit: every window of the page
    const full = await answerDocument(m, 'When was the Eiffel Tower completed?', doc, { windowBudget: 1e6, earlyExit: 0 });
    assert.equal(full.windowsRead, doc.select('x', 1e6).length);
    assert.ok(full.windowsRead >= doc.chunks.length);
    assert.equal(full.pageTokensRead, full.pageTokens, 'a full read covers every page token once');
    assert.equal(full.pageTokens, doc.sections.reduce((t, s) => t + s.context.ids.length, 0));
    assert.ok(byDefault.pageTokensRead < byDefault.pageTokens, 'the default budget reads part of a long page');
    assert.ok(result.pageTokensRead <= 3 * 96 && result.pageTokensRead > 0, `${result.pageTokensRead} page tokens in 3 spans`);
    for (const a of result.answers) assert.equal(text.slice(a.start, a.end), a.text);
  } finally {
    await m.release();
  }
});

/**
 * The tiny random-weight model with its logits peaked on one token wherever a window contains it: a stand-in for a
 * trained model that is sure of its answer (random weights never are), so early exit can be exercised.
 */
function sureOf(m: LensModel, tokenId: number): LensModel {
  const session = Object.create(m.session) as LensModel['session'];
  session.run = async (feeds, batch, seqLen, outputs) => {
    const out = await m.session.run(feeds, batch, seqLen, outputs);
    const ids = feeds.input_ids;
    for (let b = 0; b < batch; b++) {
      // the token in the window's context (after the first [SEP]), if any
      const row = ids.subarray(b * seqLen, (b + 1) * seqLen);
      const at = row.indexOf(tokenId, row.indexOf(m.tokenizer.sepId) + 1);
      if (at > 0) for (const name of outputs) out[name].data[b * seqLen + at] = 30;
    }
    return out;
  };
  return Object.create(m, { session: { value: session } }) as LensModel;
}

test('early exit: reading stops after the first windows when one is sure of its answer, and only then', async () => {
  const m = await load(qaFiles);
  try {
    const text = eiffelPage();
    const doc = PreparedDocument.prepare(m.tokenizer, { text });
    const question = 'When was the Eiffel Tower completed?';
    const year = m.tokenizer.tokenizeToIds('1889');
    assert.equal(year.length, 1);
    const sure = sureOf(m, year[0]);

    // the first step: the best-ranked windows up to one full window's worth of tokens
    const firstStep = earlyExitSteps(doc.select(question, 6).map((c) => doc.questionTokens(question) + 3 + c.length))[0];
    assert.ok(firstStep >= 2 && firstStep < 6, `${firstStep} windows in the first step`);
    const early = await answerDocument(sure, question, doc, { windowBudget: 6 });
    assert.equal(early.windowsRead, firstStep, 'the best-ranked windows hold the answer: the rest are not read');
    assert.ok(early.tokensRead <= EARLY_EXIT_TOKENS);
    assert.equal(early.exitedEarly, true);
    assert.equal(early.answers[0].text, '1889');

    const off = await answerDocument(sure, question, doc, { windowBudget: 6, earlyExit: 0 });
    assert.deepEqual([off.windowsRead, off.exitedEarly], [6, false], 'earlyExit 0 reads the whole budget');
    assert.equal(off.answers[0].text, '1889');

    // the random-weight model is never that sure: it reads the whole budget
    const unsure = await answerDocument(m, question, doc, { windowBudget: 6 });
    assert.deepEqual([unsure.windowsRead, unsure.exitedEarly], [6, false]);
  } finally {
    await m.release();
  }
});

test('early-exit steps: about one full window of tokens each; with two lanes a step closes only at an even count', () => {
  // nine 110-token windows: 3 fit in 384 tokens
  const windows = Array<number>(9).fill(110);
  assert.deepEqual(earlyExitSteps(windows), [3, 3, 3]);
  // two sessions side by side read 4 windows in the time of 3 (2 + 2 against 2 + 1)
  assert.deepEqual(earlyExitSteps(windows, 2), [4, 4, 1]);
  assert.deepEqual(earlyExitSteps(windows, 1.5), [3, 3, 3], 'lanes are whole sessions');
  // a window over the step's tokens is still read whole, alone or as the lanes' pair
  assert.deepEqual(earlyExitSteps([384, 384, 384]), [1, 1, 1]);
  assert.deepEqual(earlyExitSteps([384, 384, 384], 2), [2, 1]);
  assert.deepEqual(earlyExitSteps([], 2), []);
});

test('window confidence is the span probability of the best admissible span', async () => {
  const m = await load(qaFiles);
  try {
    const ctx = tokenizeContext(m.tokenizer, 'The tower was completed in 1889 in Paris.');
    const [window] = buildWindows(questionIds(m.tokenizer, 'When?', 64), ctx, DEFAULT_WINDOW_OPTIONS, { cls: m.tokenizer.clsId, sep: m.tokenizer.sepId });
    const n = window.inputIds.length;
    const flat = { window, context: ctx, offset: 0, start: new Float32Array(n), end: new Float32Array(n) };
    // uniform logits: every position equally likely, so the best span has probability 1/n^2
    assert.ok(Math.abs(windowConfidence(flat) - 1 / (n * n)) < 1e-9);
    const at = window.contextStart + 5;
    const peaked = { ...flat, start: flat.start.map((_, i) => (i === at ? 30 : 0)), end: flat.end.map((_, i) => (i === at ? 30 : 0)) };
    assert.ok(windowConfidence(peaked) > 0.99);
    // peaked on [CLS] ("no answer"): the best admissible span is unlikely
    const nothing = { ...flat, start: flat.start.map((_, i) => (i === 0 ? 30 : 0)), end: flat.end.map((_, i) => (i === 0 ? 30 : 0)) };
    assert.ok(windowConfidence(nothing) < 1e-6);
  } finally {
    await m.release();
  }
});

test('page passages: explicit offsets are validated; default passages are the non-empty lines', async () => {
  const m = await load(qaFiles);
  try {
    assert.deepEqual(linePassages('a\n\n  \nbb\n'), [{ start: 0, end: 1 }, { start: 6, end: 8 }]);
    assert.throws(() => PreparedDocument.prepare(m.tokenizer, { text: 'abc', passages: [{ start: 1, end: 9 }] }), /passage \[1, 9\) lies outside the page text \(length 3\)/);
    const doc = PreparedDocument.prepare(m.tokenizer, { text: 'one two\nthree' });
    assert.equal(doc.chunks.length, 1, 'short passages are packed into one window');
    assert.throws(() => doc.select('x', 0), /window budget must be at least 1/);
  } finally {
    await m.release();
  }
});

test('batches bucket rows of similar length, and results come back in the rows\' order', async () => {
  assert.deepEqual(bucketRows([10, 300, 290, 50, 48, 300, 300, 300], 4), [[1, 5, 6, 7], [2], [3, 4], [0]]);
  assert.deepEqual(bucketRows([], 4), []);
  const m = await load(qaFiles);
  try {
    const rows = [5, 40, 7, 38, 6].map((n, r) => {
      const inputIds = Array.from({ length: n }, (_, i) => (i === 0 ? m.tokenizer.clsId : 1000 + ((i * 7 + r) % 500)));
      return { inputIds, segmentIds: inputIds.map(() => 0) };
    });
    const seqLens: number[] = [];
    const spy = Object.create(m.session) as LensModel['session'];
    spy.run = (feeds, batch, seqLen, outputs) => {
      seqLens.push(seqLen);
      return m.session.run(feeds, batch, seqLen, outputs);
    };
    const model = Object.create(m, { session: { value: spy } }) as LensModel;
    const together = await runRows(model, rows, ['start_logits'], { batchSize: 4 });
    assert.deepEqual(seqLens, [40, 7], 'the short rows are not padded to 40');
    for (const [i, row] of rows.entries()) {
      const [alone] = await runRows(m, [row], ['start_logits']);
      assert.ok(together[i].start_logits.length >= row.inputIds.length);
      for (let j = 0; j < row.inputIds.length; j++) assert.ok(Math.abs(together[i].start_logits[j] - alone.start_logits[j]) < 1e-4);
    }
  } finally {
    await m.release();
  }
});

test('a cancelled run stops between batches with the abort reason', async () => {
  const m = await load(clsFiles);
  try {
    const controller = new AbortController();
    const texts = Array.from({ length: 8 }, (_, i) => ({ text: `sentence ${i}` }));
    const run = classifyMany(m, texts, { batchSize: 2, onProgress: (done) => { if (done === 2) controller.abort(new Error('cancelled by the user')); }, signal: controller.signal });
    await assert.rejects(run, /cancelled by the user/);
  } finally {
    await m.release();
  }
});
