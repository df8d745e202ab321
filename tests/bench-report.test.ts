// The README's headline table is regenerated from the bench report (bench/report.ts withHeadline); the PDF rows and section.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PdfSection } from '../bench/pdf-report.js';
import { renderReport, withHeadline, type BenchResults } from '../bench/report.js';

test('the README headline is the report\'s Goals table, between the markers; no markers is a clear error', () => {
  const report = '# Performance\n\nintro\n\n## Goals\n\n| goal | measured | target | verdict |\n|---|---|---|---|\n| a | 1 | 2 | met |\n\n## What limits it\n\n- x\n';
  const readme = 'head\n<!-- headline:start -->\n| old |\n<!-- headline:end -->\ntail\n';
  assert.equal(withHeadline(readme, report), 'head\n<!-- headline:start -->\n| goal | measured | target | verdict |\n|---|---|---|---|\n| a | 1 | 2 | met |\n<!-- headline:end -->\ntail\n');
  assert.throws(() => withHeadline('no markers', report), /no <!-- headline:start --> \.\.\. <!-- headline:end --> block/);
  assert.throws(() => withHeadline(readme, '# Performance\n'), /no Goals table/);
});

// PDFs in the Lens reader (issue 18): two Goals rows judged on the medians, and the report's section.
const spreadOf = (median: number, n: number) => ({ median, p95: median * 1.3, min: median * 0.8, mean: median, n, p90: median * 1.2, max: median * 1.4 });

function pdfResults(readIndexMedian: number | undefined, warmMedian: number): BenchResults {
  const base: BenchResults = { date: '2026-12-08T00:00:00Z', quick: false, machine: { cpus: 2, cpuModel: 'x', node: 'v20' }, config: { trials: 3, warmupMs: 1000, articles: [0] } };
  const pdf: PdfSection = {
    browser: 'Chromium 140',
    note: 'How it was measured.',
    pdf: { pages: 50, bytes: 150_000, chars: 61_234, pageTokens: 12_345 },
    warmup: { ms: 20_000, opens: 3, asks: 6 },
    opens: {
      n: 10,
      read: spreadOf(900, 10),
      ...(readIndexMedian === undefined ? {} : { index: spreadOf(readIndexMedian - 900, 10), readIndex: spreadOf(readIndexMedian, 10) }),
      firstQuestion: spreadOf(1500, 10),
      samples: [],
      failures: [],
    },
    warm: { n: 20, ms: spreadOf(warmMedian, 20), backgroundMs: spreadOf(warmMedian - 20, 20), windowsRead: spreadOf(3, 20), pageTokensRead: spreadOf(900, 20), warmupAsks: 2, samples: [], failures: [] },
  };
  return { ...base, pdf };
}

const row = (md: string, start: string) => md.split('\n').find((l) => l.startsWith(start)) ?? '';

test('the PDF goals: read and indexed within 2 s and a warm question within 500 ms, judged on the medians', () => {
  const met = renderReport(pdfResults(1500, 450));
  assert.match(row(met, '| 50-page text PDF read and indexed'), /^\| 50-page text PDF read and indexed, Lens reader, Chromium, 10 fresh opens, model warm \(median\) \| 1\.50 s \(read 900 ms \+ index 600 ms; p90 1\.80 s\) \| <= 2 s \| met \|$/);
  assert.match(row(met, '| warm question on a PDF'), /^\| warm question on a PDF, Lens reader, Chromium, 20 questions on different pages of the 50-page PDF, asking to answer \(median\) \| 450 ms \(p90 540 ms\) \| <= 500 ms \| met \|$/);
  const missed = renderReport(pdfResults(2500, 600));
  assert.match(row(missed, '| 50-page text PDF read and indexed'), /\| missed \(1\.25x the target\) \|$/);
  assert.match(row(missed, '| warm question on a PDF'), /\| missed \(1\.20x the target\) \|$/);
  // no indexing marked: the read alone is shown, and no verdict is made up
  assert.match(row(renderReport(pdfResults(undefined, 450)), '| 50-page text PDF read and indexed'), /\| read 900 ms, index not marked \| <= 2 s \| not measured \|$/);
  // a run without the section: both rows say so
  const none = renderReport({ ...pdfResults(1500, 450), pdf: undefined });
  assert.match(row(none, '| 50-page text PDF read and indexed'), /\| – \| <= 2 s \| not measured \|$/);
  assert.match(row(none, '| warm question on a PDF'), /\| – \| <= 500 ms \| not measured \|$/);
  assert.ok(!none.includes('## PDFs in the Lens reader'));
});

