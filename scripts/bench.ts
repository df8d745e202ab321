// Node-side benchmark of the engine on full-size MobileBERT (random weights: latency does not depend on
// them): per-window latency by sequence length, and page QA with the retriever's budget against a full scan
// of every window, measured in the same run. Writes bench/results/<date>-node.json.
// The browser, native and transformers.js comparisons come with the full harness (issue 4).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runRows } from '../src/engine/batch.js';
import { DEFAULT_WINDOW_BUDGET, PreparedDocument, answerDocument } from '../src/engine/qa/document.js';
import { loadModelDir } from '../src/cli/model-dir.js';
import { articlePage } from '../src/eval/retrieval.js';
import { loadSquad } from '../src/eval/squad-data.js';
import { makeModelFolder } from '../src/modelgen/model-folder.js';

const ROOT = new URL('..', import.meta.url).pathname;
const MODEL_DIR = join(ROOT, '.tmp', 'bench', 'mobilebert-qa');
const SQUAD = join(ROOT, '..', 'shared', 'data', 'squad-v1.1-dev');
const TRIALS = Number(process.env.BENCH_TRIALS ?? 10);

interface Stats { median: number; p95: number; n: number }

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95), n: s.length };
}

async function time(fn: () => Promise<unknown>, trials: number): Promise<Stats> {
  const ms: number[] = [];
  for (let i = 0; i < trials; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return stats(ms);
}

const log = (s: string) => process.stderr.write(`${s}\n`);

if (!existsSync(join(MODEL_DIR, 'onnx', 'model.onnx'))) {
  log('making the full-size MobileBERT QA model (random weights, seed 42)...');
  await makeModelFolder({ arch: 'mobilebert', task: { kind: 'qa' }, outDir: MODEL_DIR, seed: 42 });
}
let t = performance.now();
const model = await loadModelDir(MODEL_DIR, { numThreads: 1 });
const loadMs = performance.now() - t;
log(`model loaded in ${loadMs.toFixed(0)} ms`);

const row = (n: number) => ({ inputIds: Array.from({ length: n }, (_, i) => (i === 0 ? 101 : 1000 + (i % 5000))), segmentIds: new Array<number>(n).fill(0) });
log('warming up (WebAssembly tiers up over the first runs)...');
const warmUntil = performance.now() + 20_000;
while (performance.now() < warmUntil) await runRows(model, [row(384)], ['start_logits', 'end_logits']);

const perWindow: Record<string, Stats> = {};
for (const n of [128, 256, 384]) {
  perWindow[`${n}`] = await time(() => runRows(model, [row(n)], ['start_logits', 'end_logits']), TRIALS);
  log(`window of ${n} tokens: median ${perWindow[`${n}`].median.toFixed(1)} ms`);
}
perWindow['4x384'] = await time(() => runRows(model, [row(384), row(384), row(384), row(384)], ['start_logits', 'end_logits'], { batchSize: 4 }), Math.max(3, TRIALS / 2));

let pageQa: Record<string, unknown> | undefined;
if (existsSync(SQUAD)) {
  const data = await loadSquad(SQUAD);
  const articles = [0, 7, 15, 23, 31, 39, 47];
  t = performance.now();
  const docs = articles.map((a) => PreparedDocument.prepare(model.tokenizer, articlePage(data, a)));
  const prepareMs = (performance.now() - t) / articles.length;
  const questions = articles.flatMap((a, i) => data.questions.filter((q) => q.article === a).slice(0, 2).map((q) => ({ q: q.question, doc: docs[i] })));
  const budgetMs: number[] = [];
  const fullMs: number[] = [];
  for (const { q, doc } of questions) {
    t = performance.now();
    await answerDocument(model, q, doc, { windowBudget: DEFAULT_WINDOW_BUDGET });
    budgetMs.push(performance.now() - t);
    t = performance.now();
    await answerDocument(model, q, doc, { windowBudget: doc.chunks.length });
    fullMs.push(performance.now() - t);
    log(`page QA: budget ${budgetMs.at(-1)?.toFixed(0)} ms, full scan of ${doc.chunks.length} windows ${fullMs.at(-1)?.toFixed(0)} ms`);
  }
  const budget = stats(budgetMs);
  const full = stats(fullMs);
  pageQa = { questions: questions.length, prepareMsPerPage: prepareMs, budget: DEFAULT_WINDOW_BUDGET, withBudget: budget, fullScan: full, speedupMedian: full.median / budget.median };
} else {
  log(`page QA skipped: ${SQUAD} not found`);
}
await model.release();

const result = { date: new Date().toISOString(), runtime: 'onnxruntime-web (wasm) in Node, 1 thread', node: process.version, modelLoadMs: loadMs, perWindowMs: perWindow, pageQa };
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const out = join(ROOT, 'bench', 'results', `${result.date.slice(0, 10)}-node.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
log(`written to ${out}`);
