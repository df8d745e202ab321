import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lens } from './helpers/cli.js';
import { NO_SHARED_DATA, SHARED_DATA, SQUAD_DIR } from './helpers/shared-data.js';

interface JsonAnswer { text: string; start: number; end: number; score: number }

const tmp = mkdtempSync(join(tmpdir(), 'lens-cli-'));
const qaModel = join(tmp, 'tiny-qa');
const clsModel = join(tmp, 'tiny-cls');
const nliModel = join(tmp, 'tiny-nli');

function ok(args: string[]): string {
  const r = lens(...args);
  assert.equal(r.code, 0, `lens ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** A user mistake: exit 1 and exactly one line on stderr, no stack trace. */
function fails(args: string[], message: RegExp): void {
  const r = lens(...args);
  assert.equal(r.code, 1, `expected lens ${args.join(' ')} to fail`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], /^lens: /);
  assert.match(lines[0], message);
}

function checkAnswers(answers: JsonAnswer[], text: string): void {
  assert.ok(answers.length > 0);
  for (const a of answers) {
    assert.ok(Number.isInteger(a.start) && Number.isInteger(a.end) && a.start >= 0 && a.start < a.end && a.end <= text.length, `bad offsets ${a.start}-${a.end}`);
    assert.equal(text.slice(a.start, a.end), a.text);
    assert.ok(a.score >= 0 && a.score <= 1);
  }
  for (let i = 1; i < answers.length; i++) assert.ok(answers[i].score <= answers[i - 1].score, 'best first');
}

before(() => {
  ok(['model', 'make', '--arch', 'tiny', '--task', 'qa', '--out', qaModel, '--seed', '1']);
  ok(['model', 'make', '--arch', 'tiny', '--task', 'classify', '--labels', 'negative,positive', '--out', clsModel]);
  ok(['model', 'make', '--arch', 'tiny', '--task', 'classify', '--labels', 'contradiction,neutral,entailment', '--out', nliModel]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('lens model make', () => {
  test('writes a Hugging Face model folder', () => {
    for (const f of ['config.json', 'tokenizer_config.json', 'vocab.txt', 'onnx/model.onnx']) assert.ok(existsSync(join(qaModel, f)), f);
    const config = JSON.parse(readFileSync(join(clsModel, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
    assert.deepEqual(config.id2label, { 0: 'negative', 1: 'positive' });
  });
  test('refuses bad arguments', () => {
    fails(['model', 'make', '--arch', 'huge', '--task', 'qa', '--out', join(tmp, 'x')], /--arch must be one of/);
    fails(['model', 'make', '--arch', 'tiny', '--task', 'classify', '--out', join(tmp, 'x')], /needs --labels/);
    fails(['model', 'make', '--arch', 'tiny', '--task', 'qa'], /--out is required/);
  });
});

describe('lens qa', () => {
  const context = 'Super Bowl 50 was an American football game. The Denver Broncos defeated the Carolina Panthers 24–10. It was played at Levi\'s Stadium in Santa Clara, California.';
  test('answers with offsets into the text', () => {
    const out = JSON.parse(ok(['qa', '--model', qaModel, '--text', context, '--question', 'Who won?', '--top', '5', '--json'])) as { answers: JsonAnswer[]; abstained: boolean; windowsRead: number };
    assert.equal(typeof out.abstained, 'boolean');
    assert.ok(out.answers.length <= 5);
    checkAnswers(out.answers, context);
  });
  test('reads a file with --context and says how many windows it read, and how much of the page', () => {
    const out = ok(['qa', '--model', qaModel, '--context', 'README.md', '--question', 'what is this?', '--budget', '2']);
    assert.match(out, /\(read 2 windows, \d+% of the page's \d+ tokens\)/);
    const all = ok(['qa', '--model', qaModel, '--text', context, '--question', 'Who won?', '--budget', 'all']);
    assert.match(all, /\(read 1 window, the whole page\)/);
  });
  test('user mistakes are one clear line', () => {
    fails(['qa', '--model', join(tmp, 'nope'), '--text', context, '--question', 'x'], /model folder .*nope not found/);
    fails(['qa', '--model', qaModel, '--text', context, '--question', '  '], /--question is empty/);
    fails(['qa', '--model', qaModel, '--context', join(tmp, 'missing.txt'), '--question', 'x'], /missing\.txt: no such file/);
    fails(['qa', '--model', qaModel, '--question', 'x'], /exactly one of --context FILE or --text STR/);
    fails(['qa', '--model', clsModel, '--text', context, '--question', 'Who won?'], /classification model, not one for question answering/);
    fails(['qa', '--model', qaModel, '--text', context, '--question', 'x', '--top', '0'], /--top must be a whole number >= 1/);
    fails(['qa', '--model', qaModel, '--text', context, '--question', 'x', '--early-exit', '2'], /--early-exit must be a probability from 0 \(off\) to 1/);
    fails(['frobnicate'], /unknown command "frobnicate"/);
  });
});

describe('lens classify', () => {
  test('scores the model labels', () => {
    const out = JSON.parse(ok(['classify', '--model', clsModel, '--text', 'A gorgeous, witty film.', '--json'])) as { scores: Array<{ label: string; score: number }> };
    assert.deepEqual(out.scores.map((s) => s.label).sort(), ['negative', 'positive']);
    assert.ok(Math.abs(out.scores[0].score + out.scores[1].score - 1) < 1e-5);
  });
  test('zero-shot with candidate labels, single- and multi-label', () => {
    const single = JSON.parse(ok(['classify', '--model', nliModel, '--text', 'The match ended 2-1.', '--labels', 'sports,politics,cooking', '--json'])) as { scores: Array<{ label: string; score: number }> };
    assert.deepEqual(single.scores.map((s) => s.label).sort(), ['cooking', 'politics', 'sports']);
    assert.ok(Math.abs(single.scores.reduce((a, s) => a + s.score, 0) - 1) < 1e-5);
    const multi = JSON.parse(ok(['classify', '--model', nliModel, '--text', 'The match ended 2-1.', '--labels', 'sports,politics', '--multi-label', '--json'])) as { scores: Array<{ label: string; score: number }> };
    assert.ok(multi.scores.every((s) => s.score > 0 && s.score < 1));
  });
  test('zero-shot needs an NLI model', () => {
    fails(['classify', '--model', clsModel, '--text', 'x y', '--labels', 'a,b'], /needs an NLI model with an entailment class/);
    fails(['classify', '--model', qaModel, '--text', 'x y'], /question-answering model, not one for classification/);
  });
});

describe('lens eval (reference data)', { skip: NO_SHARED_DATA }, () => {
  test('eval windows: every reference window rebuilt identically', () => {
    assert.match(ok(['eval', 'windows', '--data', SQUAD_DIR]), /^windows: 10833\/10833 identical$/m);
  });
  test('eval squad runs end to end and prints EM and F1', () => {
    const out = JSON.parse(ok(['eval', 'squad', '--model', qaModel, '--data', SQUAD_DIR, '--limit', '24', '--json'])) as { count: number; exactMatch: number; f1: number };
    assert.equal(out.count, 24);
    assert.ok(out.exactMatch >= 0 && out.exactMatch <= 100 && out.f1 >= out.exactMatch - 1e-9 && out.f1 <= 100);
  });
  test('eval sst2 prints accuracy', () => {
    const out = ok(['eval', 'sst2', '--model', clsModel, '--data', join(SHARED_DATA, 'sst2', 'dev.tsv'), '--limit', '40']);
    assert.match(out, /^sst-2 dev, 40 sentences: accuracy \d+\.\d\d \(\d+\/40\)$/m);
  });
  test('eval retrieval: tuning and held-out articles reported apart, under the given budget', () => {
    type Report = { questions: number; recall: number; maxTokensRead: number; meanWindowsRead: number };
    const out = JSON.parse(ok(['eval', 'retrieval', '--data', SQUAD_DIR, '--budget', '2', '--json'])) as Record<string, Report>;
    assert.deepEqual(Object.keys(out), ['tune', 'held-out']);
    assert.equal(out.tune.questions + out['held-out'].questions, 10570);
    for (const r of Object.values(out)) assert.ok(r.meanWindowsRead <= 2 && r.recall > 0.5 && r.recall < 1, JSON.stringify(r));
  });
});

describe('lens bench', () => {
  test('times windows of 128/256/384 tokens and a batch of four, with medians and p95', () => {
    const out = JSON.parse(ok(['bench', '--model', qaModel, '--trials', '2', '--warmup', '0', '--json'])) as { trials: number; perWindow: Record<string, { median: number; p95: number; n: number }> };
    assert.deepEqual(Object.keys(out.perWindow).sort(), ['128', '256', '384', '4x384']);
    for (const [k, s] of Object.entries(out.perWindow)) {
      assert.ok(s.median > 0 && s.p95 >= s.median, `${k}: ${JSON.stringify(s)}`);
      assert.equal(s.n, 2);
    }
  });
  test('bad options are one clear line', () => {
    fails(['bench', '--model', qaModel, '--trials', '0'], /--trials must be a whole number >= 1/);
    fails(['bench'], /--model is required/);
  });
});
