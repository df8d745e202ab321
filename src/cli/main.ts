// `lens`: the engine from the command line. Every user mistake ends as one line on stderr and exit 1.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { classify, zeroShot, type LabelScore } from '../engine/classify.js';
import type { LensModel } from '../engine/model.js';
import { DEFAULT_READ_BUDGET, PreparedDocument, answerDocument, type ReadBudget } from '../engine/qa/document.js';
import { BertTokenizer, Vocab } from '../engine/tokenizer/index.js';
import { HELD_OUT_ARTICLES, RetrievalRun, TUNE_ARTICLES, retrievalCurve, type RetrievalReport } from '../eval/retrieval.js';
import { evalSquad } from '../eval/squad.js';
import { loadSquad } from '../eval/squad-data.js';
import { evalSst2, loadSst2 } from '../eval/sst2.js';
import { compareWindows } from '../eval/windows.js';
import type { ModelTask } from '../modelgen/mobilebert-config.js';
import { ARCH_NAMES } from '../modelgen/random-model.js';
import { GRAPH_KINDS, type GraphKind } from '../engine/graph/index.js';
import { MODEL_FORMATS, makeModelFolder, type ModelFormat } from '../modelgen/model-folder.js';
import { quantizeModelFolder } from '../modelgen/quantize.js';
import { convertModelFolder } from '../modelgen/convert.js';
import { REFERENCE_TOLERANCE, evalReference, formatReferenceLine, formatRefusalLine } from '../eval/reference.js';
import { bertUncasedVocabLines } from '../modelgen/vocab-from-npm.js';
import { perWindowLatency } from '../eval/latency.js';
import { loadModelDir } from '../modelgen/model-dir.js';
import { progressReporter } from './progress.js';

const USAGE = `lens: MobileBERT question answering and classification, on this machine

usage:
  lens model make --arch ${ARCH_NAMES.join('|')} --task qa|classify [--labels a,b,c] --out DIR [--seed N] [--format onnx|safetensors|pytorch]
                  [--graph lean|exported]
  lens model convert --in DIR --out DIR [--int8] [--graph lean|exported] [--json]
                                             config.json + model.safetensors -> onnx/model.onnx
                                             (--graph: the lean inference graph, the default, or the exporter's shape)
  lens model quantize --in DIR --out DIR [--per-tensor] [--fp32-embeddings] [--keep-fp32] [--json]
  lens qa --model DIR (--context FILE | --text STR) --question STR [--top K] [--budget N|all] [--tokens N] [--early-exit P] [--json]
  lens classify --model DIR --text STR [--pair STR] [--labels a,b,c [--multi-label] [--template STR]] [--json]
  lens eval windows --data DIR               rebuild the SQuAD reference windows and compare
  lens eval reference --data DIR             fixtures' logits from each weights file (model.safetensors, pytorch_model.bin,
                                             model.onnx) vs PyTorch's; files under refused/ must be refused
  lens eval squad --model DIR --data DIR [--limit N] [--json]
  lens eval sst2 --model DIR --data FILE [--limit N] [--json]
  lens eval retrieval --data DIR [--budget N] [--tokens N] [--span N] [--curve] [--no-pack] [--json]
                                             answer-in-window recall, tuning and held-out articles
  lens bench --model DIR [--trials N] [--warmup SECONDS] [--json]   per-window latency (npm run bench: everything)

options for commands that load a model: --threads N (WebAssembly threads, default 1)`;

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

