// Chrome's offscreen document: the extension's pages are cross-origin isolated (manifest keys
// cross_origin_embedder_policy / cross_origin_opener_policy), so here onnxruntime-web can start Workers and run
// WebAssembly with several threads, which the service worker cannot. The background creates this document
// (src/background/inference.ts) and sends it 'offscreen/' requests; it answers only those, only from the
// service worker. It hosts the same engine code as the worker path (EngineHost + LocalInference) and keeps
// its loaded models and prepared pages while it lives, also across service-worker restarts.
//
// Only part of chrome.runtime is available in an offscreen document (messaging, getURL, id: no storage, no
// getManifest): model records come with each request, with the ONNX variant to run (the background reads the
// precision setting), and the model bytes are read from Cache Storage (shared with the extension's other contexts).
import * as ort from 'onnxruntime-web';
import browser, { type Runtime } from 'webextension-polyfill';
import { EngineHost } from '../background/engines.js';
import { initRuntime } from '../engine/runtime.js';
import { LocalInference, type Progress } from '../background/inference.js';
import { readWindows, windowOptions } from '../engine/qa/pipeline.js';
import { buildWindows, questionIds, tokenizeContext } from '../engine/qa/windows.js';
import { toReply } from '../shared/messaging.js';
import { modelSource } from '../shared/model-store.js';
import { isOffscreenRequest, type OffscreenMemory, type OffscreenModelRef, type OffscreenProgress, type OffscreenReplies, type OffscreenRequest, type Reply } from '../shared/protocol.js';
import { registryEntry } from '../shared/registry.js';
import { Backends, probeWebGpu } from './webgpu.js';
import { mark } from '../shared/timeline.js';

// when this document was created, and when its script (bundle included) had run: the first reply carries them
mark('offscreen:origin', performance.timeOrigin);
mark('offscreen:script');

/** The threads the background asked for (?threads=N), used only where threads can work. */
const requestedThreads = Math.max(1, Math.min(4, Number(new URL(location.href).searchParams.get('threads')) || 1));
const numThreads = globalThis.crossOriginIsolated ? requestedThreads : 1;

// This document exists to run a model: its WebAssembly runtime (14 MB to compile, threads to start) starts now,
// while the background sends the first request and the model file is read, not after.
mark('offscreen:runtime-start');
initRuntime({ numThreads }).then(
  () => mark('offscreen:runtime-ready'),
  () => undefined, // the model load retries and reports it
);

/** The latest request's record and variant of each model */
const refs = new Map<string, OffscreenModelRef>();
/** WebGPU or WebAssembly per model (the request's backend setting and this device's adapter) */
const backends = new Backends(numThreads);
const engines = new EngineHost({
  numThreads,
  keepAlive: false,
  label: 'offscreen',
  toLoad: async (modelId) => {
    const ref = refs.get(modelId);
    if (!ref) throw new Error(`no request has named the model "${modelId}"`);
    return backends.plan(ref, await modelSource(registryEntry(modelId), ref.record));
  },
});
const local = new LocalInference(engines, 'offscreen');

/**
 * Takes the record and variant the background sent; a model that was replaced since it was loaded is loaded
 * again (a changed variant alone: EngineHost switches the model's precision itself).
 */
async function use(ref: OffscreenModelRef): Promise<void> {
  const known = refs.get(ref.modelId)?.record;
  if (known && (known.installedAt !== ref.record.installedAt || known.source !== ref.record.source)) {
    await engines.unload(ref.modelId);
    local.forget();
  }
  refs.set(ref.modelId, { modelId: ref.modelId, record: ref.record, variant: ref.variant, backend: ref.backend });
}

function progressFor(requestId: string): Progress {
  return (phase, done, total, message) => {
    const event: OffscreenProgress = { type: 'offscreen/progress', requestId, phase, done, total, message };
    browser.runtime.sendMessage(event).catch(() => undefined);
  };
}

