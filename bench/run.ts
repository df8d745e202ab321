// `npm run bench`: every figure of the performance report, measured in one run on this machine, on the
// full-size MobileBERT (random weights: latency does not depend on them). Writes
// bench/results/<date>.json and docs/PERFORMANCE.md (+ docs/performance-chart.svg).
// BENCH_QUICK=1 runs a smoke pass (few trials) to check the harness; its figures are not for reporting.
// BENCH_ONLY=node,native,browser,firefox,curve,int8,checkpoint,pages,pdf,lean limits the sections.
// Models: today's graph (shaped as PyTorch's exporter writes it: what the hub serves, which the extension rebuilds
// lean at install) and the lean graph, same weights (seed 42), each fp32 and int8.
// BENCH_MERGE=bench/results/<date>.json (with BENCH_ONLY) measures only those sections and writes them into that
// run's results, each marked with the date it was measured, so the report says which figures are newer.
// `-- --report FILE` writes the report again from a results file.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { makeModelFolder } from '../src/modelgen/model-folder.js';
import { quantizeModelFolder } from '../src/modelgen/quantize.js';
import { loadSquad } from '../src/eval/squad-data.js';
import { benchNodePageQa, benchNodeWeb, retrievalCurve } from './node.js';
import { writeReport, type BenchResults } from './report.js';
import { benchConfig, log } from './stats.js';

const ROOT = new URL('..', import.meta.url).pathname;
const MODEL_DIR = join(ROOT, '.tmp', 'bench', 'mobilebert-qa');
const INT8_DIR = join(ROOT, '.tmp', 'bench', 'mobilebert-qa-int8');
const LEAN_DIR = join(ROOT, '.tmp', 'bench', 'mobilebert-qa-lean');
const LEAN_INT8_DIR = join(ROOT, '.tmp', 'bench', 'mobilebert-qa-lean-int8');
const SQUAD = join(ROOT, '..', 'shared', 'data', 'squad-v1.1-dev');
const ARTICLES = [0, 7, 15, 23, 31, 39, 47];

// `npm run bench -- --report bench/results/<date>.json`: the report (and the README's headline) written again from
// a results file, measuring nothing (e.g. after a change to the report's wording)
const reportFrom = process.argv.indexOf('--report');
if (reportFrom >= 0) {
  const file = process.argv[reportFrom + 1];
  if (!file || !existsSync(file)) throw new Error(`--report needs a results file (got ${file ?? 'nothing'})`);
  writeReport(JSON.parse(readFileSync(file, 'utf8')) as BenchResults, join(ROOT, 'docs'), join(ROOT, 'README.md'));
  log(`report: docs/PERFORMANCE.md and the README's headline table, from ${file}`);
  process.exit(0);
}

const cfg = benchConfig();
const only = new Set((process.env.BENCH_ONLY ?? 'node,native,browser,firefox,curve,int8,checkpoint,pages,pdf,lean').split(','));

for (const [dir, graph] of [[MODEL_DIR, 'exported'], [LEAN_DIR, 'lean']] as const) {
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) continue;
  log(`making the full-size MobileBERT QA model (random weights, seed 42), ${graph} graph...`);
  await makeModelFolder({ arch: 'mobilebert', task: { kind: 'qa' }, outDir: dir, seed: 42, graph });
}
const data = existsSync(SQUAD) ? await loadSquad(SQUAD) : undefined;
if (!data) log(`note: ${SQUAD} not found; page QA and the retrieval curve are skipped`);

const mergeInto = process.env.BENCH_MERGE;
if (mergeInto && !existsSync(mergeInto)) throw new Error(`BENCH_MERGE: no results file at ${mergeInto}`);
if (mergeInto && cfg.quick) throw new Error('BENCH_MERGE does not take a quick run (its figures are not for reporting)');
const results: BenchResults = mergeInto
  ? (JSON.parse(readFileSync(mergeInto, 'utf8')) as BenchResults)
  : {
      date: new Date().toISOString(),
      quick: cfg.quick,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      config: { trials: cfg.trials, warmupMs: cfg.warmupMs, articles: ARTICLES },
    };

// Node: the graph every model gets by default (lean)
const nodeWeb = await benchNodeWeb(LEAN_DIR, cfg);
if (!mergeInto || only.has('node')) results.nodeWeb = { loadMs: nodeWeb.loadMs, perWindow: nodeWeb.perWindow };
if (data && only.has('node')) {
  log('page QA in Node (onnxruntime-web, 1 thread):');
  results.nodePageQa = await benchNodePageQa(nodeWeb.model, data, cfg.quick ? ARTICLES.slice(0, 2) : ARTICLES, 1);
}
if (data && only.has('curve')) {
  log('retrieval trade-off curve (answer-in-window recall vs tokens read; tuning articles 0-23, held-out 24-47):');
  results.retrievalCurve = retrievalCurve(data, nodeWeb.model.tokenizer, cfg.quick);
}
await nodeWeb.model.release();

// the same model quantized by `lens model quantize` (what the extension does on the device after download)
if (!existsSync(join(INT8_DIR, 'onnx', 'model_quantized.onnx'))) await quantizeModelFolder({ inDir: MODEL_DIR, outDir: INT8_DIR });
if (!existsSync(join(LEAN_INT8_DIR, 'onnx', 'model_quantized.onnx'))) await quantizeModelFolder({ inDir: LEAN_DIR, outDir: LEAN_INT8_DIR });

