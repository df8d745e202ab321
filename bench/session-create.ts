// Where the cold start's session creation goes, and whether session options change it: creates the bench's int8
// MobileBERT session (onnxruntime-web in Node, 1 thread) under each option set, three rounds, and prints creation
// and first-run times; LOG=1 adds onnxruntime's verbose log, whose timestamps show the phases of creation.
// Run after `npm run bench` (which makes the model): node --import tsx bench/session-create.ts
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';

const MODEL = join(new URL('..', import.meta.url).pathname, '.tmp', 'bench', 'mobilebert-qa-int8', 'onnx', 'model_quantized.onnx');
if (!existsSync(MODEL)) throw new Error(`no model at ${MODEL}: run \`npm run bench\` first (it makes and quantizes the bench model)`);
const bytes = new Uint8Array(readFileSync(MODEL));
ort.env.wasm.numThreads = 1;

const variants: Record<string, ort.InferenceSession.SessionOptions> = {
  'all (the default)': { graphOptimizationLevel: 'all' },
  extended: { graphOptimizationLevel: 'extended' },
  basic: { graphOptimizationLevel: 'basic' },
  disabled: { graphOptimizationLevel: 'disabled' },
  'no memory arena': { graphOptimizationLevel: 'all', enableCpuMemArena: false },
  'no memory pattern': { graphOptimizationLevel: 'all', enableMemPattern: false },
  'no weight prepacking': { graphOptimizationLevel: 'all', extra: { session: { disable_prepacking: '1' } } },
};

// the runtime's own start (compile, instantiate) is not part of what is compared
await (await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' })).release();
const LENGTH = 110;
// ids of ordinary words, all attended, one segment
const inputValue = (name: string) => (name.includes('token_type') ? 0n : name.includes('mask') ? 1n : 1000n);
for (let round = 1; round <= 3; round++) {
  for (const [name, options] of Object.entries(variants)) {
    const t = performance.now();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], ...options });
    const created = performance.now() - t;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputNames) feeds[input] = new ort.Tensor('int64', new BigInt64Array(LENGTH).fill(inputValue(input)), [1, LENGTH]);
    const t2 = performance.now();
    await session.run(feeds);
    console.log(`round ${round}  ${name.padEnd(22)} created in ${created.toFixed(0).padStart(5)} ms, first run (110 tokens) ${(performance.now() - t2).toFixed(0).padStart(4)} ms`);
    await session.release();
  }
}
if (process.env.LOG === '1') {
  ort.env.logLevel = 'verbose';
  await (await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 })).release();
}
