// The report's part for bench/browser/page-qa-sample.ts: its Goals rows (page QA warm median and p95 over the
// large sample, cold first answer, memory growth) and a section with the cold-start breakdown and memory points.
import type { PageQaSample, PhaseSpan } from './browser/page-qa-sample.js';

const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
const mb = (b: number | string) => (typeof b === 'number' ? `${(b / 1e6).toFixed(1)} MB` : b);

type GoalRow = (name: string, measured: string, goal: string, met: boolean | undefined, by?: string) => string;

/** Goals rows; goalRow is report.ts's, so the table stays one format. */
export function pageQaSampleGoalRows(s: PageQaSample | undefined, goalRow: GoalRow): string[] {
  if (!s) return [goalRow('page QA, warm, Chromium, default settings, >= 200 questions (median)', '–', '<= 500 ms', undefined)];
  const warm = s.warm.n ? s.warm : undefined;
  const cold = s.cold.n ? s.cold : undefined;
  const over = (v: number, target: number) => `${(v / target).toFixed(2)}x the target`;
  const growth = s.memoryGrowth;
  return [
    goalRow(`page QA, warm, Chromium, default settings, ${s.warm.n} questions from ${s.articles} articles (median)`, ms(warm?.median), '<= 500 ms', warm && warm.median <= 500, warm ? over(warm.median, 500) : ''),
    goalRow(`page QA, warm, Chromium, same ${s.warm.n} questions (p95)`, ms(warm?.p95), '<= 800 ms', warm && warm.p95 <= 800, warm ? over(warm.p95, 800) : ''),
    goalRow(`cold first answer, Chromium (model cached, worker and offscreen document stopped; median of ${s.cold.n})`, ms(cold?.median), '<= 1.2 s', cold && cold.median <= 1200, cold ? over(cold.median, 1200) : ''),
    goalRow(
      'memory after 100 questions vs after the first (offscreen document, measureUserAgentSpecificMemory)',
      typeof growth === 'number' ? `${growth >= 0 ? '+' : ''}${(100 * growth).toFixed(1)}%` : growth,
      '<= +10%',
      typeof growth === 'number' ? growth <= 0.1 : undefined,
      typeof growth === 'number' ? `${(100 * (growth - 0.1)).toFixed(1)} points over` : '',
    ),
  ];
}

/** The section: sample, cold-start breakdown, memory points. */
export function pageQaSampleSection(s: PageQaSample | undefined): string[] {
  if (!s) return [];
  const lines = ['## Page QA over a large sample, cold start and memory', '', s.note, ''];
  lines.push('| | questions | median | p95 |', '|---|---|---|---|');
  lines.push(`| warm | ${s.warm.n} | ${ms(s.warm.median)} | ${ms(s.warm.p95)} |`);
  lines.push(`| cold (first answer after the background starts) | ${s.cold.n} | ${ms(s.cold.median)} | ${ms(s.cold.p95)} |`, '');
  const spanTable = (spans: readonly PhaseSpan[], intro: string) => {
    if (!spans.length) return;
    const total = spans.find((x) => x.label === 'total')?.median;
    lines.push(intro, '', '| span | from | to | questions | median | of the total |', '|---|---|---|---|---|---|');
    for (const x of spans) lines.push(`| ${x.label} | \`${x.from}\` | \`${x.to}\` | ${x.n} | ${ms(x.median)} | ${total ? `${((100 * x.median) / total).toFixed(0)}%` : '–'} |`);
    lines.push('');
  };
  spanTable(s.warmSpans ?? [], 'Where a warm question goes (the profile behind the warm figures; each span: median over the warm questions that have both marks, from the extension\'s timeline marks):');
  spanTable(s.coldSpans, 'Where a cold start goes (each span: median over the cold questions, from the extension\'s timeline marks; spans overlap where the work runs in parallel, so they do not add up to the total):');
  lines.push(
    'What the cold path does now, and what was ruled out:',
    '',
    '- The offscreen document starts onnxruntime-web\'s WebAssembly runtime (compile, instantiate, threads) as its script runs, and the model load reads the ONNX file from Cache Storage and parses the vocabulary meanwhile; the first question of a worker\'s life starts the model load while the content script reads the page. These overlaps gain where cores are idle; on a saturated 2-core machine the same CPU work only moves.',
    '- The offscreen document (reason WORKERS) is not closed when the service worker stops, so after the first load a question pays none of this until the browser restarts; the popup prewarms the model when it opens.',
    '- A pre-optimized model saved after the first session is not possible with onnxruntime-web 1.30: its WebAssembly build has no file system, `optimizedModelFilePath` crashes in Emscripten\'s fd_write stub ("Cannot read properties of null (reading \'push\')"), and the optimized-model output needs the build flag onnxruntime_ENABLE_WEBASSEMBLY_OUTPUT_OPTIMIZED_MODEL (microsoft/onnxruntime#14355). ORT-format models load in onnxruntime-web, but only onnxruntime\'s native tools write them, and the QA model is quantized on the device.',
    '- A compiled WebAssembly.Module cannot be stored in IndexedDB (serialization was removed from browsers); Chrome\'s own WebAssembly code cache works for HTTP-cached `compileStreaming` responses, which extension resources are not.',
    '- Session creation is what is left (the "model load, start to session ready" span above). `node --import tsx bench/session-create.ts` (int8 model, onnxruntime-web 1.30 in Node, 1 thread, 2026-12-02): about 0.8 s whatever the session options: \'all\' and \'extended\' 0.78-0.85 s, no memory arena, no memory pattern or no weight prepacking within noise of it, \'basic\' and \'disabled\' 2.8-3.1 s (the int8 graph unfused has several times the nodes), so it stays \'all\'. With LOG=1, onnxruntime\'s verbose log puts about 0.5 s of it between `CreateGraphPartitioner` (allocation_planner.cc) and `SaveInitializedTensors`: planning the 1,354 nodes left after fusion, work that grows with the node count. That measurement was of the graph as exported; the lean graph, the default now, leaves fewer nodes, and "The lean graph" below counts them and times its session creation against the exported graph in the same run.',
    '',
  );
  if (s.memory.length) {
    lines.push('Memory of the offscreen document (it runs the model), counted from its start:', '');
    lines.push('| after questions | measureUserAgentSpecificMemory | JS heap used | prepared pages kept |', '|---|---|---|---|');
    for (const m of s.memory) lines.push(`| ${m.afterQuestions} | ${mb(m.memory.uaSpecificBytes)} | ${mb(m.memory.jsHeapUsedBytes)} | ${m.memory.preparedPages} |`);
    lines.push('');
  }
  return lines;
}
