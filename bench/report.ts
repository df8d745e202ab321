// Turns one run's results into docs/PERFORMANCE.md and two SVG charts. Every number in the report comes
// from the results file of that run; goals are compared with what was measured, and misses say by how much.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointSection } from './checkpoint.js';
import type { CurvePoint, PageQaResult, RetrievalSection } from './node.js';
import type { PageQaSample } from './browser/page-qa-sample.js';
import { pageQaSampleGoalRows, pageQaSampleSection } from './page-qa-report.js';
import { firefoxGoalRows, firefoxPageQaRows, firefoxSection, type FirefoxSection } from './firefox-report.js';
import { pdfGoalRows, pdfSection, type PdfSection } from './pdf-report.js';
import { realPagesGoalRows, realPagesSection, type RealPagesSection } from './real-pages-report.js';
import type { Stats } from './stats.js';
import { webGpuSection, type WebGpuBench } from './webgpu.js';
import { engineRun, graphOf, leanGoalRows, leanSection, type GraphNodes } from './lean-report.js';

export interface PerWindowSection {
  loadMs?: number;
  perWindow: Record<string, Stats>;
}

/** A per-window run at a thread count on fp32 or int8 (engine page: variant; transformers.js: dtype). */
export interface VariantRun extends PerWindowSection {
  variant?: string;
  dtype?: string;
  threads: number;
  /** the extension's engine: which graph (runs from before the lean graph have none: today's) */
  graph?: 'today' | 'lean';
  /** a second load with the runtime started: session creation (+ the vocabulary) */
  reloadMs?: number;
}

export interface BrowserSection {
  /** onnxruntime-web inside the built extension (an extension page); runs: per variant and thread count */
  extension?: PerWindowSection & { memory?: Record<string, number | string>; runs?: VariantRun[] };
  /** transformers.js in the same browser, same model files, same threads */
  transformersJs?: PerWindowSection & { pageQa?: { warm: Stats; note?: string; dtype?: string; threads?: number }; runs?: VariantRun[] };
  /** page QA end to end through the extension's background (qa/ask), as users run it */
  pageQa?: { cold?: Stats; warm?: Stats; warmFullScan?: Stats; questions?: number; alternatives?: Array<{ label: string; warm: Stats }> };
  installMs?: number;
  /** content/extract of a generated page of about 10,000 elements (bench/browser/extraction.ts) */
  extraction?: { elements: number; chars: number; reading: string; ms: Stats; reused?: number; measuredAt?: string };
  packageBytes?: number;
  downloadBytes?: Record<string, number>;
  [key: string]: unknown;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; node: string };
  config: { trials: number; warmupMs: number; articles: readonly number[] };
  nodeWeb?: PerWindowSection;
  nodePageQa?: PageQaResult;
  checkpoints?: CheckpointSection;
  retrievalCurve?: RetrievalSection;
  native?: Record<string, PerWindowSection>;
  browser?: BrowserSection;
  firefox?: FirefoxSection;
  /** reading the extraction development set's real pages, and page QA on them (bench/browser/real-pages.ts) */
  pages?: RealPagesSection;
  /** PDFs in the Lens reader: a 50-page PDF read and indexed, warm questions on it (bench/browser/pdf.ts) */
  pdf?: PdfSection;
  int8?: { onnxBytes: number; fp32OnnxBytes: number; nodeWeb: PerWindowSection };
  /** nodes of today's and the lean graph, fp32 and int8, before and after onnxruntime's optimisation */
  graphNodes?: Record<string, GraphNodes>;
}

/** The large page QA sample (bench/browser/page-qa-sample.ts), as the browser section carries it. */
const pageQaSampleOf = (r: BenchResults): PageQaSample | undefined => r.browser?.pageQaSample as PageQaSample | undefined;

