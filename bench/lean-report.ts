// The lean graph (src/engine/graph/lean.ts) against today's (the exported graph) in one run: node counts, session
// creation and per-window latency in Chromium, browser / native, and the page QA figures it is meant to move.
import type { GraphNodes } from './graph-nodes.js';
import type { BenchResults, PerWindowSection, VariantRun } from './report.js';

export type GraphKindLabel = 'today' | 'lean';
export const GRAPH_LABELS: readonly GraphKindLabel[] = ['today', 'lean'];

type GoalRow = (name: string, measured: string, goal: string, met: boolean | undefined, by?: string) => string;

const ms = (v: number | undefined) => (v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const times = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const x = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)}x`);

/** A run's graph: runs from before the lean graph have none and ran today's. */
export function graphOf(run: VariantRun): GraphKindLabel {
  return run.graph === 'lean' ? 'lean' : 'today';
}

const isInt8 = (run: VariantRun) => run.variant === 'quantized' || run.dtype === 'q8';

export function engineRun(r: BenchResults, graph: GraphKindLabel, int8: boolean, threads: number): VariantRun | undefined {
  return r.browser?.extension?.runs?.find((run) => graphOf(run) === graph && isInt8(run) === int8 && run.threads === threads);
}

const at384 = (s: PerWindowSection | undefined) => s?.perWindow['384']?.median;

export function leanGoalRows(r: BenchResults, goalRow: GoalRow): string[] {
  if (!r.graphNodes && !engineRun(r, 'lean', true, 2)) return [];
  const rows: string[] = [];
  const nodesToday = r.graphNodes?.['today int8']?.optimized;
  const nodesLean = r.graphNodes?.['lean int8']?.optimized;
  const nodeShare = times(nodesLean, nodesToday);
  rows.push(goalRow('graph nodes after onnxruntime\'s optimisation, int8 (the default): lean / today', nodesLean === undefined || nodesToday === undefined ? '–' : `${nodesLean.toLocaleString('en')} / ${nodesToday.toLocaleString('en')} (${x(nodeShare)})`, '<= 1/3', nodeShare === undefined ? undefined : nodeShare <= 1 / 3, nodeShare === undefined ? '' : `${(nodeShare * 3).toFixed(2)}x the target share`));
  const today = engineRun(r, 'today', true, 2);
  const lean = engineRun(r, 'lean', true, 2);
  const speedup = times(at384(today), at384(lean));
  rows.push(goalRow('per-window latency, int8, Chromium, 2 threads, 384 tokens: today / lean', `${x(speedup)} (${ms(at384(today))} -> ${ms(at384(lean))})`, '>= 1.3x', speedup === undefined ? undefined : speedup >= 1.3, speedup === undefined ? '' : `${(speedup / 1.3).toFixed(2)}x of the target ratio`));
  const create = times(today?.reloadMs, lean?.reloadMs);
  rows.push(goalRow('session creation, int8, Chromium, 2 threads (model load with the runtime started): today / lean', `${x(create)} (${ms(today?.reloadMs)} -> ${ms(lean?.reloadMs)})`, '>= 2x', create === undefined ? undefined : create >= 2, create === undefined ? '' : `${(create / 2).toFixed(2)}x of the target ratio`));
  const nativeBest = Math.min(...['int8-2', 'lean-int8-2', '2', 'lean-2'].map((k) => at384(r.native?.[k]) ?? Infinity));
  const browserNative = Number.isFinite(nativeBest) ? times(at384(lean), nativeBest) : undefined;
  rows.push(goalRow('per-window latency, browser (lean int8, 2 threads) / native (its fastest graph and precision, 2 threads), 384 tokens', x(browserNative), '<= 2.5x', browserNative === undefined ? undefined : browserNative <= 2.5, browserNative === undefined ? '' : `${(browserNative / 2.5).toFixed(2)}x over`));
  const sample = r.browser?.pageQaSample as { warm?: { median: number } } | undefined;
  const warm = sample?.warm?.median;
  rows.push(goalRow('page QA, warm, Chromium, 200 questions from 48 articles, lean graph (median)', ms(warm), '<= 400 ms', warm === undefined ? undefined : warm <= 400, warm === undefined ? '' : `${(warm / 400).toFixed(2)}x the target`));
  const firefox = r.firefox?.sample?.warm.median;
  rows.push(goalRow('page QA, warm, Firefox ESR, the same 200 questions, lean graph (median)', ms(firefox), '<= 500 ms', firefox === undefined ? undefined : firefox <= 500, firefox === undefined ? '' : `${(firefox / 500).toFixed(2)}x the target`));
  return rows;
}

export function leanSection(r: BenchResults): string[] {
  if (!r.graphNodes && !engineRun(r, 'lean', true, 2)) return [];
  const out = ['## The lean graph', ''];
  out.push(
    'The graph every model gets by default (src/engine/graph/lean.ts): NoNorm folded into the dense layers, the shared query/key bottleneck composed into one q|k|v projection, one onnxruntime Attention node a layer, dense layers as Gemm with the residual as C; int8: Gemm as MatMulIntegerToFloat, Attention as QAttention (src/engine/quantize.ts). "Today" is the graph shaped as PyTorch\'s exporter writes it (what the hub serves; `lens model make --graph exported`), same weights (seed 42). The extension rebuilds a downloaded ONNX file as the lean graph at install. Session creation: the engine page\'s second model load (the WebAssembly runtime already started: what is left is onnxruntime creating the session, plus parsing the vocabulary).',
    '',
    '| graph | nodes in the file | after onnxruntime\'s optimisation | session creation, Chromium, 2 threads | 128 tokens | 384 tokens | 4 x 384 |',
    '|---|---|---|---|---|---|---|',
  );
  for (const graph of GRAPH_LABELS) {
    for (const int8 of [false, true]) {
      const label = `${graph} ${int8 ? 'int8' : 'fp32'}`;
      const nodes = r.graphNodes?.[label];
      const run = engineRun(r, graph, int8, 2);
      const cell = (k: string) => ms(run?.perWindow[k]?.median);
      out.push(`| ${label} | ${nodes?.nodes.toLocaleString('en') ?? '–'} | ${nodes?.optimized.toLocaleString('en') ?? '–'} | ${ms(run?.reloadMs)} | ${cell('128')} | ${cell('384')} | ${cell('4x384')} |`);
    }
  }
  out.push('');
  for (const [label, nodes] of Object.entries(r.graphNodes ?? {})) {
    out.push(`- ${label}, ops after optimisation: ${Object.entries(nodes.ops).map(([op, n]) => `${op} ${n}`).join(', ')}`);
  }
  out.push(
    '',
    'What the graph does not change, and so where targets are missed:',
    '',
    "- int8 node count: onnxruntime's MatMulIntegerToFloat has no residual input (Gemm's C is one in fp32), so each dense layer that feeds the residual stream keeps an Add after it, and each activation read by int8 layers keeps its DynamicQuantizeLinear; no onnxruntime-web WebAssembly kernel takes the residual into the int8 product.",
    "- per-window time: most of a window is the int8 matrix products themselves (onnxruntime's profiler, Node, 1 thread, 384 tokens: the QAttention nodes take about what the exported graph's projections and attention ops took), which fewer nodes do not make faster (fp32 no more than int8); what fewer nodes save is session creation.",
    "- browser / native: the same graph and weights, so the ratio is WebAssembly's kernels (128-bit SIMD, no VNNI or AVX) against native onnxruntime's, not the graph.",
    '',
  );
  return out;
}

export type { GraphNodes };
