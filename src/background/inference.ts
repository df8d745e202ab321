// Where inference runs. 'worker': in the background itself, with one WebAssembly thread (a service worker cannot
// start Workers). 'offscreen' (Chrome): in an offscreen document that is cross-origin isolated, so
// onnxruntime-web runs several threads; the background forwards each job there with its request id, relays its
// progress to the pages and forwards cancels. Both run the same engine code (LocalInference, which the
// offscreen document hosts too). The background's EngineHost still queues jobs and keeps itself alive while
// one is pending, whichever side runs it. Any failure to reach the offscreen document falls back to the
// worker for the rest of this service worker's life (logged once); errors of the job itself are not retried.
//
// Choice: storage.local 'lens.threads' (read per request): 'auto' (default) = offscreen with threadsFor('auto')
// where chrome.offscreen exists, '1' = the worker, '2'..'4' = offscreen with that many threads.
// Firefox has no offscreen documents and no WebAssembly threads: its background runs the jobs, and the model's
// session is a pool of dedicated Web Workers (session-workers.ts), one WebAssembly thread each, which runRows
// splits each question's windows over: 'auto' = 2 workers, '2'..'4' = that many, '1' = one session in the event
// page itself (as before; also the fallback, logged once, when the workers cannot load the model).
import browser, { type Runtime } from 'webextension-polyfill';
import { classify, zeroShot, type LabelScore } from '../engine/classify.js';
import { LensModel, type ModelSource, type OnnxVariant } from '../engine/model.js';
import { ModelSession, errorMessage, type SessionLike } from '../engine/runtime.js';
import { PreparedDocument, answerDocument, type Passage } from '../engine/qa/document.js';
import { chooseBackend, noOffscreenChoice } from '../shared/backend.js';
import { broadcast } from '../shared/messaging.js';
import { installedModels, loadPlan } from '../shared/model-store.js';
import { precisionInUse } from '../shared/precision.js';
import { isOffscreenProgress, type BackendStatusReply, type DocumentAnswers, type OffscreenModelRef, type OffscreenReplies, type OffscreenRequest, type OffscreenStatusReply, type ProgressEvent, type Reply } from '../shared/protocol.js';
import { getSettings } from '../shared/settings.js';
import { mark, takeMarks } from '../shared/timeline.js';
import { SESSION_WORKER_PATH, type FromSessionWorker } from '../workers/session-protocol.js';
import type { EngineHost, ModelToLoad } from './engines.js';
import { SessionWorkers, type SessionWorkersStats, type WorkerPort } from './session-workers.js';

export const OFFSCREEN_PATH = 'src/offscreen/offscreen.html';
export const THREADS_KEY = 'lens.threads';
// Chrome's default: the offscreen document with 2+ threads (docs/PERFORMANCE.md measures both sides, message hop
// included). Firefox has no offscreen documents and always runs in its background page, single-threaded.
export const DEFAULT_THREADS = 'auto';
const MAX_THREADS = 4;
const JUSTIFICATION = 'Runs the on-device MobileBERT model with WebAssembly threads (Workers), which the service worker cannot start.';

export type Where = 'worker' | 'offscreen';
export type Progress = (phase: ProgressEvent['phase'], done: number, total: number | undefined, message: string) => void;

export interface QaJob {
  requestId: string;
  modelId: string;
  /** prepared documents are reused per key while the text (and model) is unchanged */
  cacheKey: string;
  text: string;
  passages: Passage[];
  question: string;
  topK: number;
  /** windows the model reads; default: the engine's budget */
  windowBudget?: number;
  signal: AbortSignal;
  onProgress: Progress;
}

export interface ClassifyJob {
  requestId: string;
  modelId: string;
  text: string;
  /** candidate labels for an NLI model; undefined: the classifier's own labels */
  zeroShot?: { labels: string[]; multiLabel: boolean };
  signal: AbortSignal;
}

export interface Inference {
  readonly where: Where;
  answer(job: QaJob): Promise<DocumentAnswers>;
  classify(job: ClassifyJob): Promise<LabelScore[]>;
  /** starts loading a model where inference runs (cold start overlaps with the user typing) */
  prewarm(modelId: string): Promise<void>;
}

/**
 * WebAssembly threads for a 'lens.threads' value: 'auto' follows onnxruntime-web's own default (half the
 * logical cores, at most 4) but never below 2 (a single thread gains nothing from the offscreen document).
 */