async function handle(req: OffscreenRequest): Promise<OffscreenReplies[OffscreenRequest['type']]> {
  switch (req.type) {
    case 'offscreen/qa': {
      await use(req);
      const onProgress = progressFor(req.requestId);
      return engines.run(req.requestId, (signal) =>
        local.answer({ requestId: req.requestId, modelId: req.modelId, cacheKey: req.cacheKey, text: req.text, passages: req.passages, question: req.question, topK: req.topK, windowBudget: req.windowBudget, signal, onProgress }),
      );
    }
    case 'offscreen/prewarm':
      await use(req);
      await local.prewarm(req.modelId);
      return { loaded: true };
    case 'offscreen/classify': {
      await use(req);
      return { scores: await engines.run(req.requestId, (signal) => local.classify({ requestId: req.requestId, modelId: req.modelId, text: req.text, zeroShot: req.zeroShot, signal })) };
    }
    case 'offscreen/cancel':
      return { cancelled: engines.cancel(req.requestId) };
    case 'offscreen/unload': {
      const unloaded = engines.isLoaded(req.modelId);
      refs.delete(req.modelId);
      await engines.unload(req.modelId);
      local.forget();
      return { unloaded };
    }
    case 'offscreen/logits': {
      await use(req);
      return engines.run(`logits-${req.modelId}`, async () => {
        const model = await engines.model(req.modelId);
        model.require('qa');
        const opts = windowOptions(model, {});
        const ctx = tokenizeContext(model.tokenizer, req.context);
        const [window] = buildWindows(questionIds(model.tokenizer, req.question, opts.maxQueryLength), ctx, opts, { cls: model.tokenizer.clsId, sep: model.tokenizer.sepId });
        if (!window) throw new Error('the context gives no window');
        const [logits] = await readWindows(model, [{ window, context: ctx, offset: 0 }], {});
        return { executionProvider: model.session.executionProvider, onnxFile: model.onnxFile, start: [...logits.start], end: [...logits.end] };
      });
    }
    case 'offscreen/status': {
      const loadedModels = [...refs.keys()].filter((id) => engines.isLoaded(id));
      return {
        crossOriginIsolated: globalThis.crossOriginIsolated,
        requestedThreads,
        // what onnxruntime-web was set to (it is set when the first model loads)
        numThreads: ort.env.wasm.numThreads ?? numThreads,
        hardwareConcurrency: navigator.hardwareConcurrency,
        loadedModels,
        onnxFiles: await engines.onnxFiles(),
        backends: backends.status(loadedModels),
        webGpu: req.probeWebGpu ? await probeWebGpu() : undefined,
        ...(req.memory ? { memory: await measureMemory() } : {}),
      };
    }
  }
}

/** This document's memory, for the bench's growth check (never on a user's path). */
async function measureMemory(): Promise<OffscreenMemory> {
  const perf = performance as Performance & { memory?: { usedJSHeapSize: number }; measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
  let uaSpecificBytes: number | string = 'unavailable: performance.measureUserAgentSpecificMemory needs a cross-origin-isolated document';
  if (globalThis.crossOriginIsolated && perf.measureUserAgentSpecificMemory) {
    try {
      uaSpecificBytes = (await perf.measureUserAgentSpecificMemory()).bytes;
    } catch (err) {
      uaSpecificBytes = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return { uaSpecificBytes, jsHeapUsedBytes: perf.memory?.usedJSHeapSize ?? 'unavailable: no performance.memory', preparedPages: local.preparedPages };
}

/**
 * Only the extension's own service worker talks to this document: a sender from the extension with no tab and
 * no document (pages and the popup have a documentId). runtime.getManifest is not available here to compare
 * the worker's URL.
 */
function fromServiceWorker(sender: Runtime.MessageSender): boolean {
  const documentId = (sender as { documentId?: string }).documentId;
  return sender.id === browser.runtime.id && sender.tab === undefined && documentId === undefined && (sender.url ?? '').startsWith(browser.runtime.getURL(''));
}

browser.runtime.onMessage.addListener((msg: unknown, sender: Runtime.MessageSender): Promise<Reply<unknown>> | undefined => {
  if (!isOffscreenRequest(msg) || !fromServiceWorker(sender)) return undefined;
  return toReply(() => handle(msg));
});
