// PDFs in the Lens reader (issue 18), in Chromium with the built extension and the full-size MobileBERT (installed
// through the extension: int8 made on the device, its default), on a 50-page single-column text PDF made by
// tests/helpers/pdf-fixtures.ts longPdf(50) and served from 127.0.0.1:
//   - read and indexed: the reader (src/reader/reader.html?url=…) opened fresh in its own tab, one at a time; read =
//     the reader's data-read-ms (its navigation start to the text read: fetch, parse, text extraction, reading
//     order); then at once the first question on it, from an extension page (qa/ask, as the popup asks): index =
//     the timeline's `<where>:qa` to `<where>:prepared` (tokenizing and indexing the text; marked only when the
//     document is prepared for this question);
//   - a warm question: on one open PDF, after questions on it that indexed it, questions on different pages' facts,
//     each timed around runtime.sendMessage in the extension page, with the reply's own ms beside it.
// The model is loaded and warm before anything is timed: fresh opens of another PDF (longPdf(40)) and questions on it.
// Run alone: node --import tsx bench/browser/pdf.ts [modelDir]   (BENCH_QUICK=1: a smoke run)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { AskReply, ExtractReply } from '../../src/shared/protocol.js';
import { pinnedRegistryText } from '../../tests/e2e/harness/build.js';
import { launchChromium, type LensChromium } from '../../tests/e2e/harness/chromium.js';
import { startTestServer, type TestServer } from '../../tests/e2e/harness/server.js';
import { longPdf, longPdfFact } from '../../tests/helpers/pdf-fixtures.js';
import type { PdfOpenSample, PdfSection, PdfWarmSample } from '../pdf-report.js';
import { QA_MODEL_ID, makeHubTree, send, viteBuild } from './extension-setup.js';
import { pickEvenly, spread } from './real-pages.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PDF = 'application/pdf';
const PAGES = 50;
const WARMUP_PAGES = 40;
/** fresh opens timed, warm questions timed (a full run / a quick one) */
const OPENS = 10;
const QUICK_OPENS = 2;
const QUESTIONS = 20;
const QUICK_QUESTIONS = 4;
/** untimed questions on the warm PDF before the timed ones (the first indexes it) */
const WARM_PDF_WARMUP_ASKS = 2;
/** the warm-up: at least this many fresh opens of the other PDF, two questions each */
const WARMUP_OPENS = 2;
const READ_TIMEOUT_MS = 120_000;

export interface PdfBenchOptions {
  /** the full-size QA model folder (as bench/run.ts makes it) */
  modelDir: string;
  quick: boolean;
  /** the model warm-up before anything timed (questions on another PDF) */
  warmupMs: number;
  /** reuse the build in .tmp/bench/ext-pdf when its registry pins match (the reader's code may have changed since) */
  skipBuild?: boolean;
  log?: (line: string) => void;
}

/** "How many workers did the copper mine at Esk employ?" from longPdfFact(page): each page's fact is its own. */
export function factQuestion(page: number): string {
  const m = /the (\w+) mine at (\w+) employed/.exec(longPdfFact(page));
  if (!m) throw new Error(`longPdfFact(${page}) is not "… the <metal> mine at <place> employed …": ${longPdfFact(page)}`);
  return `How many workers did the ${m[1]} mine at ${m[2]} employ?`;
}

type TimelineLite = NonNullable<AskReply['timeline']>;

/** Indexing time from a reply's timeline: `<where>:qa` to `<where>:prepared`; undefined where it was not prepared. */
export function indexFromTimeline(timeline: TimelineLite | undefined): { ms: number; where: string } | undefined {
  const prepared = timeline?.find((m) => m.name.endsWith(':prepared'));
  if (!timeline || !prepared) return undefined;
  const where = prepared.name.slice(0, -':prepared'.length);
  const qa = timeline.filter((m) => m.name === `${where}:qa` && m.at <= prepared.at).at(-1);
  return qa ? { ms: prepared.at - qa.at, where } : undefined;
}

/** The question reaching the background to the reader's text back in it (worker:ask to worker:extracted). */
function extractFromTimeline(timeline: TimelineLite | undefined): number | undefined {
  const at = (name: string) => timeline?.find((m) => m.name === name)?.at;
  const asked = at('worker:ask');
  const extracted = at('worker:extracted');
  return asked !== undefined && extracted !== undefined ? extracted - asked : undefined;
}

/**
 * Where a question's time went after the text reached the background, from its timeline: modelMs = `<where>:qa` to
 * the last `<where>:windows-N` (retrieval and the model's windows, and the indexing where it was prepared);
 * afterModelMs = from there to the reply's end (worker:ask + reply.ms, whole milliseconds): marking the answer in
 * the reader (drawing its page) and the reply.
 */