export function threadsFor(setting: string, hardwareConcurrency: number): number {
  const n = Number(setting);
  if (setting !== 'auto' && Number.isInteger(n) && n >= 1) return Math.min(n, MAX_THREADS);
  return Math.min(MAX_THREADS, Math.max(2, Math.ceil((hardwareConcurrency || 2) / 2)));
}

// ---- in this context (the service worker, or the offscreen document hosting it) ----

interface PreparedPage {
  text: string;
  model: LensModel;
  doc: PreparedDocument;
}

/** Runs jobs on an EngineHost's models here; keeps a few prepared pages for follow-up questions. */
export class LocalInference implements Inference {
  readonly where: Where;
  private readonly prepared = new Map<string, PreparedPage>();

  constructor(
    private readonly engines: EngineHost,
    where: Where = 'worker',
  ) {
    this.where = where;
  }

  async answer(job: QaJob): Promise<DocumentAnswers> {
    mark(`${this.where}:qa`);
    if (!this.engines.isReady(job.modelId)) job.onProgress('load', 0, undefined, 'Loading the model');
    const model = await this.engines.model(job.modelId);
    model.require('qa');
    job.signal.throwIfAborted();
    let entry = this.prepared.get(job.cacheKey);
    if (!entry || entry.text !== job.text || entry.model !== model) {
      // tokenizing and indexing is the slow step on a long page (~0.5 s per million characters): say so
      job.onProgress('index', 0, undefined, `Indexing ${job.text.length.toLocaleString('en-US')} characters`);
      entry = { text: job.text, model, doc: PreparedDocument.prepare(model.tokenizer, { text: job.text, passages: job.passages }) };
      mark(`${this.where}:prepared`);
    }
    this.remember(job.cacheKey, entry);
    mark(`${this.where}:read-start`);
    const result = await answerDocument(model, job.question, entry.doc, {
      topK: job.topK,
      windowBudget: job.windowBudget,
      signal: job.signal,
      onProgress: (done, total) => {
        mark(`${this.where}:windows-${done}`);
        job.onProgress('read', done, total, `Reading ${total} passage${total === 1 ? '' : 's'}`);
      },
    });
    return {
      answers: result.answers.map(({ text, start, end, score }) => ({ text, start, end, score })),
      abstained: result.abstained,
      noAnswerScore: result.noAnswerScore,
      windowsRead: result.windowsRead,
      windowsTotal: result.windowsTotal,
      pageTokensRead: result.pageTokensRead,
      pageTokens: result.pageTokens,
      timeline: takeMarks(),
    };
  }

  async classify(job: ClassifyJob): Promise<LabelScore[]> {
    const model = await this.engines.model(job.modelId);
    job.signal.throwIfAborted();
    if (job.zeroShot) return zeroShot(model, job.text, job.zeroShot.labels, { multiLabel: job.zeroShot.multiLabel, signal: job.signal });
    return classify(model, job.text, undefined, { signal: job.signal });
  }

  async prewarm(modelId: string): Promise<void> {
    await this.engines.model(modelId);
  }

  /** How many pages are kept prepared (a bounded cache: the memory check reports it). */
  get preparedPages(): number {
    return this.prepared.size;
  }

  /** Drops prepared pages of a model that was unloaded. */
  forget(): void {
    this.prepared.clear();
  }

  private remember(key: string, page: PreparedPage): void {
    this.prepared.delete(key);
    this.prepared.set(key, page);
    // a few pages are enough for follow-up questions; each holds tokens and an index
    while (this.prepared.size > 4) this.prepared.delete(this.prepared.keys().next().value as string);
  }
}

// ---- in Firefox's event page: the model's session in Web Workers ----

/**
 * Firefox: session workers for a 'lens.threads' value: 'auto' 2 (each holds its own copy of the model, so not one
 * per core), '1' none (one session in the event page), '2'..'4' that many.
 */
export function sessionWorkersFor(setting: string, hardwareConcurrency: number): number {
  const n = Number(setting);
  if (setting !== 'auto' && Number.isInteger(n) && n >= 1) return Math.min(n, MAX_THREADS);
  return hardwareConcurrency === 1 ? 1 : 2;
}

