// The install step's check of a lean graph rebuilt from a downloaded ONNX file (src/shared/model-store.ts): both run
// here, one thread each, on the same probe batch; the rebuilt one is kept only when every output agrees.
import { sameOutputs } from '../engine/graph/probe.js';
import { ModelSession } from '../engine/runtime.js';

function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

export async function checkRebuild(downloaded: Uint8Array, rebuilt: Uint8Array, config: unknown): Promise<{ ok: boolean; detail: string }> {
  const cfg = typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
  const probe = { vocabSize: positiveInt(cfg.vocab_size, 30522), typeVocabSize: positiveInt(cfg.type_vocab_size, 2) };
  const a = await ModelSession.create(downloaded, { numThreads: 1 });
  try {
    const b = await ModelSession.create(rebuilt, { numThreads: 1 });
    try {
      const r = await sameOutputs(a, b, probe);
      const detail = r.compared.length === 0 ? 'no output in common' : `largest difference ${r.maxAbsDiff.toExponential(1)} over ${r.compared.join(', ')}`;
      return { ok: r.ok, detail };
    } finally {
      await b.release();
    }
  } finally {
    await a.release();
  }
}