export function phasesFromTimeline(timeline: TimelineLite | undefined, backgroundMs: number): { modelMs?: number; afterModelMs?: number } {
  const qa = timeline?.find((m) => m.name.endsWith(':qa'));
  if (!timeline || !qa) return {};
  const where = qa.name.slice(0, -':qa'.length);
  const last = timeline.filter((m) => m.name.startsWith(`${where}:windows-`)).at(-1);
  const asked = timeline.find((m) => m.name === 'worker:ask')?.at;
  if (!last) return {};
  return { modelMs: last.at - qa.at, ...(asked !== undefined ? { afterModelMs: Math.max(0, asked + backgroundMs - last.at) } : {}) };
}

interface OpenReader {
  page: Page;
  tabId: number;
  readMs: number;
}

/** The reader opened on url in a new tab, waited for until the text is read; its data-read-ms. */
async function openReader(lens: LensChromium, url: string): Promise<OpenReader> {
  const page = await lens.openExtensionPage(`src/reader/reader.html?url=${encodeURIComponent(url)}`);
  try {
    // done, or a notice (error, scanned, read only in part): anything but done fails the open
    const shown = await page.waitForSelector('[data-testid="read-done"], #status .notice-error, #status .notice-warn, #status .notice-info', { timeout: READ_TIMEOUT_MS });
    const readMs = Number(await shown.getAttribute('data-read-ms'));
    if (!Number.isFinite(readMs) || (await shown.getAttribute('data-testid')) !== 'read-done') throw new Error(`the reader did not read the PDF: ${(await page.textContent('#status'))?.trim() ?? '(no status)'}`);
    return { page, tabId: await lens.tabIdOf(page), readMs };
  } catch (err) {
    await page.close().catch(() => undefined);
    throw err;
  }
}

function ask(asker: Page, tabId: number, question: string): Promise<{ ms: number; value: AskReply }> {
  return send<AskReply>(asker, { type: 'qa/ask', requestId: `pdf-${Math.random().toString(36).slice(2)}`, tabId, question, scope: 'page' });
}

/** Builds the extension into outDir with the hub's pins, unless skipBuild and the same pins are built there. */
async function build(outDir: string, hubDir: string, skipBuild: boolean, log: (s: string) => void): Promise<void> {
  const registryFile = `${outDir}.registry.json`;
  const registryText = await pinnedRegistryText(hubDir);
  const samePins = existsSync(registryFile) && readFileSync(registryFile, 'utf8') === registryText;
  if (skipBuild && samePins && existsSync(join(outDir, 'manifest.json'))) return;
  mkdirSync(dirname(registryFile), { recursive: true });
  writeFileSync(registryFile, registryText);
  await viteBuild(outDir, false, log, registryFile);
}