/** why models run in the event page although workers were asked for (set once; then for this background's life) */
let workersFallback: string | undefined;
/** the last pool created (a diagnostic for tests and the bench) */
let lastPool: SessionWorkers | undefined;
/** onnxruntime-web's WebAssembly module as the first session worker compiled it: later pools (another model, a reload) start from it */
let compiledModule: WebAssembly.Module | undefined;

function noteWorkersFallback(reason: string): void {
  if (workersFallback === undefined) console.warn(`Lens: running models in the event page (1 thread): ${reason}`);
  workersFallback = reason;
}

/** A dedicated module worker running src/workers/session-worker.ts (built to SESSION_WORKER_PATH for Firefox). */
function spawnSessionWorker(index: number): WorkerPort {
  const worker = new Worker(browser.runtime.getURL(SESSION_WORKER_PATH), { type: 'module', name: `lens-session-${index}` });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (listener) => worker.addEventListener('message', (event: MessageEvent<FromSessionWorker>) => listener(event.data)),
    onError: (listener) => {
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        listener(event.message || 'the worker script could not run');
      });
      worker.addEventListener('messageerror', () => listener('a message from the worker could not be read'));
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * Firefox: how the EngineHost loads a model here (engines.ts asks per request). 'backend' names where its session
 * runs, so a changed 'lens.threads' reloads the model (the other copy released first); after a fallback the plan
 * says 'page', which is what was loaded, and the model is not loaded again.
 */
export async function firefoxSessionPlan(source: ModelSource, variant: OnnxVariant): Promise<Pick<ModelToLoad, 'backend' | 'load'>> {
  const workers = sessionWorkersFor(await threadsSetting(), navigator.hardwareConcurrency);
  if (workers <= 1 || workersFallback !== undefined) return { backend: 'page' };
  const planned = `workers-${workers}`;
  return {
    backend: planned,
    load: async (onStep) => {
      let backend = planned;
      // the workers start their WebAssembly runtimes now, while the model's files are read
      const pool = SessionWorkers.start(workers, spawnSessionWorker, {
        module: compiledModule,
        onModule: (module) => (compiledModule ??= module),
        onLost: (reason) => noteWorkersFallback(`the session workers stopped (${reason})`),
      });
      const createSession = async (bytes: Uint8Array): Promise<SessionLike> => {
        try {
          lastPool = await pool.create(bytes);
          return lastPool;
        } catch (err) {
          noteWorkersFallback(errorMessage(err));
          backend = 'page';
          return ModelSession.create(bytes, { numThreads: 1 });
        }
      };
      try {
        return { model: await LensModel.load(source, { variant, onStep, createSession }), variant, backend };
      } catch (err) {
        await pool.release();
        throw err;
      }
    },
  };
}

// ---- in the offscreen document (Chrome) ----

// The slice of Chrome's API used here (webextension-polyfill has no types for chrome.offscreen / getContexts).
interface ExtensionContext {
  contextType: string;
  documentUrl?: string;
}
interface ChromeApi {
  offscreen?: {
    createDocument(params: { url: string; reasons: string[]; justification: string }): Promise<void>;
    closeDocument(): Promise<void>;
  };
  runtime: {
    getContexts?(filter: { contextTypes?: string[]; documentUrls?: string[] }): Promise<ExtensionContext[]>;
    getURL(path: string): string;
  };
}

function chromeApi(): ChromeApi | undefined {
  return (globalThis as unknown as { chrome?: ChromeApi }).chrome;
}

/** Whether this context can host an offscreen document at all (Chrome's service worker). */
export function offscreenSupported(): boolean {
  const api = chromeApi();
  return __LENS_BROWSER__ === 'chrome' && typeof api?.offscreen?.createDocument === 'function' && typeof api.runtime.getContexts === 'function';
}

/** The offscreen document could not be created or reached: the job may run in the worker instead. */
export class OffscreenUnavailable extends Error {
  override name = 'OffscreenUnavailable';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isReply(value: unknown): value is Reply<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

async function offscreenContexts(): Promise<ExtensionContext[]> {
  const api = chromeApi();
  if (!api?.runtime.getContexts) return [];
  return api.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] });
}

/** What the offscreen document needs to load a model: its record, the ONNX variant the precision setting picks, the backend setting. */
async function modelRef(modelId: string): Promise<OffscreenModelRef> {
  const { record, variant } = await loadPlan(modelId);
  return { modelId, record, variant, backend: (await getSettings()).backend };
}