const ms = (v: number | undefined) => (v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}x`);
const mb = (b: number | undefined) => (b === undefined ? '–' : `${(b / 1e6).toFixed(1)} MB`);

const threadsText = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
const isInt8 = (run: VariantRun) => run.variant === 'quantized' || run.dtype === 'q8';

/** The extension's engine run (Chromium) for a precision and thread count, on the graph the extension runs (lean). */
function lensRun(r: BenchResults, int8: boolean, threads: number): VariantRun | undefined {
  return engineRun(r, 'lean', int8, threads) ?? engineRun(r, 'today', int8, threads);
}

/** Every per-window figure of the run; `chart` marks the ones the bar chart shows. */
function perWindowRows(results: BenchResults): Array<{ name: string; s: PerWindowSection; chart: boolean }> {
  const rows: Array<{ name: string; s: PerWindowSection; chart: boolean }> = [];
  const native = results.native ?? {};
  for (const [key, name, chart] of [
    ['1', 'onnxruntime-node (native), fp32, 1 thread', false],
    ['2', 'onnxruntime-node (native), fp32, 2 threads', true],
    ['int8-1', 'onnxruntime-node (native), int8, 1 thread', false],
    ['int8-2', 'onnxruntime-node (native), int8, 2 threads', true],
    ['lean-1', 'onnxruntime-node (native), lean fp32, 1 thread', false],
    ['lean-2', 'onnxruntime-node (native), lean fp32, 2 threads', false],
    ['lean-int8-1', 'onnxruntime-node (native), lean int8, 1 thread', false],
    ['lean-int8-2', 'onnxruntime-node (native), lean int8, 2 threads', true],
  ] as const) {
    if (native[key]) rows.push({ name, s: native[key], chart });
  }
  if (results.nodeWeb) rows.push({ name: 'onnxruntime-web in Node, lean fp32, 1 thread', s: results.nodeWeb, chart: false });
  if (results.int8) rows.push({ name: 'onnxruntime-web in Node, lean int8, 1 thread', s: results.int8.nodeWeb, chart: false });
  for (const run of results.browser?.extension?.runs ?? []) {
    const graph = graphOf(run) === 'lean' ? 'lean ' : '';
    rows.push({ name: `Lens in Chromium (extension), ${graph}${isInt8(run) ? 'int8' : 'fp32'}, ${threadsText(run.threads)}`, s: run, chart: run.threads === 2 });
  }
  for (const run of results.browser?.transformersJs?.runs ?? []) {
    rows.push({ name: `transformers.js in Chromium, ${isInt8(run) ? 'int8 (q8)' : 'fp32'}, ${threadsText(run.threads)}`, s: run, chart: true });
  }
  return rows;
}

function goalRow(name: string, measured: string, goal: string, met: boolean | undefined, by = ''): string {
  const verdict = met === undefined ? 'not measured' : met ? 'met' : `missed${by ? ` (${by})` : ''}`;
  return `| ${name} | ${measured} | ${goal} | ${verdict} |`;
}

function barChart(rows: ReadonlyArray<{ name: string; s: PerWindowSection }>): string {
  const lens = ['128', '256', '384'];
  const colors = ['#1e3a8a', '#60a5fa', '#166534', '#4ade80', '#16a34a', '#f59e0b', '#dc2626', '#a855f7'];
  const max = Math.max(1, ...rows.flatMap((r) => lens.map((l) => r.s.perWindow[l]?.median ?? 0)));
  const W = 760;
  const legend = 40 + Math.ceil(rows.length / 2) * 16;
  const H = 280 + legend;
  const left = 60;
  const bottom = 40;
  const plotH = H - bottom - legend;
  const groupW = (W - left - 20) / lens.length;
  const barW = Math.min(36, (groupW - 20) / Math.max(1, rows.length));
  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">Per-window latency, full-size MobileBERT (median ms, lower is better)</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const y = H - bottom - (plotH * t) / 4;
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="${left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${v.toFixed(0)}</text>`);
  }
  lens.forEach((l, g) => {
    const x0 = left + g * groupW + 10;
    rows.forEach((r, i) => {
      const v = r.s.perWindow[l]?.median ?? 0;
      const h = (plotH * v) / max;
      parts.push(`<rect x="${x0 + i * barW}" y="${H - bottom - h}" width="${barW - 3}" height="${h}" fill="${colors[i % colors.length]}"><title>${r.name}: ${v.toFixed(1)} ms</title></rect>`);
    });
    parts.push(`<text x="${x0 + (rows.length * barW) / 2}" y="${H - bottom + 18}" font-size="12" text-anchor="middle">${l} tokens</text>`);
  });
  rows.forEach((r, i) => {
    parts.push(`<rect x="${left + (i % 2) * 350}" y="${34 + Math.floor(i / 2) * 16}" width="10" height="10" fill="${colors[i % colors.length]}"/><text x="${left + (i % 2) * 350 + 14}" y="${43 + Math.floor(i / 2) * 16}" font-size="11">${r.name}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>\n`;
}

/** Recall against mean tokens read per question, one line per span size; held-out solid, tuning dashed. */
function curveChart(points: readonly CurvePoint[]): string {
  const W = 760;
  const H = 340;
  const left = 60;
  const bottom = 44;
  const maxTokens = Math.max(1152, ...points.map((p) => p.meanTokensRead));
  const minRecall = Math.min(0.85, ...points.map((p) => p.recall));
  const x = (v: number) => left + ((W - left - 20) * v) / maxTokens;
  const y = (r: number) => H - bottom - ((H - bottom - 50) * (r - minRecall)) / (1 - minRecall);
  const colors: Record<number, string> = { 64: '#a855f7', 96: '#dc2626', 128: '#16a34a', 192: '#2563eb' };
  const parts = [`<rect width="${W}" height="${H}" fill="#ffffff"/>`, `<text x="${left}" y="22" font-size="15" font-weight="bold">Retrieve-then-read: answer-in-window recall vs tokens read per question</text>`];
  for (const r of [minRecall, (minRecall + 1) / 2, 0.95, 1]) parts.push(`<line x1="${left}" x2="${W - 10}" y1="${y(r)}" y2="${y(r)}" stroke="${r === 0.95 ? '#dc2626' : '#e5e7eb'}"/><text x="${left - 6}" y="${y(r) + 4}" font-size="11" text-anchor="end">${(100 * r).toFixed(0)}%</text>`);
  parts.push(`<line x1="${x(1152)}" x2="${x(1152)}" y1="${y(1)}" y2="${y(minRecall)}" stroke="#dc2626" stroke-dasharray="2 3"/>`);
  for (let t = 0; t <= 4; t++) parts.push(`<text x="${x((maxTokens * t) / 4)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${((maxTokens * t) / 4).toFixed(0)}</text>`);
  parts.push(`<text x="${(W + left) / 2}" y="${H - 8}" font-size="12" text-anchor="middle">mean tokens read per question (question + span + 3 per window); held-out solid, tuning dashed</text>`);
  const spans = [...new Set(points.map((p) => p.spanTokens))];
  spans.forEach((span, i) => {
    const c = colors[span] ?? '#6b7280';
    for (const half of ['held-out', 'tune'] as const) {
      const pts = points.filter((p) => p.spanTokens === span && p.half === half).sort((a, b) => a.meanTokensRead - b.meanTokensRead);
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${half === 'tune' ? ' stroke-dasharray="5 4"' : ''} points="${pts.map((p) => `${x(p.meanTokensRead)},${y(p.recall)}`).join(' ')}"/>`);
      if (half === 'held-out') for (const p of pts) parts.push(`<circle cx="${x(p.meanTokensRead)}" cy="${y(p.recall)}" r="3.5" fill="${c}"><title>${span}-token spans, budget ${p.budget.tokens} tokens (held-out): ${(100 * p.recall).toFixed(1)}%, ${p.meanTokensRead.toFixed(0)} tokens, ${p.meanWindowsRead.toFixed(1)} windows</title></circle>`);
    }
    parts.push(`<rect x="${left + 10 + i * 150}" y="34" width="10" height="10" fill="${c}"/><text x="${left + 24 + i * 150}" y="43" font-size="11">spans of ${span} tokens</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg>\n`;
}

/** Where the time goes, from this run's own figures. */
function limitsSection(r: BenchResults): string[] {
  const out: string[] = [];
  const at384 = (run: PerWindowSection | undefined) => run?.perWindow['384']?.median;
  const int8x2 = at384(lensRun(r, true, 2));
  const int8x1 = at384(lensRun(r, true, 1));
  const fp32x2 = at384(lensRun(r, false, 2));
  const fp32x1 = at384(lensRun(r, false, 1));
  const warm = r.browser?.pageQa?.warm?.median;
  const tokens = r.nodePageQa?.budget.tokens ?? 1024;
  if (int8x2 !== undefined && warm !== undefined) {
    out.push(`- **Model time dominates page QA.** The default reader (int8, 2 threads) reads at most ${tokens} tokens per question (short windows of question + context span): about ${ms((int8x2 * tokens) / 384)} at ${ms(int8x2)} per full 384-token window; the warm median is ${ms(warm)}. Extraction, tokenisation, retrieval, messaging and highlighting are the rest.`);
  }
  if (int8x1 !== undefined && fp32x1 !== undefined) {
    out.push(`- **int8** takes ${ratio(int8x1, fp32x1)} of fp32's time per window in the browser at 1 thread (${ratio(int8x2, fp32x2)} at 2 threads). The QA checkpoint is published as fp32 only, so the extension quantizes it on the device after the download (the same \`lens model quantize\` code, in the background); the precision setting in the options switches back to fp32.`);
  }
  const worker = r.browser?.pageQa?.alternatives?.find((x) => x.label.startsWith('service worker'))?.warm.median;
  if (worker !== undefined && warm !== undefined) {
    out.push(`- **Threads**: Chrome's service worker cannot start WebAssembly threads; the offscreen document runs 2. Page QA warm: ${ms(warm)} there vs ${ms(worker)} in the service worker (${ratio(warm, worker)}, the message hop to the offscreen document included). Per window, 2 threads take ${ratio(int8x2, int8x1)} of 1 thread's time (int8; fp32: ${ratio(fp32x2, fp32x1)}); the machine has 2 cores, so that is the ceiling here. Firefox has no offscreen documents and no cross-origin isolation, so 1 thread a session: it runs two sessions in Web Workers and splits a question's windows over them (Firefox ESR section).`);
  }
  const n = (k: string) => at384(r.native?.[k]);
  if (int8x2 !== undefined && n('int8-2') !== undefined) {
    const bestNativeInt8 = Math.min(n('int8-1') ?? Infinity, n('int8-2') ?? Infinity);
    out.push(`- **Browser vs native** at equal threads and weights: ${ratio(int8x2, n('int8-2'))} (int8, 2 threads), ${ratio(fp32x1, n('1'))} (fp32, 1 thread). Natively, int8 gains less from a second thread (${ms(n('int8-2'))} vs ${ms(n('int8-1'))} at 1 thread), so against native's fastest int8 the browser's default is ${ratio(int8x2, bestNativeInt8)}. What remains is the gap between onnxruntime-web's 128-bit WebAssembly SIMD kernels and the native MLAS kernels (AVX2/AVX-512/VNNI on this CPU).`);
  }
  const tjs = r.browser?.transformersJs;
  if (tjs?.pageQa && warm !== undefined) {
    // its int8 run at the threads it was measured with, against Lens's at the same threads
    const same = tjs.runs?.find((x) => isInt8(x));
    const threads = same?.threads ?? 1;
    out.push(`- **transformers.js** runs the same ONNX file on its own onnxruntime-web build: ${ms(at384(same))} per 384-token window vs ${ms(at384(lensRun(r, true, threads)))} for Lens (both int8, ${threadsText(threads)}). ${(tjs.pageQa.threads ?? 1) > 1 ? `In page QA it runs with ${threadsText(tjs.pageQa.threads ?? 1)} in an extension page (cross-origin isolated, as the offscreen document), so it is compared with the extension's default at equal threads.` : 'It is compared at 1 thread (against the extension\'s service-worker path) and against the extension\'s default.'} In the page QA comparison it is handed the retriever's windows (${tokens} tokens at most) directly, without page extraction or messaging; given a whole page it reads only the first 512 tokens. Per window transformers.js takes ${ratio(at384(same), at384(lensRun(r, true, threads)))} of Lens's time (the same onnxruntime-web kernels; the difference is noise and build), and it reads the same windows, so the end-to-end ratio (${ratio(tjs.pageQa.warm.median, threads === 1 ? worker : warm)}) is only what Lens does around the model (one length-bucketed batch instead of a pipeline call per window); a larger ratio at equal windows would need faster kernels than the shared runtime has.`);
  }
  const cold = r.browser?.pageQa?.cold?.median;
  if (cold !== undefined && warm !== undefined) {
    out.push(`- **Cold start** adds ${ms(cold - warm)} to a warm question: starting the worker and the offscreen document, compiling the 14 MB WebAssembly module, reading the cached int8 model and creating the session. The popup's prewarm overlaps this with typing; this figure is measured without it (question sent at once).`);
  }
  const bound = r.retrievalCurve?.earlyExitBound;
  out.push(`- **Early exit** (stop reading once a window's answer has span probability >= 0.9) cannot be measured here: random weights never reach that confidence, so every question reads the whole budget. ${bound ? `With trained weights the first step (the best windows up to 384 tokens) holds the answer for ${(100 * bound.recall).toFixed(0)}% of held-out questions (the curve below), which bounds the saving.` : ''}`);
  return out;
}

/** Checkpoints (model.safetensors): build time, same graph => same speed, and the compact QA option. */
function checkpointSection(c: CheckpointSection, browser: BrowserSection | undefined): string[] {
  const cell = (s: Record<string, Stats>, k: string) => ms(s[k]?.median);
  const row = (name: string, s: Record<string, Stats>) => `| ${name} | ${cell(s, '128')} | ${cell(s, '256')} | ${cell(s, '384')} | ${cell(s, '4x384')} |`;
  const out = ['## Checkpoints (model.safetensors without ONNX)', ''];
  out.push(`Full-size MobileBERT QA as a ${mb(c.safetensorsBytes)} \`model.safetensors\`: the graph built from it in Node in ${ms(c.buildMs)}, quantized to int8 in ${ms(c.int8Ms)}. The built graph (nodes, initializers, inputs, outputs) is ${c.sameGraphAsOnnx ? 'byte for byte the graph `lens model make` writes as ONNX: the same operators and weights, so it runs at the same speed' : '**not** the same as the ONNX made directly'}. Measured anyway, fp32, 1 thread, onnxruntime-web in Node:`, '');
  out.push('| loaded from | 128 tokens | 256 tokens | 384 tokens | 4 x 384 |', '|---|---|---|---|---|');
  out.push(row('onnx/model.onnx', c.fromOnnx), row('model.safetensors (built on load)', c.fromCheckpoint));
  out.push(`| checkpoint / ONNX | ${ratio(c.fromCheckpoint['128']?.median, c.fromOnnx['128']?.median)} | ${ratio(c.fromCheckpoint['256']?.median, c.fromOnnx['256']?.median)} | ${ratio(c.fromCheckpoint['384']?.median, c.fromOnnx['384']?.median)} | ${ratio(c.fromCheckpoint['4x384']?.median, c.fromOnnx['4x384']?.median)} |`, '');
  const sw = browser?.checkpointInstall as { buildMs?: number; int8Ms?: number } | undefined;
  if (sw?.buildMs !== undefined) out.push(`In Chromium's service worker (the extension's install step, full-size model from a local hub): build ${ms(sw.buildMs)}, int8 ${ms(sw.int8Ms)}.`, '');
  out.push(`The compact QA option (BERT-Tiny, ${(c.compact.parameters / 1e6).toFixed(1)} M parameters, ${mb(c.compact.safetensorsBytes)} checkpoint, ${mb(c.compact.int8Bytes)} int8) against MobileBERT, both int8, 1 thread:`, '');
  out.push('| model | 128 tokens | 256 tokens | 384 tokens | 4 x 384 |', '|---|---|---|---|---|');
  out.push(row('MobileBERT (24.6 M)', c.mobilebertInt8), row('BERT-Tiny (4.4 M)', c.compact.perWindow));
  out.push(`| BERT-Tiny / MobileBERT | ${ratio(c.compact.perWindow['128']?.median, c.mobilebertInt8['128']?.median)} | ${ratio(c.compact.perWindow['256']?.median, c.mobilebertInt8['256']?.median)} | ${ratio(c.compact.perWindow['384']?.median, c.mobilebertInt8['384']?.median)} | ${ratio(c.compact.perWindow['4x384']?.median, c.mobilebertInt8['4x384']?.median)} |`, '');
  return out;
}

function retrievalSection(c: RetrievalSection): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const out = ['## Retrieve-then-read trade-off', '', '![recall vs tokens read](performance-curve.svg)', ''];
  out.push(`Answer-in-window recall on SQuAD v1.1 dev (weight-independent): the gold answer lies inside a window read. The ranker (src/engine/qa/ranker.ts) was tuned on articles 0-23 (${c.tune.questions} questions) only; articles 24-47 (${c.heldOut.questions} questions) are held out. Tokens read: the real length of every window read, [CLS] question [SEP] span [SEP], no padding (batches are bucketed by length). Default: ${c.spanTokens}-token spans, at most ${c.budget.tokens} tokens per question.`, '');
  out.push('| default settings | recall | tokens read, mean / max | windows read, mean |', '|---|---|---|---|');
  out.push(`| tuning articles 0-23 | ${pct(c.tune.recall)} | ${c.tune.meanTokensRead.toFixed(0)} / ${c.tune.maxTokensRead} | ${c.tune.meanWindowsRead.toFixed(1)} |`);
  out.push(`| held-out articles 24-47 | ${pct(c.heldOut.recall)} | ${c.heldOut.meanTokensRead.toFixed(0)} / ${c.heldOut.maxTokensRead} | ${c.heldOut.meanWindowsRead.toFixed(1)} |`);
  out.push(`| held-out, early-exit bound: first step only | ${pct(c.earlyExitBound.recall)} | ${c.earlyExitBound.meanTokensRead.toFixed(0)} / ${c.earlyExitBound.maxTokensRead} | ${c.earlyExitBound.meanWindowsRead.toFixed(1)} |`, '');
  out.push(`Early exit stops after the first step (the best windows up to 384 tokens) when a window is sure of its answer; random weights never are, so the bench reads the whole budget. The bound: a reader sure after the first step would read ${(100 * (1 - c.earlyExitBound.meanTokensRead / c.heldOut.meanTokensRead)).toFixed(0)}% fewer tokens. Best ${c.topWindows.map((t) => `${t.windows}: ${pct(t.recall)}`).join(', ')} (held-out, windows of ${c.spanTokens}-token spans). Before (BM25 over fixed 317-token spans, measured on the same held-out articles with the code of 2026-12-02): best 1: 80.8%, 2: 88.7%, 3: 92.3%, 6: 96.1% at 1,558 real tokens per question (2,304 padded to 384).`, '');
  // one row per half and span size; each cell: recall, mean tokens read, mean windows read
  const budgets = [...new Set(c.points.map((p) => p.budget.tokens ?? 0))];
  out.push('Recall / mean tokens read / mean windows read, by token budget:', '');
  out.push(`| half | span tokens | ${budgets.join(' | ')} |`, `|---|---|${budgets.map(() => '---|').join('')}`);
  for (const half of ['tune', 'held-out'] as const) {
    for (const span of [...new Set(c.points.map((p) => p.spanTokens))]) {
      const cells = budgets.map((b) => c.points.find((p) => p.half === half && p.spanTokens === span && p.budget.tokens === b)).map((p) => (p ? `${pct(p.recall)} / ${p.meanTokensRead.toFixed(0)} / ${p.meanWindowsRead.toFixed(1)}` : '–'));
      out.push(`| ${half} | ${span} | ${cells.join(' | ')} |`);
    }
  }
  out.push('');
  return out;
}

export function renderReport(r: BenchResults): string {
  const rows = perWindowRows(r);
  const lines: string[] = [];
  const lensDefault = lensRun(r, true, 2)?.perWindow['384']?.median;
  const nativeDefault = r.native?.['int8-2']?.perWindow['384']?.median;
  const warm = r.browser?.pageQa?.warm?.median;
  const cold = r.browser?.pageQa?.cold?.median;
  const tjs = r.browser?.transformersJs?.pageQa?.warm.median;
  const heldOut = r.retrievalCurve?.heldOut;

  lines.push('# Performance', '');
  lines.push(`Measured by \`npm run bench\` on ${r.date.slice(0, 10)}: ${r.machine.cpus} cores (${r.machine.cpuModel}), Node ${r.machine.node}; ${r.config.trials} trials after up to ${r.config.warmupMs / 1000} s of warm-up; median (p95). Full-size MobileBERT (24.6 M parameters, random weights: latency does not depend on them), fp32 and int8 (\`lens model quantize\`, as the extension quantizes on the device). The extension's default in Chrome: int8, 2 WebAssembly threads in the offscreen document. All figures below come from this one run (\`bench/results/${r.date.slice(0, 10)}.json\`); this machine is noisy, so compare figures only within a run.`, '');
  lines.push('## Goals', '', '| goal | measured | target | verdict |', '|---|---|---|---|');
  lines.push(goalRow('page QA, warm, Chromium, default budget (median)', ms(warm), '<= 1.0 s', warm === undefined ? undefined : warm <= 1000, warm === undefined ? '' : `${(warm / 1000).toFixed(2)}x the target`));
  lines.push(goalRow('held-out answer-in-window recall at the default budget (SQuAD articles 24-47)', heldOut ? `${(100 * heldOut.recall).toFixed(1)}% (tuning articles: ${(100 * (r.retrievalCurve?.tune.recall ?? 0)).toFixed(1)}%)` : '–', '>= 95%', heldOut === undefined ? undefined : heldOut.recall >= 0.95, heldOut ? `by ${(95 - 100 * heldOut.recall).toFixed(1)} points` : ''));
  lines.push(goalRow('tokens read per question vs 6 x 384 before (held-out, mean / max)', heldOut ? `${heldOut.meanTokensRead.toFixed(0)} / ${heldOut.maxTokensRead} (${(heldOut.meanTokensRead / 2304).toFixed(2)}x of 2,304)` : '–', '<= 1,152 (3 windows\' worth)', heldOut === undefined ? undefined : heldOut.maxTokensRead <= 1152, heldOut ? `max ${heldOut.maxTokensRead - 1152} over` : ''));
  lines.push(goalRow('per-window latency, browser / native, 384 tokens, same weights (int8) and threads (2)', ratio(lensDefault, nativeDefault), '<= 2x', lensDefault === undefined || nativeDefault === undefined ? undefined : lensDefault / nativeDefault <= 2, lensDefault && nativeDefault ? `${(lensDefault / nativeDefault / 2).toFixed(2)}x over` : ''));
  const lens1 = r.browser?.pageQa?.alternatives?.find((x) => x.label.startsWith('service worker'))?.warm.median;
  // equal threads: transformers.js at 1 thread against the service worker path, at 2+ against the default (offscreen, 2 threads)
  const tjsThreads = r.browser?.transformersJs?.pageQa?.threads ?? 1;
  const lensSame = tjsThreads === 1 ? lens1 : warm;
  lines.push(goalRow(`transformers.js / Lens, page QA end to end (same int8 model, ${threadsText(tjsThreads)} each)`, ratio(tjs, lensSame), '>= 1.5x', tjs === undefined || lensSame === undefined ? undefined : tjs / lensSame >= 1.5, tjs && lensSame ? `${(tjs / lensSame / 1.5).toFixed(2)}x of the target ratio` : ''));
  if (tjsThreads === 1) lines.push(goalRow('transformers.js (1 thread) / Lens default (2 threads), page QA end to end', ratio(tjs, warm), '>= 1.5x', tjs === undefined || warm === undefined ? undefined : tjs / warm >= 1.5));
  const ex = r.browser?.extraction;
  // a row measured on its own after the run (bench/browser/extraction.ts run directly) says when
  const exWhen = ex?.measuredAt ? `, measured ${ex.measuredAt.slice(0, 10)} on its own` : '';
  lines.push(goalRow(`page extraction, ${ex ? `${ex.elements.toLocaleString('en')}-element page (${Math.round(ex.chars / 1000)}k characters read, ${ex.reading})` : '10,000-element page'}, Chromium, a full read each time (median${exWhen})`, ms(ex?.ms.median), '<= 300 ms', ex === undefined ? undefined : ex.ms.median <= 300, ex === undefined ? '' : `${(ex.ms.median / 300).toFixed(2)}x the target`));
  lines.push(...realPagesGoalRows(r.pages, goalRow));
  lines.push(...pdfGoalRows(r.pdf, goalRow));
  lines.push(goalRow('first answer after the background starts (model cached)', ms(cold), '<= 2.5 s', cold === undefined ? undefined : cold <= 2500, cold === undefined ? '' : `${(cold / 2500).toFixed(2)}x the target`));
  lines.push(...pageQaSampleGoalRows(pageQaSampleOf(r), goalRow));
  lines.push(...firefoxGoalRows(r.firefox, goalRow));
  lines.push(...leanGoalRows(r, goalRow));
  lines.push('');

  const limits = limitsSection(r);
  if (limits.length) lines.push('## What limits it', '', ...limits, '');

  lines.push(...leanSection(r));
  lines.push('## Per-window latency', '', '![per-window latency](performance-chart.svg)', '');
  lines.push('| runtime | load | 128 tokens | 256 tokens | 384 tokens | 4 x 384, batched |', '|---|---|---|---|---|---|');
  for (const { name, s } of rows) {
    const cell = (k: string) => (s.perWindow[k] ? `${ms(s.perWindow[k].median)} (${ms(s.perWindow[k].p95)})` : '–');
    lines.push(`| ${name} | ${ms(s.loadMs)} | ${cell('128')} | ${cell('256')} | ${cell('384')} | ${cell('4x384')} |`);
  }
  lines.push('');

  if (r.browser?.pageQa || r.nodePageQa || r.firefox) {
    lines.push('## Page QA end to end', '');
    lines.push('| where | questions | default budget | full scan of every window |', '|---|---|---|---|');
    if (r.browser?.pageQa) lines.push(`| Chromium, through the extension's background (warm) | ${r.browser.pageQa.questions ?? '–'} | ${ms(r.browser.pageQa.warm?.median)} (${ms(r.browser.pageQa.warm?.p95)}) | ${ms(r.browser.pageQa.warmFullScan?.median)} |`);
    for (const alt of r.browser?.pageQa?.alternatives ?? []) lines.push(`| Chromium, warm, ${alt.label} | | ${ms(alt.warm.median)} (${ms(alt.warm.p95)}) | |`);
    if (r.browser?.pageQa?.cold) lines.push(`| Chromium, first question after the background starts (cold, model cached) | | ${ms(r.browser.pageQa.cold.median)} (${ms(r.browser.pageQa.cold.p95)}) | |`);
    const tq = r.browser?.transformersJs?.pageQa;
    if (tq) lines.push(`| transformers.js question-answering pipeline, same browser${tq.dtype ? `, ${tq.dtype}, ${threadsText(tq.threads ?? 1)}` : ''} | | ${ms(tq.warm.median)} (${ms(tq.warm.p95)}) | |`);
    lines.push(...firefoxPageQaRows(r.firefox));
    if (r.nodePageQa) lines.push(`| Node, onnxruntime-web (engine only) | ${r.nodePageQa.questions} | ${ms(r.nodePageQa.withBudget.median)} (${ms(r.nodePageQa.withBudget.p95)}) | ${ms(r.nodePageQa.fullScan.median)} (${r.nodePageQa.meanWindowsPerPage.toFixed(1)} windows per page) |`);
    if (r.browser?.transformersJs?.pageQa?.note) lines.push('', r.browser.transformersJs.pageQa.note);
    lines.push('');
  }

  lines.push(...pageQaSampleSection(pageQaSampleOf(r)));

  const sample = r.browser?.pageQaSample as { warm?: Stats; articles?: number } | undefined;
  lines.push(
    ...realPagesSection(r.pages, {
      ...(ex ? { extraction: { elements: ex.elements, ms: ex.ms } } : {}),
      squadQa: [
        ...(r.browser?.pageQa?.warm ? [{ label: 'SQuAD article pages, warm, default settings', questions: r.browser.pageQa.questions, warm: r.browser.pageQa.warm }] : []),
        ...(sample?.warm?.n ? [{ label: `SQuAD article pages, the large warm sample (${sample.articles ?? '?'} articles)`, warm: sample.warm }] : []),
      ],
    }),
  );

  lines.push(...pdfSection(r.pdf));

  lines.push(...firefoxSection(r.firefox));

  if (r.retrievalCurve) lines.push(...retrievalSection(r.retrievalCurve));

  if (r.browser?.extension?.memory || r.browser?.packageBytes || r.browser?.downloadBytes) {
    lines.push('## Memory and size', '');
    for (const [k, v] of Object.entries(r.browser?.extension?.memory ?? {})) lines.push(`- ${k}: ${typeof v === 'number' ? mb(v) : v}`);
    if (r.browser?.packageBytes) lines.push(`- extension package (dist/chrome): ${mb(r.browser.packageBytes)}`);
    if (r.browser?.installMs) lines.push(`- QA model install through the extension (download from a local hub, sha256, storing, and quantizing to int8 on the device): ${ms(r.browser.installMs)}`);
    for (const [k, v] of Object.entries(r.browser?.downloadBytes ?? {})) lines.push(`- download, ${k}: ${mb(v)}`);
    lines.push('');
  }
  if (r.int8) {
    const q = r.int8.nodeWeb.perWindow;
    const f = r.nodeWeb?.perWindow;
    lines.push('## int8 (dynamic quantization; the lean graph: MatMulIntegerToFloat, QAttention)', '');
    lines.push(`\`lens model quantize\`: ONNX ${mb(r.int8.fp32OnnxBytes)} -> ${mb(r.int8.onnxBytes)}. Same runtime (onnxruntime-web wasm in Node, 1 thread), same run:`, '');
    lines.push('| variant | 128 tokens | 256 tokens | 384 tokens | 4 x 384 |', '|---|---|---|---|---|');
    const cell = (s: Record<string, Stats> | undefined, k: string) => ms(s?.[k]?.median);
    lines.push(`| fp32 | ${cell(f, '128')} | ${cell(f, '256')} | ${cell(f, '384')} | ${cell(f, '4x384')} |`);
    lines.push(`| int8 | ${cell(q, '128')} | ${cell(q, '256')} | ${cell(q, '384')} | ${cell(q, '4x384')} |`);
    lines.push(`| int8 / fp32 | ${ratio(q['128']?.median, f?.['128']?.median)} | ${ratio(q['256']?.median, f?.['256']?.median)} | ${ratio(q['384']?.median, f?.['384']?.median)} | ${ratio(q['4x384']?.median, f?.['4x384']?.median)} |`, '');
    lines.push('Output agreement with fp32 is checked by tests/quantize.test.ts (tiny model, always; full-size with `LENS_QUANTIZE_FULL=1`: on 50 SQuAD windows, max |logit diff| 1.0e-3, mean 2.1e-4 = 1.9% of the logit spread, same best span 47/50 with random weights, whose near-flat logits make ties common).', '');
  }
  if (r.checkpoints) lines.push(...checkpointSection(r.checkpoints, r.browser));
  lines.push(...webGpuSection(r.browser?.webgpu as WebGpuBench | undefined, r.browser?.extension?.perWindow));
  return `${lines.join('\n')}\n`;
}

/**
 * The README with its headline table (between <!-- headline:start --> and <!-- headline:end -->) replaced by the
 * report's Goals table, so the two never disagree.
 */
export function withHeadline(readme: string, report: string): string {
  const start = '<!-- headline:start -->';
  const end = '<!-- headline:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the README has no ${start} ... ${end} block for the headline table`);
  const goals = report.split('\n## Goals\n')[1]?.split('\n\n').map((block) => block.trim()).find((block) => block.startsWith('| goal |'));
  if (!goals) throw new Error('the report has no Goals table');
  return `${readme.slice(0, from + start.length)}\n${goals}\n${readme.slice(to)}`;
}

/** docs/PERFORMANCE.md and its charts; with `readmePath`, the README's headline table too. */
export function writeReport(results: BenchResults, docsDir: string, readmePath?: string): void {
  mkdirSync(docsDir, { recursive: true });
  const report = renderReport(results);
  writeFileSync(join(docsDir, 'PERFORMANCE.md'), report);
  if (readmePath) writeFileSync(readmePath, withHeadline(readFileSync(readmePath, 'utf8'), report));
  writeFileSync(join(docsDir, 'performance-chart.svg'), barChart(perWindowRows(results).filter((row) => row.chart)));
  if (results.retrievalCurve?.points.length) writeFileSync(join(docsDir, 'performance-curve.svg'), curveChart(results.retrievalCurve.points));
}