const COMMON = { json: { type: 'boolean' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function parse(args: string[], options: ParseArgsConfig['options']): Values {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function str(values: Values, name: string, required: true): string;
function str(values: Values, name: string, required?: false): string | undefined;
function str(values: Values, name: string, required = false): string | undefined {
  const v = values[name];
  if (typeof v === 'string') return v;
  if (required) throw new UsageError(`--${name} is required`);
  return undefined;
}

function int(values: Values, name: string, min: number): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number >= ${min} (got "${v}")`);
  return n;
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

async function withModel<T>(values: Values, fn: (model: LensModel) => Promise<T>): Promise<T> {
  const model = await loadModelDir(str(values, 'model', true), { numThreads: int(values, 'threads', 1) ?? 1 });
  try {
    return await fn(model);
  } finally {
    await model.release();
  }
}

function print(values: Values, json: unknown, text: string): void {
  process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}

/** --graph: lean (default) or exported. */
function graphKind(v: Values): GraphKind {
  const graph = str(v, 'graph') ?? 'lean';
  if (!(GRAPH_KINDS as readonly string[]).includes(graph)) throw new UsageError(`--graph must be ${GRAPH_KINDS.join(' or ')} (got "${graph}")`);
  return graph as GraphKind;
}

async function modelMake(args: string[]): Promise<void> {
  const v = parse(args, { arch: { type: 'string' }, task: { type: 'string' }, labels: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, format: { type: 'string' }, graph: { type: 'string' } });
  const arch = str(v, 'arch') ?? 'mobilebert';
  if (!ARCH_NAMES.includes(arch)) throw new UsageError(`--arch must be one of ${ARCH_NAMES.join(', ')} (got "${arch}")`);
  const format = (str(v, 'format') ?? 'onnx') as ModelFormat;
  if (!MODEL_FORMATS.includes(format)) throw new UsageError(`--format must be ${MODEL_FORMATS.join(', ')} (got "${format}")`);
  const taskName = str(v, 'task', true);
  let task: ModelTask;
  if (taskName === 'qa') {
    if (v.labels) throw new UsageError('--labels is for --task classify');
    task = { kind: 'qa' };
  } else if (taskName === 'classify') {
    const labels = list(str(v, 'labels'));
    if (!labels || labels.length < 2) throw new UsageError('--task classify needs --labels with at least two names, e.g. --labels negative,positive');
    task = { kind: 'classify', labels };
  } else {
    throw new UsageError(`--task must be qa or classify (got "${taskName}")`);
  }
  const out = str(v, 'out', true);
  const made = await makeModelFolder({ arch, task, outDir: out, seed: int(v, 'seed', 0), format, graph: graphKind(v) });
  print(v, { ...made, arch, task }, `wrote ${arch} ${taskName} model to ${made.dir}: ${made.parameterCount.toLocaleString('en-US')} parameters, ${made.modelFile} ${(made.modelBytes / 1e6).toFixed(1)} MB`);
}

async function modelConvert(args: string[]): Promise<void> {
  const v = parse(args, { in: { type: 'string' }, out: { type: 'string' }, int8: { type: 'boolean' }, graph: { type: 'string' } });
  const r = await convertModelFolder({ inDir: str(v, 'in', true), outDir: str(v, 'out', true), int8: Boolean(v.int8), graph: graphKind(v) });
  const files = r.written.map((f) => `${f.path} (${(f.bytes / 1e6).toFixed(1)} MB)`).join(', ');
  const unused = r.unused.length ? `; not used by the graph: ${r.unused.join(', ')}` : '';
  print(v, r, `converted ${r.architecture} (${r.parameterCount.toLocaleString('en-US')} parameters) in ${r.seconds.toFixed(1)} s: wrote ${files}, copied ${r.copied.join(', ')}${unused}`);
}

const QUANTIZED_AS: Readonly<Record<string, string>> = { MatMul: 'MatMulInteger', Gemm: 'MatMulIntegerToFloat', Attention: 'QAttention' };

function quantizedOpsText(ops: Readonly<Record<string, number>>): string {
  return Object.entries(ops).map(([op, n]) => `${n} ${op} -> ${QUANTIZED_AS[op] ?? op}`).join(', ');
}

async function modelQuantize(args: string[]): Promise<void> {
  const v = parse(args, { in: { type: 'string' }, out: { type: 'string' }, 'per-tensor': { type: 'boolean' }, 'fp32-embeddings': { type: 'boolean' }, 'keep-fp32': { type: 'boolean' } });
  const inDir = str(v, 'in', true);
  const outDir = str(v, 'out', true);
  const r = await quantizeModelFolder({
    inDir,
    outDir,
    keepFp32: Boolean(v['keep-fp32']),
    granularity: v['per-tensor'] ? 'per-tensor' : 'per-column',
    embeddings: v['fp32-embeddings'] ? 'fp32' : 'int8',
  });
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const kept = Object.entries(r.keptFloat).map(([op, n]) => `, ${n} ${op} kept float`).join('');
  print(v, r, [
    `quantized ${r.matmuls} weight matrices to int8 (${quantizedOpsText(r.quantizedOps)}; ${r.matmulsKeptFloat} activation MatMuls kept float), ${r.gathers} embedding tables to int8${kept}`,
    `ONNX ${mb(r.onnxBytesBefore)} -> ${mb(r.onnxBytesAfter)} (${(r.onnxBytesBefore / r.onnxBytesAfter).toFixed(2)}x smaller) in ${r.seconds.toFixed(1)} s`,
    `wrote ${r.outFile}${v['keep-fp32'] ? ' (and the fp32 model.onnx, which the engine loads by default)' : ''}`,
  ].join('\n'));
}

async function qa(args: string[]): Promise<void> {
  const v = parse(args, { model: { type: 'string' }, context: { type: 'string' }, text: { type: 'string' }, question: { type: 'string' }, top: { type: 'string' }, budget: { type: 'string' }, tokens: { type: 'string' }, 'early-exit': { type: 'string' } });
  const question = str(v, 'question', true);
  if (!question.trim()) throw new UsageError('--question is empty');
  const contextFile = str(v, 'context');
  const inline = str(v, 'text');
  if ((contextFile === undefined) === (inline === undefined)) throw new UsageError('give exactly one of --context FILE or --text STR');
  const text = contextFile !== undefined ? await readTextFile(contextFile) : (inline as string);
  if (!text.trim()) throw new UsageError(`the context ${contextFile ? `file ${contextFile}` : 'text'} is empty`);
  const top = int(v, 'top', 1) ?? 3;
  const budgetArg = str(v, 'budget');
  const exitArg = str(v, 'early-exit');
  const exitAt = exitArg === undefined ? undefined : Number(exitArg);
  if (exitAt !== undefined && !(exitAt >= 0 && exitAt <= 1)) throw new UsageError(`--early-exit must be a probability from 0 (off) to 1 (got "${exitArg}")`);
  await withModel(v, async (model) => {
    model.require('qa');
    const doc = PreparedDocument.prepare(model.tokenizer, { text });
    // --budget all asks for a full scan: no early exit unless asked for; neither budget: the engine's default
    const windowBudget = budgetArg === 'all' ? Number.POSITIVE_INFINITY : int(v, 'budget', 1);
    const tokenBudget = int(v, 'tokens', 1);
    const earlyExit = exitAt ?? (budgetArg === 'all' ? 0 : undefined);
    const result = await answerDocument(model, question, doc, { topK: top, windowBudget, tokenBudget, earlyExit });
    const lines = result.answers.map((a, i) => `${i + 1}. ${JSON.stringify(a.text)}  score ${a.score.toFixed(3)}  chars ${a.start}-${a.end}`);
    const head = result.abstained ? `no answer found (no-answer score ${result.noAnswerScore.toFixed(3)}); best guesses:` : 'answers:';
    const share = result.pageTokensRead >= result.pageTokens ? 'the whole page' : `${Math.round((100 * result.pageTokensRead) / result.pageTokens)}% of the page's ${result.pageTokens} tokens`;
    const foot = `(read ${result.windowsRead} window${result.windowsRead === 1 ? '' : 's'}, ${share}${result.exitedEarly ? '; stopped early on a confident answer' : ''})`;
    print(v, { question, ...result }, [head, ...lines, foot].join('\n'));
  });
}