/** Sends one request to the offscreen document: its reply, its error as an Error, or OffscreenUnavailable. */
async function sendOffscreen<R extends OffscreenRequest>(request: R): Promise<OffscreenReplies[R['type']]> {
  let reply: unknown;
  try {
    reply = await browser.runtime.sendMessage(request);
  } catch (err) {
    throw new OffscreenUnavailable(`the offscreen document did not answer ${request.type}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // no listener answered (e.g. only an extension page, which ignores 'offscreen/' messages, was there)
  if (!isReply(reply)) throw new OffscreenUnavailable(`no reply from the offscreen document to ${request.type}`);
  if (!reply.ok) throw new Error(reply.error);
  return reply.value as OffscreenReplies[R['type']];
}

let documentReady: Promise<OffscreenStatusReply> | undefined;
let readyUrl: string | undefined;
/** true while documentReady is still creating the document: a second caller waits for it instead of creating another */
let documentPending = false;

/** Creates the offscreen document for `threads` once (or again after it was closed) and checks it is isolated. */
async function ensureDocument(threads: number): Promise<OffscreenStatusReply> {
  const api = chromeApi();
  if (!api?.offscreen) throw new OffscreenUnavailable('chrome.offscreen is not available');
  const path = `${OFFSCREEN_PATH}?threads=${threads}`;
  const url = api.runtime.getURL(path);
  if (documentReady && readyUrl === url) {
    // being created (e.g. the prewarm of the same question): wait for it rather than create a second one
    if (documentPending) return documentReady;
    if ((await offscreenContexts()).some((c) => c.documentUrl === url)) return documentReady;
  }
  // no await from this check to documentPending = true: concurrent callers share one creation
  if (documentReady && documentPending && readyUrl === url) return documentReady;
  const offscreen = api.offscreen;
  readyUrl = url;
  documentReady = (async () => {
    const open = await offscreenContexts();
    try {
      if (!open.some((c) => c.documentUrl === url)) {
        // one offscreen document per extension: one with other threads is replaced
        if (open.length > 0) await offscreen.closeDocument();
        mark('worker:offscreen-create');
        await offscreen.createDocument({ url: path, reasons: ['WORKERS'], justification: JUSTIFICATION });
        mark('worker:offscreen-created');
      }
    } catch (err) {
      // created meanwhile by another request of this worker's previous life: fine if it is ours
      if (!(await offscreenContexts()).some((c) => c.documentUrl === url)) {
        throw new OffscreenUnavailable(`the offscreen document could not be created: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // its module script may still be starting: ask a few times
    let status: OffscreenStatusReply | undefined;
    for (let attempt = 0; !status; attempt++) {
      try {
        status = await sendOffscreen({ type: 'offscreen/status' });
      } catch (err) {
        if (attempt >= 40) throw err;
        await sleep(50);
      }
    }
    mark('worker:offscreen-ready');
    if (!status.crossOriginIsolated) {
      await offscreen.closeDocument().catch(() => undefined);
      throw new OffscreenUnavailable('the offscreen document is not cross-origin isolated (no WebAssembly threads there)');
    }
    return status;
  })();
  const created = documentReady;
  documentPending = true;
  created.then(
    () => {
      if (documentReady === created) documentPending = false;
    },
    () => {
      if (documentReady !== created) return;
      documentPending = false;
      documentReady = undefined;
      readyUrl = undefined;
    },
  );
  return created;
}

export class OffscreenInference implements Inference {
  readonly where: Where = 'offscreen';

  constructor(readonly threads: number) {}

  async answer(job: QaJob): Promise<DocumentAnswers> {
    const ref = await modelRef(job.modelId);
    const { requestId, cacheKey, text, passages, question, topK, windowBudget } = job;
    return this.forward({ type: 'offscreen/qa', ...ref, requestId, cacheKey, text, passages, question, topK, windowBudget }, job.signal, job.onProgress);
  }

  async prewarm(modelId: string): Promise<void> {
    const ref = await modelRef(modelId);
    await this.forward({ type: 'offscreen/prewarm', ...ref, requestId: `prewarm-${modelId}` }, new AbortController().signal);
  }

  async classify(job: ClassifyJob): Promise<LabelScore[]> {
    const ref = await modelRef(job.modelId);
    const { requestId, text, zeroShot } = job;
    return (await this.forward({ type: 'offscreen/classify', ...ref, requestId, text, zeroShot }, job.signal)).scores;
  }

