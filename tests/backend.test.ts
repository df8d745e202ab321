// Where Chrome's offscreen document runs models (WebGPU or WebAssembly) and what the options page says about it:
// the choice for each setting and adapter, the setting's storage and migration, and the fallback to WebAssembly
// when the WebGPU session cannot be created (here: an onnxruntime-web build without the WebGPU provider, so the
// session creation really fails, and the model is then really loaded on WebAssembly).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-web';
import { runRows } from '../src/engine/batch.js';
import { Backends } from '../src/offscreen/webgpu.js';
import { chooseBackend, checkBackendSetting, type AdapterProbe } from '../src/shared/backend.js';
import type { ModelRecord, OffscreenModelRef } from '../src/shared/protocol.js';
import { DEFAULT_SETTINGS, checkSettingsPatch, normalizeSettings } from '../src/shared/settings-values.js';
import { webGpuSection } from '../bench/webgpu.js';
import { memorySource, tinyModelFiles } from './helpers/memory-model.js';

const GPU: AdapterProbe = { adapter: { vendor: 'nvidia', architecture: 'ampere', description: '', isFallbackAdapter: false } };
const SOFTWARE: AdapterProbe = { adapter: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true } };
const NONE: AdapterProbe = { missing: 'no WebGPU adapter' };

test('the backend for each setting and adapter, in the words the options page shows', () => {
  assert.deepEqual(chooseBackend('auto', GPU, true), { backend: 'webgpu', text: 'WebGPU (adapter: nvidia ampere)' });
  assert.deepEqual(chooseBackend('auto', NONE, true), { backend: 'wasm', text: 'WebAssembly: no WebGPU adapter' });
  assert.deepEqual(chooseBackend('auto', SOFTWARE, true), { backend: 'wasm', text: 'WebAssembly: the only WebGPU adapter is a software one (google swiftshader (software)), slower than WebAssembly' });
  assert.deepEqual(chooseBackend('wasm', GPU, true), { backend: 'wasm', text: 'WebAssembly: forced in settings' });
  assert.deepEqual(chooseBackend('webgpu', SOFTWARE, true), { backend: 'webgpu', text: 'WebGPU (adapter: google swiftshader (software)), forced in settings' });
  assert.deepEqual(chooseBackend('webgpu', NONE), { backend: 'wasm', text: 'WebAssembly: WebGPU is forced in settings but not available (no WebGPU adapter)' });
  // a model published only as int8 (no fp32 file) stays on WebAssembly: MatMulInteger is WebAssembly-only
  assert.equal(chooseBackend('auto', GPU, false).backend, 'wasm');
  assert.match(chooseBackend('webgpu', GPU, false).text, /^WebAssembly: this model is published only as int8/);
  // not known yet (no model named): the adapter decides
  assert.equal(chooseBackend('auto', GPU).backend, 'webgpu');
});

test('the backend setting: default auto, kept, checked; settings stored before it existed get auto', () => {
  assert.equal(DEFAULT_SETTINGS.backend, 'auto');
  const older = { hubBaseUrl: 'https://huggingface.co', qaModelId: 'mobilebert-squad2', precision: 'fp32' };
  assert.equal(normalizeSettings(older).backend, 'auto');
  assert.equal(normalizeSettings(older).precision, 'fp32', 'the other settings are kept');
  assert.equal(normalizeSettings({ ...older, backend: 'webgpu' }).backend, 'webgpu');
  assert.equal(normalizeSettings({ ...older, backend: 'webgl' }).backend, 'auto', 'a value from elsewhere falls back to the default');
  assert.equal(checkSettingsPatch({ backend: 'wasm' }).backend, 'wasm');
  assert.throws(() => checkSettingsPatch({ backend: 'gpu' as never }), /backend must be "auto", "webgpu", "wasm" \(got "gpu"\)/);
  assert.equal(checkBackendSetting('webgpu'), 'webgpu');
});

