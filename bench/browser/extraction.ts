// Page extraction time in Chromium through the built extension: a generated page of about 10,000 elements
// (site chrome, a long article of sections with inline links and lists, a comment thread, a sidebar) is read
// by the content script as the background asks for it (content/extract from an extension page); the time
// is the round trip the popup waits for. Target (issue 10): <= 300 ms median.
// Run on its own (after `npm run build`): node --import tsx bench/browser/extraction.ts
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stats, type Stats } from '../../src/eval/latency.js';
import { launchChromium, type LensChromium } from '../../tests/e2e/harness/chromium.js';
import { startTestServer, type TestServer } from '../../tests/e2e/harness/server.js';
import { EXTRACTION_ELEMENTS, generatedPage } from './generated-page.js';

export interface ExtractionBench {
  /** elements in the page as read (document.getElementsByTagName('*').length) */
  elements: number;
  /** characters of text the content script read */
  chars: number;
  /** what it read: the main article or the whole page */
  reading: string;
  ms: Stats;
  trials: number;
  /** timed reads that reused an earlier reading (the page's text is edited before each, so this should be 0) */
  reused?: number;
  /** set when this row was measured on its own, outside a full run (the date) */
  measuredAt?: string;
}

interface ChromeTabs {
  chrome: { tabs: { sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown> } };
}

interface ExtractLite {
  ok: boolean;
  error?: string;
  value?: { text: string; reading: { note: string }; reused?: boolean };
}

/** Times content/extract on the generated page: one warm-up read, then `trials` reads. */
export async function benchExtraction(lens: LensChromium, server: TestServer, trials: number): Promise<ExtractionBench> {
  const page = await lens.openPage(server.fixtureUrl('plain.html'));
  try {
    await page.waitForLoadState('load');
    const elements = (await page.evaluate(`(() => {
      document.body.innerHTML = ${JSON.stringify(generatedPage(EXTRACTION_ELEMENTS))};
      return document.getElementsByTagName('*').length;
    })()`)) as number;
    const tabId = await lens.tabIdOf(page);
    const asker = await lens.openExtensionPage('src/options/options.html');
    const once = () =>
      asker.evaluate(async (id) => {
        const t0 = performance.now();
        const reply = (await (globalThis as unknown as ChromeTabs).chrome.tabs.sendMessage(id, { type: 'content/extract', scope: 'page' }, { frameId: 0 })) as ExtractLite;
        return { ms: performance.now() - t0, reply };
      }, tabId);
    let first: Awaited<ReturnType<typeof once>> | undefined;
    for (let attempt = 0; !first; attempt++) {
      try {
        first = await once();
      } catch (err) {
        if (attempt > 50 || !/receiving end does not exist/i.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!first.reply.ok || !first.reply.value) throw new Error(`content/extract failed on the generated page: ${first.reply.error ?? 'no reply'}`);
    const times: number[] = [];
    let reused = 0;
    for (let i = 0; i < trials; i++) {
      // the content script keeps a reading while the page's text is unchanged (read once): each timed read
      // follows an edit of the article's first paragraph, so it is a full read of the page
      await page.evaluate(`(() => { const p = document.querySelector('article p') ?? document.querySelector('p'); if (p) p.append(' ${i}'); })()`);
      const r = await once();
      times.push(r.ms);
      if (r.reply.value?.reused) reused++;
    }
    await asker.close();
    return { elements, chars: first.reply.value.text.length, reading: first.reply.value.reading.note, ms: stats(times), trials, reused };
  } finally {
    await page.close();
  }
}

// Run directly: node --import tsx bench/browser/extraction.ts (needs dist/chrome)
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await startTestServer({ hubDir: '.tmp/e2e/no-hub' });
  const lens = await launchChromium();
  try {
    const r = await benchExtraction(lens, server, Number(process.env.BENCH_TRIALS ?? 9));
    process.stdout.write(`${JSON.stringify({ ...r, measuredAt: new Date().toISOString() }, null, 2)}\n`);
  } finally {
    await lens.close();
    await server.close();
  }
}