  /** The document's status (creating it if needed); probeWebGpu: with its WebGPU adapter probe; memory: also its memory (slow). */
  status(options: { probeWebGpu?: boolean; memory?: boolean } = {}): Promise<OffscreenStatusReply> {
    return ensureDocument(this.threads).then(() => sendOffscreen({ type: 'offscreen/status', ...options }));
  }

  private async forward<R extends OffscreenRequest & { requestId: string }>(request: R, signal: AbortSignal, onProgress?: Progress): Promise<OffscreenReplies[R['type']]> {
    await ensureDocument(this.threads);
    signal.throwIfAborted();
    const relay = onProgress ?? (() => undefined);
    progressRelays.set(request.requestId, relay);
    const onAbort = () => void sendOffscreen({ type: 'offscreen/cancel', requestId: request.requestId }).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await sendOffscreen(request);
    } catch (err) {
      if (signal.aborted) throw new Error('cancelled');
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      progressRelays.delete(request.requestId);
    }
  }
}

/** Closes the offscreen document (and frees its models) when inference moved to the worker. */
async function closeOffscreen(): Promise<void> {
  const api = chromeApi();
  if (!offscreenSupported() || !api?.offscreen || (await offscreenContexts()).length === 0) return;
  documentReady = undefined;
  readyUrl = undefined;
  documentPending = false;
  await api.offscreen.closeDocument();
}

/**
 * Cancels a job the offscreen document may still be running for a request this worker does not know: one
 * sent by the worker's previous life, which the browser stopped mid-answer (never creates a document).
 */
export async function cancelInOffscreen(requestId: string): Promise<boolean> {
  if (!offscreenSupported() || (await offscreenContexts()).length === 0) return false;
  return (await sendOffscreen({ type: 'offscreen/cancel', requestId }).catch(() => ({ cancelled: false }))).cancelled;
}

/** Unloads a model in the offscreen document, if one is open (never creates one). */
async function unloadOffscreen(modelId: string): Promise<void> {
  if (!offscreenSupported() || (await offscreenContexts()).length === 0) return;
  await sendOffscreen({ type: 'offscreen/unload', modelId }).catch(() => undefined);
}

// progress of forwarded jobs, by request id; the offscreen document reports it with 'offscreen/progress'
const progressRelays = new Map<string, Progress>();

function fromOffscreen(sender: Runtime.MessageSender): boolean {
  const api = chromeApi();
  const url = (sender as { documentUrl?: string }).documentUrl ?? sender.url ?? '';
  return sender.id === browser.runtime.id && !!api && url.startsWith(api.runtime.getURL(OFFSCREEN_PATH));
}

// ---- the choice, with the fallback ----

let fallbackReason: string | undefined;
let lastWhere: Where | undefined;

/** Offscreen first; the worker when the offscreen document cannot be reached (logged once). */
class FallbackInference implements Inference {
  readonly where: Where = 'offscreen';

  constructor(
    private readonly primary: OffscreenInference,
    private readonly local: LocalInference,
  ) {}

  get offscreen(): OffscreenInference {
    return this.primary;
  }

  answer(job: QaJob): Promise<DocumentAnswers> {
    return this.attempt(job.signal, () => this.primary.answer(job), () => this.local.answer(job));
  }

  classify(job: ClassifyJob): Promise<LabelScore[]> {
    return this.attempt(job.signal, () => this.primary.classify(job), () => this.local.classify(job));
  }

  prewarm(modelId: string): Promise<void> {
    return this.attempt(new AbortController().signal, () => this.primary.prewarm(modelId), () => this.local.prewarm(modelId));
  }

  private async attempt<T>(signal: AbortSignal, offscreen: () => Promise<T>, worker: () => Promise<T>): Promise<T> {
    try {
      lastWhere = 'offscreen';
      return await offscreen();
    } catch (err) {
      if (!(err instanceof OffscreenUnavailable) || signal.aborted) throw err;
      if (fallbackReason === undefined) console.warn(`Lens: running models in the service worker (1 thread): ${err.message}`);
      fallbackReason = err.message;
      lastWhere = 'worker';
      return worker();
    }
  }
}

const locals = new WeakMap<EngineHost, LocalInference>();

function localFor(engines: EngineHost): LocalInference {
  let local = locals.get(engines);
  if (!local) {
    const created = new LocalInference(engines, 'worker');
    engines.onUnload(async (modelId) => {
      created.forget();
      await unloadOffscreen(modelId);
    });
    locals.set(engines, created);
    local = created;
  }
  return local;
}