function refFor(backend: OffscreenModelRef['backend'], files: string[]): OffscreenModelRef {
  const record: ModelRecord = { id: 'qa', source: 'hub', files: files.map((path) => ({ path, size: 1 })), bytes: files.length, installedAt: 1 };
  return { modelId: 'qa', record, variant: 'fp32', backend };
}

test('a WebGPU session that cannot be created falls back to WebAssembly, with the reason, and is not retried', async () => {
  const files = await tinyModelFiles({ kind: 'qa' });
  const source = memorySource(files, 'tiny-qa');
  let ortLoads = 0;
  // the WebAssembly-only build: creating a session with the 'webgpu' provider fails inside onnxruntime-web
  const backends = new Backends(1, { probe: async () => GPU, loadOrt: async () => (ortLoads++, ort) });
  const ref = refFor('webgpu', ['config.json', 'onnx/model.onnx']);
  const plan = await backends.plan(ref, source);
  assert.equal(plan.backend, 'webgpu');
  assert.equal(plan.variant, 'fp32');
  const loaded = await plan.load();
  assert.equal(loaded.backend, 'wasm', 'loaded on WebAssembly instead');
  assert.equal(loaded.model.session.executionProvider, 'wasm');
  const [row] = await runRows(loaded.model, [{ inputIds: [101, 2054, 102], segmentIds: [0, 0, 0] }], ['start_logits']);
  assert.equal(row.start_logits.length, 3, 'and it runs');
  const state = backends.status(['qa']).qa;
  assert.equal(state?.backend, 'wasm');
  assert.match(state?.text ?? '', /^WebAssembly: WebGPU could not load the model on nvidia ampere \(the ONNX model could not be loaded with webgpu: .+\)$/);
  await loaded.model.release();

  // the next request under the same setting plans WebAssembly at once (EngineHost finds the loaded model by it)
  const again = await backends.plan(ref, source);
  assert.equal(again.backend, 'wasm');
  assert.equal(ortLoads, 1, 'WebGPU is not tried again');
  // another setting tries afresh
  assert.equal((await backends.plan(refFor('auto', ['config.json', 'onnx/model.onnx']), source)).backend, 'webgpu');
});

test('forced WebAssembly never probes the adapter nor loads the WebGPU build', async () => {
  let probes = 0;
  const backends = new Backends(1, { probe: async () => (probes++, GPU), loadOrt: () => Promise.reject(new Error('must not load')) });
  const plan = await backends.plan(refFor('wasm', ['onnx/model.onnx']), memorySource(await tinyModelFiles({ kind: 'qa' })));
  assert.equal(plan.backend, 'wasm');
  assert.equal(probes, 0);
  assert.equal(backends.status(['qa']).qa?.text, 'WebAssembly: forced in settings');
});

test("the bench report's WebGPU section says when there is no adapter to measure on", () => {
  const none = webGpuSection({ adapter: null, note: 'no WebGPU adapter on this machine', switches: ['--enable-unsafe-webgpu'] }).join('\n');
  assert.match(none, /^## WebGPU\n\nno WebGPU adapter on this machine: WebGPU latency not measured/);
  const software = webGpuSection({ adapter: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true }, note: 'no hardware WebGPU adapter on this machine', switches: [] }).join('\n');
  assert.match(software, /no hardware WebGPU adapter on this machine \(Chromium offered: google swiftshader, a software adapter\)/);
  const stat = (median: number) => ({ n: 3, median, mean: median, p95: median, min: median });
  const measured = webGpuSection({ adapter: { vendor: 'nvidia', architecture: 'hopper', description: '', isFallbackAdapter: false }, switches: [], run: { software: false, loadMs: 800, perWindow: { '384': stat(12.5) }, runtime: 'onnxruntime-web 1.30.0 webgpu' } }).join('\n');
  assert.match(measured, /Adapter: nvidia hopper\. [^\n]*session creation 800 ms\.\n\n\| backend [^\n]*\n[^\n]*\n\| WebGPU, fp32 \| – \| – \| 13 ms \| – \|/);
});
