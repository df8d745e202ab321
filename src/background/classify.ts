// Classification requests, by the popup's mode: 'sentiment' runs the fine-tuned classifier with its own labels
// (from its config.json id2label), 'zero-shot' the NLI model with the user's candidate labels.
import type { ClassifyReply, ClassifyRequest } from '../shared/protocol.js';
import { labelName, registryEntry } from '../shared/registry.js';
import { checkLabels, classifyModelId, getSettings } from '../shared/settings.js';
import type { EngineHost } from './engines.js';
import { chooseInference } from './inference.js';

const MAX_TEXT = 5000;

export async function classifyText(engines: EngineHost, req: ClassifyRequest): Promise<ClassifyReply> {
  const text = req.text.trim();
  if (!text) throw new Error('there is no text to classify');
  if (text.length > MAX_TEXT) throw new Error(`the text is too long to classify (${text.length.toLocaleString('en')} characters; ${MAX_TEXT.toLocaleString('en')} at most)`);
  const { mode } = req;
  // a sentiment model's labels are fixed: candidate labels sent with it are a caller's mistake, not something to ignore
  if (mode === 'sentiment' && req.labels !== undefined) throw new Error('candidate labels are for zero-shot classification; the sentiment model has its own labels');
  const settings = await getSettings();
  const modelId = classifyModelId(settings, mode);
  const entry = registryEntry(modelId);
  // settings checks keep each mode's model of the right task; this guards against a registry changed under them
  const wanted = mode === 'zero-shot' ? 'zero-shot' : 'classify';
  if (entry.task !== wanted) throw new Error(`${entry.name} cannot classify in ${mode} mode (its task is ${entry.task}); pick another model in Settings`);
  const started = Date.now();
  return engines.run(req.requestId, async (signal) => {
    // in this worker, or in Chrome's offscreen document with WebAssembly threads (see inference.ts)
    const inference = await chooseInference(engines);
    if (mode === 'zero-shot') {
      const labels = checkLabels(req.labels ?? settings.zeroShotLabels);
      const scores = await inference.classify({ requestId: req.requestId, modelId, text, zeroShot: { labels, multiLabel: req.multiLabel ?? settings.multiLabel }, signal });
      return { modelId, mode, zeroShot: true, scores, ms: Date.now() - started };
    }
    const scores = await inference.classify({ requestId: req.requestId, modelId, text, signal });
    // many fine-tunes keep transformers' generic LABEL_n names: the registry says what they mean
    return { modelId, mode, zeroShot: false, scores: scores.map((s) => ({ ...s, label: labelName(entry, s.label) })), ms: Date.now() - started };
  });
}