export async function benchPdf(options: PdfBenchOptions): Promise<PdfSection> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const opens = options.quick ? QUICK_OPENS : OPENS;
  const questions = options.quick ? QUICK_QUESTIONS : QUESTIONS;
  const hubDir = join(ROOT, '.tmp', 'bench', 'hub-pdf');
  const outDir = join(ROOT, '.tmp', 'bench', 'ext-pdf');
  makeHubTree(resolve(options.modelDir), hubDir);
  await build(outDir, hubDir, options.skipBuild ?? process.env.BENCH_SKIP_BUILD === '1', log);

  const bytes = await longPdf(PAGES);
  let server: TestServer | undefined;
  let lens: LensChromium | undefined;
  try {
    server = await startTestServer({ hubDir });
    server.files.set('/docs/long.pdf', { type: PDF, body: bytes });
    server.files.set('/docs/warmup.pdf', { type: PDF, body: await longPdf(WARMUP_PAGES) });
    const pdfUrl = `${server.url}/docs/long.pdf`;
    lens = await launchChromium({ extensionDir: outDir });
    const browser = `Chromium ${lens.context.browser()?.version() ?? ''}`.trim();
    const asker = await lens.openExtensionPage('src/options/options.html');
    await asker.fill('#hub-url', server.hubUrl);
    await asker.click('#save-hub');
    await asker.locator('#hub-status', { hasText: 'Saved' }).waitFor();
    log('installing the model through the extension (models/download; int8 made on the device)...');
    const install = await send(asker, { type: 'models/download', modelId: QA_MODEL_ID });
    log(`installed in ${install.ms.toFixed(0)} ms; warming up on a ${WARMUP_PAGES}-page PDF...`);

    // the warm-up: fresh opens of another PDF (each indexes it once), two questions each, for warmupMs
    const t0 = performance.now();
    const warmup = { ms: 0, opens: 0, asks: 0 };
    while (warmup.opens < WARMUP_OPENS || performance.now() - t0 < options.warmupMs) {
      const reader = await openReader(lens, `${server.url}/docs/warmup.pdf`);
      try {
        for (const page of [warmup.opens % WARMUP_PAGES, (warmup.opens * 7 + 3) % WARMUP_PAGES]) {
          const r = await ask(asker, reader.tabId, factQuestion(page));
          warmup.asks++;
          log(`  warm-up ask ${warmup.asks}: ${r.ms.toFixed(0)} ms (read ${reader.readMs} ms)`);
        }
      } finally {
        await reader.page.close().catch(() => undefined);
      }
      warmup.opens++;
    }
    warmup.ms = performance.now() - t0;

    // read and indexed: fresh opens, one at a time, the first question at once
    log(`${opens} fresh opens of the ${PAGES}-page PDF, the first question on each...`);
    const openSamples: PdfOpenSample[] = [];
    const openFailures: Array<{ open: number; error: string }> = [];
    for (let i = 0; i < opens; i++) {
      let reader: OpenReader | undefined;
      try {
        reader = await openReader(lens, pdfUrl);
        const question = factQuestion((i * 7) % PAGES);
        const { ms, value } = await ask(asker, reader.tabId, question);
        const index = indexFromTimeline(value.timeline);
        const extractMs = extractFromTimeline(value.timeline);
        openSamples.push({
          readMs: reader.readMs,
          ...(index ? { indexMs: index.ms, where: index.where } : {}),
          firstAskMs: ms,
          backgroundMs: value.ms,
          ...(extractMs !== undefined ? { extractMs } : {}),
          windowsRead: value.windowsRead,
          pageTokens: value.pageTokens,
          question,
        });
        log(`  open ${i + 1}/${opens}: read ${reader.readMs} ms, index ${index ? `${index.ms.toFixed(0)} ms (${index.where})` : 'not marked'}, first question ${ms.toFixed(0)} ms (${value.windowsRead} windows, ${value.pageTokens} page tokens)`);
      } catch (err) {
        openFailures.push({ open: i, error: err instanceof Error ? err.message : String(err) });
        log(`  open ${i + 1}/${opens}: FAILED ${openFailures.at(-1)?.error}`);
      } finally {
        await reader?.page.close().catch(() => undefined);
      }
    }
    if (!openSamples.length) throw new Error(`no open of the ${PAGES}-page PDF was read and asked (${openFailures[0]?.error ?? 'none tried'})`);
    const indexed = openSamples.filter((s): s is PdfOpenSample & { indexMs: number } => s.indexMs !== undefined);

    // a warm question: one open PDF, indexed by the untimed questions first, then questions on other pages
    const warmPages = pickEvenly(
      Array.from({ length: PAGES }, (_, p) => p),
      questions,
    );
    log(`${questions} warm questions on one open ${PAGES}-page PDF (pages ${warmPages.map((p) => p + 1).join(', ')})...`);
    const reader = await openReader(lens, pdfUrl);
    const warmSamples: PdfWarmSample[] = [];
    const warmFailures: Array<{ page: number; error: string }> = [];
    let chars: number | undefined;
    try {
      for (let k = 0; k < WARM_PDF_WARMUP_ASKS; k++) {
        const r = await ask(asker, reader.tabId, factQuestion((PAGES - 1 - 5 * k) % PAGES));
        log(`  untimed question ${k + 1}: ${r.ms.toFixed(0)} ms${indexFromTimeline(r.value.timeline) ? ' (indexed)' : ''}`);
      }
      for (const page of warmPages) {
        const question = factQuestion(page);
        try {
          const { ms, value } = await ask(asker, reader.tabId, question);
          const extractMs = extractFromTimeline(value.timeline);
          const phases = phasesFromTimeline(value.timeline, value.ms);
          const answerPage = value.answers[0]?.page;
          warmSamples.push({
            page,
            question,
            ms,
            backgroundMs: value.ms,
            ...(extractMs !== undefined ? { extractMs } : {}),
            ...phases,
            windowsRead: value.windowsRead,
            windowsTotal: value.windowsTotal,
            pageTokensRead: value.pageTokensRead,
            pageTokens: value.pageTokens,
            ...(answerPage !== undefined ? { answerPage } : {}),
          });
          log(`  page ${page + 1}: ${ms.toFixed(0)} ms (background ${value.ms} ms, text from the reader ${extractMs?.toFixed(0) ?? '?'} ms, model ${phases.modelMs?.toFixed(0) ?? '?'} ms, after it ${phases.afterModelMs?.toFixed(0) ?? '?'} ms, ${value.windowsRead}/${value.windowsTotal} windows, ${value.pageTokensRead}/${value.pageTokens} page tokens${indexFromTimeline(value.timeline) ? ', indexed again' : ''})`);
        } catch (err) {
          warmFailures.push({ page, error: err instanceof Error ? err.message : String(err) });
          log(`  page ${page + 1}: FAILED ${warmFailures.at(-1)?.error}`);
        }
      }
      // what the reader read (after the timed questions: this request is not one the popup makes)
      const read = await send<ExtractReply>(asker, { type: 'reader/content', tabId: reader.tabId, request: { type: 'content/extract', scope: 'page' } }).catch(() => undefined);
      chars = read?.value.text.length;
    } finally {
      await reader.page.close().catch(() => undefined);
    }

    const known = (key: 'extractMs' | 'modelMs' | 'afterModelMs') => {
      const values = warmSamples.map((s) => s[key]).filter((v): v is number => v !== undefined);
      return values.length ? { [key]: spread(values) } : {};
    };
    const pageTokens = openSamples[0]?.pageTokens;
    return {
      browser,
      note: `The Lens reader in ${browser} (headless, the built extension, default settings), with the full-size MobileBERT installed through the extension (downloaded from a local fake hub, int8 made on the device: the default), on a ${PAGES}-page single-column text PDF made by the tests (tests/helpers/pdf-fixtures.ts longPdf(${PAGES}): four paragraphs of prose per page, about 1,200 characters, one fact sentence per page) served from 127.0.0.1, fetched afresh on each open. **Read and indexed**: the reader page (src/reader/reader.html?url=…) opened in a new tab, ${opens} times, one at a time; read is the page's own figure (data-read-ms: its navigation start to the text read — fetch, pdf.js parse and text extraction, reading order; drawing the first pages runs beside it), index is the first question's tokenizing and indexing of that text, from the reply's timeline (\`<where>:qa\` to \`<where>:prepared\`, both in the context the model runs in); the question is asked from an extension page (qa/ask, as the popup asks) as soon as the text is read. The text's trip from the reader to the background and on to the model (tens of milliseconds) is in neither figure; it is in the first question's. The model was loaded and warm first (questions on another, ${WARMUP_PAGES}-page PDF), so model loading is not in these figures. **Warm question**: on one open PDF, ${WARM_PDF_WARMUP_ASKS} untimed questions first (the first indexes it), then ${questions} questions, each about the fact on a different page ("How many workers did the <metal> mine at <place> employ?"), timed around runtime.sendMessage in the extension page: the text handed from the reader to the background, retrieval, the model's windows, and marking the answer in the reader's text layer. Random weights: the answers are timed, not judged.`,
      pdf: { pages: PAGES, bytes: bytes.length, ...(chars !== undefined ? { chars } : {}), ...(pageTokens !== undefined ? { pageTokens } : {}) },
      warmup,
      opens: {
        n: openSamples.length,
        read: spread(openSamples.map((s) => s.readMs)),
        ...(indexed.length ? { index: spread(indexed.map((s) => s.indexMs)), readIndex: spread(indexed.map((s) => s.readMs + s.indexMs)) } : {}),
        firstQuestion: spread(openSamples.map((s) => s.firstAskMs)),
        samples: openSamples,
        failures: openFailures,
      },
      ...(warmSamples.length
        ? {
            warm: {
              n: warmSamples.length,
              ms: spread(warmSamples.map((s) => s.ms)),
              backgroundMs: spread(warmSamples.map((s) => s.backgroundMs)),
              ...known('extractMs'),
              ...known('modelMs'),
              ...known('afterModelMs'),
              windowsRead: spread(warmSamples.map((s) => s.windowsRead)),
              pageTokensRead: spread(warmSamples.map((s) => s.pageTokensRead)),
              warmupAsks: WARM_PDF_WARMUP_ASKS,
              samples: warmSamples,
              failures: warmFailures,
            },
          }
        : {}),
    };
  } finally {
    await lens?.close();
    await server?.close();
  }
}

// Run directly: node --import tsx bench/browser/pdf.ts [modelDir] (BENCH_QUICK=1: a smoke run)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await benchPdf({ modelDir: process.argv[2] ?? join(ROOT, '.tmp', 'bench', 'mobilebert-qa'), quick, warmupMs: quick ? 2000 : 20_000 });
  console.log(JSON.stringify(result, (k, v: unknown) => (k === 'samples' && Array.isArray(v) ? v.length : v), 2));
}