async function classifyCommand(args: string[]): Promise<void> {
  const v = parse(args, { model: { type: 'string' }, text: { type: 'string' }, pair: { type: 'string' }, labels: { type: 'string' }, 'multi-label': { type: 'boolean' }, template: { type: 'string' } });
  const text = str(v, 'text', true);
  if (!text.trim()) throw new UsageError('--text is empty');
  const labels = list(str(v, 'labels'));
  if (!labels && (v['multi-label'] || v.template)) throw new UsageError('--multi-label and --template are for zero-shot classification with --labels');
  await withModel(v, async (model) => {
    const scores: LabelScore[] = labels
      ? await zeroShot(model, text, labels, { multiLabel: Boolean(v['multi-label']), hypothesisTemplate: str(v, 'template') })
      : await classify(model, text, str(v, 'pair'));
    print(v, { text, scores }, scores.map((s) => `${s.label.padEnd(20)} ${s.score.toFixed(4)}`).join('\n'));
  });
}

async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path}: no such file` : code === 'EISDIR' ? `${path} is a folder, not a text file` : `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The uncased BERT tokenizer for weight-independent evaluations: a model's, or the reference vocab. */
async function referenceTokenizer(v: Values, dataDir: string): Promise<BertTokenizer> {
  const modelDir = str(v, 'model');
  if (modelDir) {
    const model = await loadModelDir(modelDir);
    await model.release();
    return model.tokenizer;
  }
  const shared = join(dirname(dataDir.replace(/\/+$/, '')), 'vocab', 'bert-base-uncased-vocab.txt');
  const text = existsSync(shared) ? await readFile(shared, 'utf8') : (await bertUncasedVocabLines()).join('\n');
  return new BertTokenizer(Vocab.fromVocabTxt(text), { doLowerCase: true });
}