async function threadsSetting(): Promise<string> {
  const value = (await browser.storage.local.get(THREADS_KEY))[THREADS_KEY];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : DEFAULT_THREADS;
}

/** Where this request runs, per 'lens.threads' and what the browser offers. */
export async function chooseInference(engines: EngineHost): Promise<Inference> {
  const local = localFor(engines);
  const threads = threadsFor(await threadsSetting(), navigator.hardwareConcurrency);
  if (threads <= 1 || !offscreenSupported() || fallbackReason !== undefined) {
    lastWhere = 'worker';
    // 'lens.threads' = '1': a document left from before holds a model copy for nothing
    if (threads <= 1) await closeOffscreen().catch(() => undefined);
    return local;
  }
  return new FallbackInference(new OffscreenInference(threads), local);
}

/**
 * Where the QA model runs (WebGPU or WebAssembly) and why, for the options page: what the offscreen document
 * loaded it on under the current setting, else what it would choose now (creating the document to probe the adapter).
 */
export async function backendStatus(engines: EngineHost): Promise<BackendStatusReply> {
  const { backend: setting, qaModelId } = await getSettings();
  if (!offscreenSupported()) return { setting, choice: noOffscreenChoice('WebGPU is used only in Chrome (in its offscreen document)') };
  const inference = await chooseInference(engines);
  if (!(inference instanceof FallbackInference)) {
    return { setting, choice: noOffscreenChoice(fallbackReason ? `models run in the service worker (${fallbackReason})` : 'models run in the service worker (one thread is set)') };
  }
  let status: OffscreenStatusReply;
  try {
    status = await inference.offscreen.status({ probeWebGpu: setting !== 'wasm' });
  } catch (err) {
    return { setting, choice: noOffscreenChoice(`the offscreen document is not available (${err instanceof Error ? err.message : String(err)})`) };
  }
  const loaded = status.backends?.[qaModelId];
  if (loaded && loaded.setting === setting) return { setting, choice: { backend: loaded.backend, text: loaded.text } };
  const record = (await installedModels())[qaModelId];
  const hasFp32 = record ? precisionInUse(record, 'fp32')?.precision === 'fp32' : undefined;
  return { setting, choice: chooseBackend(setting, status.webGpu ?? {}, hasFp32) };
}

// In Chrome's service worker: relay the offscreen document's progress, and a small diagnostic handle for
// end-to-end tests (which side ran the last job, the document's status).
if (__LENS_BROWSER__ === 'chrome' && 'ServiceWorkerGlobalScope' in globalThis) {
  browser.runtime.onMessage.addListener((msg: unknown, sender: Runtime.MessageSender): undefined => {
    if (!isOffscreenProgress(msg) || !fromOffscreen(sender)) return undefined;
    const relay = progressRelays.get(msg.requestId);
    if (relay) relay(msg.phase, msg.done, msg.total, msg.message);
    else broadcast({ type: 'event/progress', requestId: msg.requestId, phase: msg.phase, done: msg.done, total: msg.total, message: msg.message });
    return undefined;
  });
  (globalThis as { lensInference?: unknown }).lensInference = {
    lastWhere: () => lastWhere,
    fallbackReason: () => fallbackReason,
    offscreenStatus: async (memory?: boolean) => new OffscreenInference(threadsFor(await threadsSetting(), navigator.hardwareConcurrency)).status({ memory: memory === true }),
    // a model's raw start/end logits for a question's first window, computed where the offscreen document runs it
    offscreenLogits: async (modelId: string, question: string, context: string) => {
      await ensureDocument(threadsFor(await threadsSetting(), navigator.hardwareConcurrency));
      return sendOffscreen({ type: 'offscreen/logits', ...(await modelRef(modelId)), question, context });
    },
  };
}

// In Firefox's event page: which session the models run on, for end-to-end tests and the bench (read from an
// extension page through browser.extension.getViews()).
if (__LENS_BROWSER__ === 'firefox') {
  (globalThis as { lensInference?: unknown }).lensInference = {
    sessionWorkers: (): { fallbackReason: string | undefined; stats: SessionWorkersStats | undefined } => ({ fallbackReason: workersFallback, stats: lastPool?.stats() }),
  };
}
