// "Ask the page": the content script reads the page (or the selection), the engine answers with document
// QA, and the best answer is highlighted in the page. The prepared page (tokens, BM25 index) is kept per
// tab while its text is unchanged, so follow-up questions skip that work.
import { PreparedDocument, answerDocument } from '../engine/qa/document.js';
import { broadcast } from '../shared/messaging.js';
import type { AskReply, AskRequest, ExtractReply, HighlightReply, HighlightRequest } from '../shared/protocol.js';
import { getSettings } from '../shared/settings.js';
import type { EngineHost } from './engines.js';
import { askContent } from './tabs.js';

interface PreparedPage {
  tabId: number;
  text: string;
  doc: PreparedDocument;
}

const prepared = new Map<string, PreparedPage>();

function remember(key: string, page: PreparedPage): void {
  prepared.delete(key);
  prepared.set(key, page);
  // a few pages are enough for follow-up questions; each holds tokens and an index
  while (prepared.size > 4) prepared.delete(prepared.keys().next().value as string);
}

export async function askPage(engines: EngineHost, req: AskRequest): Promise<AskReply> {
  const question = req.question.trim();
  if (!question) throw new Error('type a question first');
  if (question.length > 1000) throw new Error('the question is too long (1,000 characters at most)');
  const started = Date.now();
  const { qaModelId } = await getSettings();
  const progress = (phase: 'load' | 'extract' | 'read', done: number, total: number | undefined, message: string) =>
    broadcast({ type: 'event/progress', requestId: req.requestId, phase, done, total, message });

  return engines.run(req.requestId, async (signal) => {
    progress('extract', 0, undefined, req.scope === 'selection' ? 'Reading your selection' : 'Reading the page');
    const page: ExtractReply = await askContent(req.tabId, { type: 'content/extract', scope: req.scope });
    if (!page.text.trim()) throw new Error(req.scope === 'selection' ? 'the selection has no text to answer from' : 'this page has no readable text');
    signal.throwIfAborted();
    if (!engines.isLoaded(qaModelId)) progress('load', 0, undefined, 'Loading the model');
    const model = await engines.model(qaModelId);
    model.require('qa');
    signal.throwIfAborted();

    const key = `${req.tabId}:${req.scope}`;
    let entry = prepared.get(key);
    if (!entry || entry.text !== page.text) {
      entry = { tabId: req.tabId, text: page.text, doc: PreparedDocument.prepare(model.tokenizer, { text: page.text, passages: page.passages }) };
    }
    remember(key, entry);

    const result = await answerDocument(model, question, entry.doc, {
      topK: req.topK ?? 5,
      signal,
      onProgress: (done, total) => progress('read', done, total, `Reading ${total} passage${total === 1 ? '' : 's'}`),
    });
    const answers = result.answers.map(({ text, start, end, score }) => ({ text, start, end, score }));
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
