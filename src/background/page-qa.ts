// "Ask the page": the content script reads the page (or the selection), the engine answers with document
// QA, and the best answer is highlighted in the page. The prepared page (tokens, retrieval index) is kept per
// tab while its text is unchanged, so follow-up questions skip that work (where the model runs keeps it:
// inference.ts); the content script keeps its reading while nothing touches the page's read text (the reply says
// `reused`), and reads the page as the popup opens (preparePage), so a question seldom waits for it. Bounds: at
// most MAX_READ_CHARS of text are read (the content script stops there; checked again here), and a page without
// text never reaches the model.
import { guessLanguage } from '../shared/language.js';
import { broadcast } from '../shared/messaging.js';
import { pageAt } from '../shared/pages.js';
import { capPage, partialReadText } from '../shared/read-limit.js';
import type { AskReply, AskRequest, HighlightReply, HighlightRequest, PreparePageRequest, PrepareReply, ProgressEvent, RequestStatusReply } from '../shared/protocol.js';
import { getSettings } from '../shared/settings.js';
import { mark, takeMarks } from '../shared/timeline.js';
import type { EngineHost } from './engines.js';
import { chooseInference } from './inference.js';
import { askContent } from './tabs.js';

// The questions this background is answering, and the last few it answered: the popup's request/status probe
// tells "still working" from "lost in a restart of the background" with them.
const active = new Set<string>();
const finished: string[] = [];
const FINISHED_KEPT = 50;

// models this worker has asked to load ahead of a question (once per model and worker life)
const prewarmed = new Set<string>();

export function requestState(requestId: string): RequestStatusReply['state'] {
  if (active.has(requestId)) return 'running';
  return finished.includes(requestId) ? 'finished' : 'unknown';
}

export async function askPage(engines: EngineHost, req: AskRequest): Promise<AskReply> {
  // before any await: a status probe that arrives right behind the request must find it
  active.add(req.requestId);
  try {
    return await answerPage(engines, req);
  } finally {
    active.delete(req.requestId);
    finished.push(req.requestId);
    if (finished.length > FINISHED_KEPT) finished.shift();
  }
}

async function answerPage(engines: EngineHost, req: AskRequest): Promise<AskReply> {
  const question = req.question.trim();
  if (!question) throw new Error('type a question first');
  if (question.length > 1000) throw new Error('the question is too long (1,000 characters at most)');
  const started = Date.now();
  mark('worker:ask');
  const { qaModelId } = await getSettings();
  const progress = (phase: ProgressEvent['phase'], done: number, total: number | undefined, message: string) =>
    broadcast({ type: 'event/progress', requestId: req.requestId, phase, done, total, message });

  // The first question of this worker's life: the model starts loading (and Chrome's offscreen document opening)
  // while the content script reads the page, not after.
  if (!prewarmed.has(qaModelId)) {
    prewarmed.add(qaModelId);
    chooseInference(engines)
      .then((inference) => inference.prewarm(qaModelId))
      .catch(() => prewarmed.delete(qaModelId));
  }

  return engines.run(req.requestId, async (signal) => {
    progress('extract', 0, undefined, req.scope === 'selection' ? 'Reading your selection' : 'Reading the page');
    const page = capPage(await askContent(req.tabId, { type: 'content/extract', scope: req.scope }));
    signal.throwIfAborted();
    if (!page.text.trim()) {
      // e.g. a page of images only: nothing for the model to read, so it is not run
      return { scope: page.scope, snapshotId: page.snapshotId, reading: page.reading, answers: [], abstained: false, noAnswerScore: 0, windowsRead: 0, windowsTotal: 0, pageTokensRead: 0, pageTokens: 0, highlighted: false, ms: Date.now() - started, noText: true, reused: page.reused === true };
    }
    mark('worker:extracted');
    if (page.partial) progress('extract', page.partial.read, page.partial.total, partialReadText(page.partial));
    const language = guessLanguage(page.text);
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
    // a PDF's answers say which page they are on ("p. 12" in the popup)
    const pageStarts = page.pageStarts;
    const answers = pageStarts ? result.answers.map((a) => ({ ...a, page: pageAt(pageStarts, a.start) + 1 })) : result.answers;
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
      pageTokensRead: result.pageTokensRead,
      pageTokens: result.pageTokens,
      highlighted,
      ms: Date.now() - started,
      timeline: [...takeMarks(), ...(result.timeline ?? [])].sort((a, b) => a.at - b.at),
      reused: page.reused === true,
      ...(page.partial ? { partial: page.partial } : {}),
      ...(language && !language.english ? { language } : {}),
    };
  });
}

export function highlightAnswer(req: HighlightRequest): Promise<HighlightReply> {
  if (req.end <= req.start || req.start < 0) throw new Error(`not a text range: ${req.start}..${req.end}`);
  return askContent(req.tabId, { type: 'content/highlight', snapshotId: req.snapshotId, start: req.start, end: req.end, scroll: true });
}

/**
 * The popup opened on a page it will ask about: the tab's content script reads the page now, so the first
 * question reuses that reading. Best effort: a restricted page or a failure is 'skipped', never an error.
 */
export async function preparePage(req: PreparePageRequest): Promise<PrepareReply> {
  try {
    return await askContent(req.tabId, { type: 'content/prepare' });
  } catch {
    return { reading: 'skipped' };
  }
}
