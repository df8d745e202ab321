// Classification requests: zero-shot with the user's candidate labels when the classifier is an NLI model,
// else the classifier's own labels.
import type { ClassifyReply, ClassifyRequest } from '../shared/protocol.js';
import { registryEntry } from '../shared/registry.js';
import { checkLabels, getSettings } from '../shared/settings.js';
import type { EngineHost } from './engines.js';
import { chooseInference } from './inference.js';

const MAX_TEXT = 5000;

export async function classifyText(engines: EngineHost, req: ClassifyRequest): Promise<ClassifyReply> {
  const text = req.text.trim();
  if (!text) throw new Error('there is no text to classify');
  if (text.length > MAX_TEXT) throw new Error(`the text is too long to classify (${text.length.toLocaleString('en')} characters; ${MAX_TEXT.toLocaleString('en')} at most)`);
  const settings = await getSettings();
  const modelId = settings.classifyModelId;
  const entry = registryEntry(modelId);
  const started = Date.now();
  return engines.run(req.requestId, async (signal) => {
    // in this worker, or in Chrome's offscreen document with WebAssembly threads (see inference.ts)
    const inference = await chooseInference(engines);
    if (entry.task === 'zero-shot') {
      const labels = checkLabels(req.labels ?? settings.zeroShotLabels);
      const scores = await inference.classify({ requestId: req.requestId, modelId, text, zeroShot: { labels, multiLabel: req.multiLabel ?? settings.multiLabel }, signal });
      return { modelId, zeroShot: true, scores, ms: Date.now() - started };
    }
    const scores = await inference.classify({ requestId: req.requestId, modelId, text, signal });
    return { modelId, zeroShot: false, scores, ms: Date.now() - started };
  });
}