async function evalCommand(args: string[]): Promise<void> {
  const [what, ...rest] = args;
  const v = parse(rest, { model: { type: 'string' }, data: { type: 'string' }, limit: { type: 'string' }, budget: { type: 'string' }, tokens: { type: 'string' }, span: { type: 'string' }, curve: { type: 'boolean' }, 'no-pack': { type: 'boolean' } });
  const data = str(v, 'data', true);
  if (!existsSync(data)) throw new UsageError(`--data ${data} not found`);
  const progress = progressReporter(`eval ${what}`);
  try {
    switch (what) {
      case 'windows': {
        const report = await compareWindows(data, await referenceTokenizer(v, data), progress.update);
        progress.end();
        const lines = [`windows: ${report.identical}/${report.total} identical`, ...report.mismatches.slice(0, 10).map((m) => `  ${m.qasId} (${m.uniqueId}) ${m.field}: ${m.detail}`)];
        print(v, report, lines.join('\n'));
        if (report.identical !== report.total) process.exitCode = 1;
        return;
      }
      case 'reference': {
        progress.end();
        const line = (text: string) => process.stdout.write(`${text}\n`);
        const report = await evalReference(data, v.json ? {} : { result: (r) => line(formatReferenceLine(r)), refusal: (r) => line(formatRefusalLine(r)) });
        const worst = Math.max(...report.results.map((r) => r.maxAbsDiff));
        const refused = report.refusals.filter((r) => r.refused).length;
        if (v.json) print(v, { tolerance: REFERENCE_TOLERANCE, ...report }, '');
        else line(`${report.results.length} loads, worst max abs diff ${worst.toExponential(1)} (tolerance ${REFERENCE_TOLERANCE.toExponential(0)})${report.refusals.length ? `; ${refused} of ${report.refusals.length} files under refused/ refused` : ''}`);
        if (!report.ok) process.exitCode = 1;
        return;
      }
      case 'squad': {
        const squad = await loadSquad(data);
        const result = await withModel(v, (model) => evalSquad(model, squad, { limit: int(v, 'limit', 1), onProgress: progress.update }));
        progress.end();
        print(v, result, `squad v1.1 dev, ${result.count} questions (${result.windows} windows): EM ${result.exactMatch.toFixed(2)}  F1 ${result.f1.toFixed(2)}`);
        return;
      }
      case 'sst2': {
        const items = await loadSst2(data);
        const limit = int(v, 'limit', 1);
        const result = await withModel(v, (model) => evalSst2(model, limit ? items.slice(0, limit) : items, { onProgress: progress.update }));
        progress.end();
        print(v, result, `sst-2 dev, ${result.count} sentences: accuracy ${result.accuracy.toFixed(2)} (${result.correct}/${result.count})`);
        return;
      }
      case 'retrieval': {
        const squad = await loadSquad(data);
        const tokenizer = await referenceTokenizer(v, data);
        if (v.curve) {
          const points = retrievalCurve(squad, tokenizer, undefined, undefined, progress.update);
          progress.end();
          const lines = ['half      span  token budget  recall   tokens read (mean / max)  windows read'];
          for (const p of points) lines.push(`${p.half.padEnd(9)} ${String(p.spanTokens).padStart(4)}  ${String(p.budget.tokens).padStart(12)}  ${(100 * p.recall).toFixed(2).padStart(6)}%  ${p.meanTokensRead.toFixed(0).padStart(11)} / ${String(p.maxTokensRead).padEnd(11)}  ${p.meanWindowsRead.toFixed(1).padStart(12)}`);
          print(v, points, lines.join('\n'));
          return;
        }
        const windows = int(v, 'budget', 1);
        const tokens = int(v, 'tokens', 1);
        const budget: ReadBudget = windows === undefined && tokens === undefined ? DEFAULT_READ_BUDGET : { windows, tokens };
        const prepare = { packPassages: !v['no-pack'], spanTokens: int(v, 'span', 1) };
        const reports: Record<string, RetrievalReport> = {};
        for (const [half, articles] of [['tune', TUNE_ARTICLES], ['held-out', HELD_OUT_ARTICLES]] as const) {
          reports[half] = RetrievalRun.run(squad, tokenizer, { articles, prepare, onProgress: progress.update }).at(budget);
        }
        progress.end();
        const limits = [budget.windows === undefined ? '' : `${budget.windows} windows`, budget.tokens === undefined ? '' : `${budget.tokens} tokens`].filter(Boolean).join(', ');
        const line = (half: string, r: RetrievalReport) =>
          `${half.padEnd(9)} (articles ${half === 'tune' ? '0-23' : '24-47'}): gold answer inside the windows read for ${r.hits}/${r.questions} questions (${(100 * r.recall).toFixed(2)}%); tokens read per question mean ${r.meanTokensRead.toFixed(0)}, max ${r.maxTokensRead}; windows read mean ${r.meanWindowsRead.toFixed(1)}`;
        print(v, reports, [`retrieval, budget ${limits}:`, line('tune', reports.tune), line('held-out', reports['held-out'])].join('\n'));
        return;
      }
      default:
        throw new UsageError(`unknown evaluation "${what ?? ''}": use windows, squad, sst2 or retrieval`);
    }
  } finally {
    progress.end();
  }
}

