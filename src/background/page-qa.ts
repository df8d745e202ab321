// "Ask the page": the content script reads the page (or the selection), the engine answers with document
// QA, and the best answer is highlighted in the page. The prepared page (tokens, BM25 index) is kept per
// tab while its text is unchanged, so follow-up questions skip that work (where the model runs keeps it:
// inference.ts).
import { broadcast } from '../shared/messaging.js';
import type { AskReply, AskRequest, ExtractReply, HighlightReply, HighlightRequest, ProgressEvent } from '../shared/protocol.js';
import { getSettings } from '../shared/settings.js';
import type { EngineHost } from './engines.js';
import { chooseInference } from './inference.js';
import { askContent } from './tabs.js';

export async function askPage(engines: EngineHost, req: AskRequest): Promise<AskReply> {
  const question = req.question.trim();
  if (!question) throw new Error('type a question first');
  if (question.length > 1000) throw new Error('the question is too long (1,000 characters at most)');
  const started = Date.now();
  const { qaModelId } = await getSettings();
  const progress = (phase: ProgressEvent['phase'], done: number, total: number | undefined, message: string) =>
    broadcast({ type: 'event/progress', requestId: req.requestId, phase, done, total, message });

  return engines.run(req.requestId, async (signal) => {
    progress('extract', 0, undefined, req.scope === 'selection' ? 'Reading your selection' : 'Reading the page');
    const page: ExtractReply = await askContent(req.tabId, { type: 'content/extract', scope: req.scope });
    if (!page.text.trim()) throw new Error(req.scope === 'selection' ? 'the selection has no text to answer from' : 'this page has no readable text');
    signal.throwIfAborted();
    // in this worker, or in Chrome's offscreen document with WebAssembly threads (see inference.ts)
    const inference = await chooseInference(engines);
    const result = await inference.answer({
      requestId: req.requestId,
      modelId: qaModelId,
      cacheKey: `${req.tabId}:${req.scope}`,
      text: page.text,
      passages: page.passages,
      question,
      topK: req.topK ?? 5,
      windowBudget: req.windowBudget,
      signal,
      onProgress: progress,
    });
    const answers = result.answers;
    let highlighted = false;
    const best = answers[0];
    if (best && !result.abstained) {
      try {
        await askContent(req.tabId, { type: 'content/highlight', snapshotId: page.snapshotId, start: best.start, end: best.end, scroll: true });
        highlighted = true;
      } catch {
        // the answer still stands; the popup says it could not be marked
      }
    } else {
      await askContent(req.tabId, { type: 'content/clear' }).catch(() => undefined);
    }
    return {
      scope: page.scope,
      snapshotId: page.snapshotId,
      reading: page.reading,
      answers,
      abstained: result.abstained,
      noAnswerScore: result.noAnswerScore,
      windowsRead: result.windowsRead,
      windowsTotal: result.windowsTotal,
      highlighted,
      ms: Date.now() - started,
    };
  });
}

export function highlightAnswer(req: HighlightRequest): Promise<HighlightReply> {
  if (req.end <= req.start || req.start < 0) throw new Error(`not a text range: ${req.start}..${req.end}`);
  return askContent(req.tabId, { type: 'content/highlight', snapshotId: req.snapshotId, start: req.start, end: req.end, scroll: true });
}