if (only.has('lean')) {
  const { graphNodes } = await import('./graph-nodes.js');
  log('graph nodes, today and lean, before and after onnxruntime\'s optimisation:');
  results.graphNodes = await graphNodes({
    'today fp32': join(MODEL_DIR, 'onnx', 'model.onnx'),
    'today int8': join(INT8_DIR, 'onnx', 'model_quantized.onnx'),
    'lean fp32': join(LEAN_DIR, 'onnx', 'model.onnx'),
    'lean int8': join(LEAN_INT8_DIR, 'onnx', 'model_quantized.onnx'),
  });
  for (const [label, n] of Object.entries(results.graphNodes)) log(`  ${label}: ${n.nodes} nodes, ${n.optimized} after optimisation`);
}

if (only.has('int8')) {
  // dynamic int8 against fp32 on the same wasm runtime, same run (the lean graph: MatMulIntegerToFloat, QAttention)
  const int8Dir = LEAN_INT8_DIR;
  log('int8 in Node (lean graph), onnxruntime-web, 1 thread:');
  const int8 = await benchNodeWeb(int8Dir, cfg);
  await int8.model.release();
  results.int8 = {
    onnxBytes: statSync(join(int8Dir, 'onnx', 'model_quantized.onnx')).size,
    fp32OnnxBytes: statSync(join(LEAN_DIR, 'onnx', 'model.onnx')).size,
    nodeWeb: { loadMs: int8.loadMs, perWindow: int8.perWindow },
  };
}

if (only.has('checkpoint')) {
  const { benchCheckpoints } = await import('./checkpoint.js');
  log('checkpoints (model.safetensors) and the compact QA option:');
  results.checkpoints = await benchCheckpoints(LEAN_DIR, LEAN_INT8_DIR, join(ROOT, '.tmp', 'bench'), cfg);
}

if (only.has('native')) {
  const { benchNative } = await import('./native.js');
  log('onnxruntime-node (native CPU):');
  results.native = {};
  // keys: threads for fp32 ('1', '2'), int8-<threads> for the quantized model; lean-… for the lean graph's
  for (const [key, path, threads] of [
    ['1', join(MODEL_DIR, 'onnx', 'model.onnx'), 1],
    ['2', join(MODEL_DIR, 'onnx', 'model.onnx'), 2],
    ['int8-1', join(INT8_DIR, 'onnx', 'model_quantized.onnx'), 1],
    ['int8-2', join(INT8_DIR, 'onnx', 'model_quantized.onnx'), 2],
    ['lean-1', join(LEAN_DIR, 'onnx', 'model.onnx'), 1],
    ['lean-2', join(LEAN_DIR, 'onnx', 'model.onnx'), 2],
    ['lean-int8-1', join(LEAN_INT8_DIR, 'onnx', 'model_quantized.onnx'), 1],
    ['lean-int8-2', join(LEAN_INT8_DIR, 'onnx', 'model_quantized.onnx'), 2],
  ] as const) {
    const r = await benchNative({ modelPath: path, threads, seqLens: [128, 256, 384], batch4: true, trials: cfg.trials, warmupMs: Math.min(cfg.warmupMs, 10_000) });
    results.native[key] = { loadMs: r.sessionCreateMs, perWindow: r.perWindowMs };
  }
}

if (only.has('browser')) {
  const { benchBrowser } = await import('./browser/driver.js');
  log('Chromium (the built extension, and transformers.js in the same browser):');
  results.browser = await benchBrowser({ modelDir: MODEL_DIR, int8Dir: INT8_DIR, leanDirs: { fp32: LEAN_DIR, int8: LEAN_INT8_DIR }, timeCheckpointInstall: true, trials: cfg.trials, warmupMs: cfg.warmupMs, articles: cfg.quick ? ARTICLES.slice(0, 2) : ARTICLES, questionsPerArticle: 1 });
}

if (data && only.has('firefox')) {
  const { benchFirefox } = await import('./browser/firefox.js');
  log('Firefox ESR (page QA through the extension, same pages and questions):');
  results.firefox = await benchFirefox({ modelDir: MODEL_DIR, trials: Math.min(cfg.trials, 5), warmupMs: cfg.warmupMs, articles: cfg.quick ? ARTICLES.slice(0, 2) : ARTICLES, questionsPerArticle: 1, ...(cfg.quick ? { sampleQuestions: 4 } : {}) });
}

if (only.has('pages')) {
  const { benchRealPages } = await import('./browser/real-pages.js');
  log('reading real pages (the extraction development set), and page QA on them, in Chromium and Firefox ESR:');
  const pages = await benchRealPages({ modelDir: MODEL_DIR, quick: cfg.quick, warmupMs: cfg.warmupMs });
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`;
  results.pages = pages && mergeInto ? { ...pages, measuredAt: new Date().toISOString(), measuredOn: machine } : pages;
}

if (only.has('pdf')) {
  const { benchPdf } = await import('./browser/pdf.js');
  log('PDFs in the Lens reader, Chromium: a 50-page PDF read and indexed, and warm questions on it:');
  const pdf = await benchPdf({ modelDir: MODEL_DIR, quick: cfg.quick, warmupMs: cfg.warmupMs });
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`;
  results.pdf = mergeInto ? { ...pdf, measuredAt: new Date().toISOString(), measuredOn: machine } : pdf;
}

const outDir = join(ROOT, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
// a merge goes back into the run it completes
const file = mergeInto ?? join(outDir, `${results.date.slice(0, 10)}${cfg.quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
log(`results: ${file}`);
if (!cfg.quick) {
  writeReport(results, join(ROOT, 'docs'), join(ROOT, 'README.md'));
  log('report: docs/PERFORMANCE.md, and the README\'s headline table');
}