test('the PDF section: the method note, each step\'s row, the verdicts, and when it was measured on its own', () => {
  const r = pdfResults(1500, 600);
  const md = renderReport(r);
  assert.ok(md.includes('## PDFs in the Lens reader\n\nHow it was measured.\n'));
  assert.ok(md.includes('Chromium 140; the PDF: 50 pages, 150 kB, 61,234 characters read, 12,345 tokens.'));
  assert.ok(md.includes('| **read + index** (each open) | 10 | 1.50 s | 1.80 s | 2.10 s |'));
  assert.ok(md.includes('| **warm question**, asking to answer | 20 | 600 ms | 720 ms | 840 ms |'));
  assert.ok(md.includes('Read and indexed: median 1.50 s (target 2 s): met.'));
  assert.ok(md.includes('Warm question: median 600 ms (target 500 ms): missed.'));
  const readme = withHeadline('<!-- headline:start -->\n<!-- headline:end -->\n', md);
  assert.ok(readme.includes('| warm question on a PDF, Lens reader'), 'the README carries the PDF rows');
  if (!r.pdf) throw new Error('no pdf section');
  r.pdf.measuredAt = '2026-12-09T10:00:00Z';
  r.pdf.measuredOn = '2 x Test CPU';
  const merged = renderReport(r);
  assert.match(row(merged, '| 50-page text PDF read and indexed'), /\(median, measured 2026-12-09\)/);
  assert.ok(merged.includes('Measured on 2026-12-09 in a run of this section alone (`BENCH_ONLY=pdf BENCH_MERGE=…`) on 2 x Test CPU'));
});

// The lean graph (issue 19): the goal rows compare today's and the lean graph's runs of the same run, each judged.
test('the lean graph goals: node share, per-window and session-creation ratios, browser / native on the fastest native graph', () => {
  const base: BenchResults = { date: '2026-12-08T00:00:00Z', quick: false, machine: { cpus: 2, cpuModel: 'x', node: 'v20' }, config: { trials: 3, warmupMs: 1000, articles: [0] } };
  const window = (ms384: number) => ({ '128': spreadOf(ms384 / 3, 3), '384': spreadOf(ms384, 3) });
  const nodes = (optimized: number) => ({ nodes: optimized * 2, optimized, ops: { Gemm: optimized } });
  const results: BenchResults = {
    ...base,
    graphNodes: { 'today int8': nodes(1354), 'lean int8': nodes(400) },
    native: { 'int8-2': { perWindow: window(150) }, 'lean-int8-2': { perWindow: window(120) } },
    browser: {
      extension: {
        perWindow: window(300),
        runs: [
          { variant: 'quantized', graph: 'today', threads: 2, loadMs: 2000, reloadMs: 1000, perWindow: window(480) },
          { variant: 'quantized', graph: 'lean', threads: 2, loadMs: 800, reloadMs: 300, perWindow: window(400) },
        ],
      },
    },
  };
  const md = renderReport(results);
  assert.match(row(md, '| graph nodes after onnxruntime\'s optimisation, int8'), /\| 400 \/ 1,354 \(0\.30x\) \| <= 1\/3 \| met \|$/);
  assert.match(row(md, '| per-window latency, int8, Chromium, 2 threads, 384 tokens: today / lean'), /\| 1\.20x \(480 ms -> 400 ms\) \| >= 1\.3x \| missed \(0\.92x of the target ratio\) \|$/);
  assert.match(row(md, '| session creation, int8, Chromium'), /\| 3\.33x \(1\.00 s -> 300 ms\) \| >= 2x \| met \|$/);
  assert.match(row(md, '| per-window latency, browser (lean int8, 2 threads) / native'), /\| 3\.33x \| <= 2\.5x \| missed \(1\.33x over\) \|$/, 'against the fastest native run (lean int8, 120 ms)');
  assert.match(row(md, '| Lens in Chromium (extension), lean int8, 2 threads'), /400 ms/);
  assert.match(md, /## The lean graph[\s\S]*\| lean int8 \| 800 \| 400 \| 300 ms \|/);
  assert.doesNotMatch(renderReport(base), /The lean graph|graph nodes after/, 'a run without the lean graph has no such rows');
});