/** Per-window latency of a model in this process (onnxruntime-web, the extension's runtime). */
async function bench(args: string[]): Promise<void> {
  const values = parse(args, { model: { type: 'string' }, trials: { type: 'string' }, warmup: { type: 'string' } });
  const trials = int(values, 'trials', 1) ?? 10;
  const warmupMs = (int(values, 'warmup', 0) ?? 20) * 1000;
  await withModel(values, async (model) => {
    process.stderr.write(`warming up for ${warmupMs / 1000} s, then ${trials} trials per length...\n`);
    const perWindow = await perWindowLatency(model, { trials, warmupMs });
    const text = Object.entries(perWindow)
      .map(([k, s]) => `${k.includes('x') ? k : `${k} tokens`}: median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms`)
      .join('\n');
    print(values, { model: model.name, onnxFile: model.onnxFile, threads: int(values, 'threads', 1) ?? 1, trials, warmupMs, perWindow }, text);
  });
}

/** Runs the CLI; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    switch (command) {
      case 'model':
        if (rest[0] === 'make') await modelMake(rest.slice(1));
        else if (rest[0] === 'quantize') await modelQuantize(rest.slice(1));
        else if (rest[0] === 'convert') await modelConvert(rest.slice(1));
        else throw new UsageError(`unknown model command "${rest[0] ?? ''}": use lens model make, convert or quantize`);
        break;
      case 'qa':
        await qa(rest);
        break;
      case 'classify':
        await classifyCommand(rest);
        break;
      case 'eval':
        await evalCommand(rest);
        break;
      case 'bench':
        await bench(rest);
        break;
      default:
        throw new UsageError(`unknown command "${command}"; run lens --help`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`lens: ${message}\n`);
    if (process.env.LENS_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
