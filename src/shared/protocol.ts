// The one typed message protocol of the extension. Every part (background, content script, popup, options)
// imports its types from here; the background validates what it receives with isRequest().
import type { LabelScore } from '../engine/classify.js';
import type { OnnxVariant } from './model-files.js';
import type { AdapterProbe, BackendChoice, BackendSetting } from './backend.js';
import type { LanguageGuess } from './language.js';
import type { PinTier, ReportedScore } from './registry.js';
import type { TimelineMark } from './timeline.js';

export type ModelTask = 'qa' | 'zero-shot' | 'classify';

/** Which weights run: int8 (about twice as fast in WebAssembly) or fp32 (the published weights exactly). */
export type Precision = 'int8' | 'fp32';

/** The ONNX file a model runs with under the current precision setting. */
export interface PrecisionInUse {
  precision: Precision;
  /** the ONNX file, e.g. onnx/model_quantized.onnx */
  path: string;
  /** quantized on this device from the fp32 file (registry "int8": "on-device") */
  derived: boolean;
  /** why it is not the precision the setting asks for, in words for people */
  note?: string;
}

/** Where a page's question is answered from: the whole readable page, or the user's selection. */
export type Scope = 'page' | 'selection';

/**
 * The most characters of page text one question reads (the start of the main content, or of the selection).
 * Bounds the content script's walk, the message to the background and the index built over it: a million
 * characters (a 500-page book; the longest encyclopedia articles are under half that) take about 0.5 s to
 * index on a laptop core and ~70 MB while indexed. Longer pages are read up to here, and the popup says so.
 */
export const MAX_READ_CHARS = 1_000_000;

/** Only the start of the text was read: `read` characters of about `total` (see MAX_READ_CHARS). */
export interface PartialRead {
  read: number;
  /** estimated from the DOM's text (the rest was not walked) */
  total: number;
}

export interface Answer {
  text: string;
  /** character offsets into the extracted text of the snapshot the question was asked about */
  start: number;
  end: number;
  /** 0..1 */
  score: number;
  /** the page (1-based) the answer is on, when the document has pages (a PDF in the Lens reader) */
  page?: number;
}

export interface ModelFileStatus {
  path: string;
  /** bytes, when known (registry, Content-Length or stored file) */
  size?: number;
  sha256?: string;
}

export type InstallState =
  | { kind: 'absent' }
  /**
   * being installed: its files downloading, then (a checkpoint without ONNX) its ONNX file being built, then
   * (registry "int8": "on-device", or just built) the int8 file being made; loaded/total in the step's unit
   * (bytes downloaded, tensors placed, bytes of weights quantized)
   */
  | { kind: 'downloading'; step: InstallStep; loaded: number; total: number | undefined }
  | { kind: 'installed'; source: 'hub' | 'import' | 'bundled'; bytes: number; installedAt: number; precision?: PrecisionInUse };

/** The phases of one install, in order; a model goes through those it needs. */
export type InstallStep = 'download' | 'build' | 'optimize';

export interface ModelInfo {
  id: string;
  name: string;
  task: ModelTask;
  repo: string;
  /** the commit its files come from: the registry's, or the one pinned on this device; undefined before a first install */
  revision: string | undefined;
  /** for a "first-install" entry: the branch it resolves */
  branch?: string;
  /** how its files are verified, and in words: "pinned by Lens (…)" / "pinned on this device at first install, commit abc1234" */
  pin: { tier: PinTier; text: string };
  /** a score its publisher reports (e.g. on the model card) */
  reported?: ReportedScore;
  /** download size in bytes as the registry states it (approximate where the hub's exact size is unknown) */
  approxBytes: number;
  description: string;
  license: string;
  state: InstallState;
}

/** Progress of long work, broadcast by the background to the extension's pages. */
export interface ProgressEvent {
  type: 'event/progress';
  /** the request it belongs to, or the model being downloaded */
  requestId?: string;
  modelId?: string;
  /** 'index': the page's text is being tokenized and indexed for retrieval (once per page text) */
  phase: InstallStep | 'load' | 'extract' | 'index' | 'read' | 'classify';
  /** done so far and total, in the phase's unit (bytes, windows, texts); total undefined when unknown */
  done: number;
  total: number | undefined;
  message: string;
}

export interface ModelsChangedEvent {
  type: 'event/models-changed';
}

export type BackgroundEvent = ProgressEvent | ModelsChangedEvent;

// ---- requests to the background (from popup, options, content scripts) ----

export interface AskRequest {
  type: 'qa/ask';
  requestId: string;
  tabId: number;
  question: string;
  /** 'selection' answers from the selection only; the background refuses it when nothing is selected */
  scope: Scope;
  topK?: number;
  /** windows the model reads (default: the engine's DEFAULT_WINDOW_BUDGET); a large number reads every window */
  windowBudget?: number;
}

export interface AskReply {
  scope: Scope;
  /** which page snapshot the offsets refer to (pass it back to content/highlight) */
  snapshotId: string;
  /** what was read (main content, whole page or selection) */
  reading: Reading;
  answers: Answer[];
  /** the model's null answer won: show "no answer on this page" (answers may still be offered below it) */
  abstained: boolean;
  noAnswerScore: number;
  windowsRead: number;
  windowsTotal: number;
  /** page tokens read (each once) and the page's tokens: the share of the page the model read */
  pageTokensRead: number;
  pageTokens: number;
  /** the best answer was highlighted in the page */
  highlighted: boolean;
  ms: number;
  /** the page or selection has no text at all (e.g. only images): the model was not run, answers is empty */
  noText?: boolean;
  /** only the start of the text was read (longer than MAX_READ_CHARS) */
  partial?: PartialRead;
  /** the text does not read as English (the models are trained on English): the popup says so */
  language?: LanguageGuess;
  /** diagnostics, never shown: when the background and the offscreen document reached each step (src/shared/timeline.ts) */
  timeline?: TimelineMark[];
  /** the page was not read again: the reading of an earlier question (or of the popup opening) was still the page's */
  reused?: boolean;
}

/**
 * The popup opened on a page it will ask about: the content script reads the page now (or keeps a reading the page
 * has not changed since), so the first question does not wait for it. Nothing is downloaded or loaded.
 */
export interface PreparePageRequest {
  type: 'page/prepare';
  tabId: number;
}

/** 'read': the page was read now; 'reused': an earlier reading still holds; 'skipped': not read (a restricted page, an answer's marks shown over a changed page, an error). */
export interface PrepareReply {
  reading: 'read' | 'reused' | 'skipped';
}

/**
 * Is a request still being worked on? The popup asks while it waits, so a background that was stopped and
 * restarted by the browser mid-answer (and so lost the request) is noticed even if no error reaches it.
 */
export interface RequestStatusRequest {
  type: 'request/status';
  requestId: string;
}

export interface RequestStatusReply {
  /** 'unknown': this background never had it, or lost it in a restart */
  state: 'running' | 'finished' | 'unknown';
}

/**
 * The popup's two classifiers: 'sentiment' runs the fine-tuned sentence classifier with its own fixed labels,
 * 'zero-shot' the NLI model with labels the user chooses. Each has its own model setting.
 */
export type ClassifyMode = 'sentiment' | 'zero-shot';
export const CLASSIFY_MODES: readonly ClassifyMode[] = ['sentiment', 'zero-shot'];

export interface ClassifyRequest {
  type: 'classify/run';
  requestId: string;
  text: string;
  /** which classifier (and so which model setting) runs */
  mode: ClassifyMode;
  /** zero-shot only: candidate labels (absent: the remembered ones); refused in sentiment mode */
  labels?: string[];
  multiLabel?: boolean;
}

export interface ClassifyReply {
  modelId: string;
  mode: ClassifyMode;
  zeroShot: boolean;
  scores: LabelScore[];
  ms: number;
}

export interface CancelRequest {
  type: 'request/cancel';
  requestId: string;
}

export interface ModelsListRequest {
  type: 'models/list';
}

export interface ModelsListReply {
  models: ModelInfo[];
  /** bytes the stored models take */
  storageBytes: number;
  hubBaseUrl: string;
}

export interface ModelDownloadRequest {
  type: 'models/download';
  modelId: string;
}

export interface ModelCancelDownloadRequest {
  type: 'models/cancel-download';
  modelId: string;
}

export interface ModelRemoveRequest {
  type: 'models/remove';
  modelId: string;
}

/**
 * Sent by the options page after it stored an imported folder's files itself (Cache Storage is shared): the
 * background completes the install (on-device int8 where the registry asks for it, the record) and loads it.
 */
export interface ModelImportedRequest {
  type: 'models/imported';
  modelId: string;
  files: StoredFile[];
}

/** Sent when the popup opens: start loading the task's model (if installed) while the user types. */
export interface ModelPrewarmRequest {
  type: 'models/prewarm';
  task: 'qa' | 'classify';
}

/** What the popup needs to know about a tab before asking: can Lens read it, is text selected. */
export interface TabInfoRequest {
  type: 'tab/info';
  tabId: number;
}

export interface TabInfoReply {
  /** false on pages where extensions cannot run (browser pages, the extension store, the PDF viewer) */
  readable: boolean;
  /** why not, in words for the user */
  reason?: string;
  title: string;
  url: string;
  /** characters currently selected in the page (0: none) */
  selectionLength: number;
  /** the tab shows a PDF in the browser's viewer: the popup offers to open it in the Lens reader */
  pdf?: PdfTabInfo;
}

/** A tab showing a PDF (by its URL or its content type). */
export interface PdfTabInfo {
  url: string;
  /** false: the reader cannot fetch it (a file:// PDF without file access, or in Firefox); `reason` says what to do */
  openable: boolean;
  reason?: string;
}

/** Open the tab's PDF in the Lens reader (the same tab navigates to the reader page, which fetches the PDF). */
export interface OpenReaderRequest {
  type: 'reader/open';
  tabId: number;
}

/** The options page asks where models run now (WebGPU or WebAssembly) and why. */
export interface BackendStatusRequest {
  type: 'backend/status';
}

export interface BackendStatusReply {
  setting: BackendSetting;
  /** for the QA model: what runs it (after it loaded under this setting), else what would */
  choice: BackendChoice;
}

export interface HighlightRequest {
  type: 'qa/highlight';
  tabId: number;
  snapshotId: string;
  start: number;
  end: number;
}

export type BackgroundRequest =
  | AskRequest
  | ClassifyRequest
  | CancelRequest
  | RequestStatusRequest
  | ModelsListRequest
  | ModelDownloadRequest
  | ModelCancelDownloadRequest
  | ModelRemoveRequest
  | ModelImportedRequest
  | ModelPrewarmRequest
  | TabInfoRequest
  | HighlightRequest
  | BackendStatusRequest
  | PreparePageRequest
  | OpenReaderRequest
  // per-tab question history
  | HistoryListRequest;

/** The reply type of each request. */
export interface BackgroundReplies {
  'qa/ask': AskReply;
  'classify/run': ClassifyReply;
  'request/cancel': { cancelled: boolean };
  'request/status': RequestStatusReply;
  'models/list': ModelsListReply;
  'models/download': { installed: ModelInfo };
  'models/cancel-download': { cancelled: boolean };
  'models/remove': { removed: boolean };
  'models/imported': { installed: ModelInfo };
  'models/prewarm': { loading: boolean };
  'tab/info': TabInfoReply;
  'qa/highlight': HighlightReply;
  'backend/status': BackendStatusReply;
  'page/prepare': PrepareReply;
  'reader/open': { url: string };
  'history/list': HistoryListReply;
}

// ---- per-tab question history (the side panel and the popup; src/background/history.ts) ----
// The background records each answered question of a tab (newest first, at most HISTORY_PER_TAB) in
// storage.session, so it outlives a restart of the service worker but not the browser. A tab's history is
// cleared when the tab goes to another URL (a change of the #hash alone keeps it) or closes.

/** Entries kept per tab; the oldest goes first. */
export const HISTORY_PER_TAB = 20;

/** One answered question of a tab, as the Ask view showed it. */
export interface HistoryEntry {
  /** unique within the tab's history */
  id: string;
  question: string;
  scope: Scope;
  /** best first, with their offsets into the snapshot (and their page in a PDF) */
  answers: Answer[];
  abstained: boolean;
  /** the page had no text to read (answers is empty) */
  noText?: boolean;
  /** the page snapshot the offsets refer to: a qa/highlight with it marks an answer again while the page is unchanged */
  snapshotId: string;
  /** Date.now() when it was answered */
  at: number;
}

/** A tab's history, newest first (empty for a tab without one). */
export interface HistoryListRequest {
  type: 'history/list';
  tabId: number;
}

export interface HistoryListReply {
  tabId: number;
  entries: HistoryEntry[];
}

/**
 * Background -> pages: a tab's history changed (an answer recorded, or cleared by a navigation or the tab
 * closing); an open side panel or popup showing that tab asks for it again. Not one of BackgroundEvent's
 * members (those carry progress): check it with isHistoryChangedEvent.
 */
export interface HistoryChangedEvent {
  type: 'event/history-changed';
  tabId: number;
}

export function isHistoryChangedEvent(msg: unknown): msg is HistoryChangedEvent {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  return m.type === 'event/history-changed' && Number.isInteger(m.tabId);
}

// ---- requests from the background to a tab's content script ----

export interface ExtractRequest {
  type: 'content/extract';
  scope: Scope;
}

/**
 * What was read to answer from: the page's main content, the whole page (no main content found, or too little
 * of it), or the selection; `note` says it in words for the popup ("Read: <note>").
 */
export interface Reading {
  kind: 'main' | 'page' | 'selection';
  note: string;
}

/**
 * What a passage of an article reading is: the article's headline, its standfirst (what stands between the
 * headline and the body: a summary, a lead-in), its byline or date, its body, or a caption of a figure or table.
 */
export type PassageRole = 'headline' | 'standfirst' | 'byline' | 'body' | 'caption';
export const PASSAGE_ROLES: readonly PassageRole[] = ['headline', 'standfirst', 'byline', 'body', 'caption'];

/**
 * A passage of a reading: [start, end) in the reading's text, and its role in the article (readings of the main
 * article only; whole-page and selection readings have no roles).
 */
export interface Passage {
  start: number;
  end: number;
  role?: PassageRole;
}

export interface ExtractReply {
  snapshotId: string;
  scope: Scope;
  reading: Reading;
  /** the readable text: passages separated by newlines */
  text: string;
  passages: Passage[];
  title: string;
  url: string;
  /** only the start of the text was read (longer than MAX_READ_CHARS) */
  partial?: PartialRead;
  /** page scope: the page's last reading was returned again, as nothing has touched its text since */
  reused?: boolean;
  /** a paged document (a PDF in the Lens reader): pageStarts[p] is where page p+1's text begins in `text` */
  pageStarts?: number[];
}

/** Read the page ahead of a question (see PreparePageRequest); the answer's marks, if shown, stay. */
export interface ContentPrepareRequest {
  type: 'content/prepare';
}

export interface ContentHighlightRequest {
  type: 'content/highlight';
  snapshotId: string;
  start: number;
  end: number;
  /** scroll the highlight into view */
  scroll: boolean;
}

export interface HighlightReply {
  /** the text now highlighted in the page (equals the answer's text) */
  text: string;
}

export interface ClearRequest {
  type: 'content/clear';
}

export interface SelectionInfoRequest {
  type: 'content/selection-info';
}

export interface ShowCardRequest {
  type: 'content/show-card';
  title: string;
  /** the text that was classified (shown shortened) */
  text: string;
  result: { scores: LabelScore[] } | { error: string } | { pending: true };
}

export type ContentRequest = ExtractRequest | ContentHighlightRequest | ClearRequest | SelectionInfoRequest | ShowCardRequest | ContentPrepareRequest;

export interface ContentReplies {
  'content/extract': ExtractReply;
  'content/highlight': HighlightReply;
  'content/clear': { cleared: number };
  /** contentType: the document's (Chrome may run the content script in its PDF viewer's shell page) */
  'content/selection-info': { selectionLength: number; title: string; url: string; contentType?: string };
  'content/show-card': { shown: boolean };
  'content/prepare': PrepareReply;
}

// ---- from the background to a Lens reader page (src/reader/) ----
// A tab showing the Lens reader has no content script: the reader page answers the same content requests,
// sent as a runtime message addressed to its tab (every extension page hears it; only that tab's reader answers).

export interface ReaderContentRequest {
  type: 'reader/content';
  tabId: number;
  request: ContentRequest;
}

export function isReaderContentRequest(msg: unknown): msg is ReaderContentRequest {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  return m.type === 'reader/content' && Number.isInteger(m.tabId) && isContentRequest(m.request);
}

// ---- between the background and its offscreen inference document (Chrome) ----
// Only the service worker sends these and only the offscreen document answers them; the background's router
// and the extension's pages ignore the 'offscreen/' prefix. Model records travel with each request because an
// offscreen document can use chrome.runtime only (no storage.local); the bytes it reads from Cache Storage.

/** A file of an installed model in Cache Storage. */
export interface StoredFile {
  path: string;
  size: number;
  sha256?: string;
  /**
   * made on this device, not downloaded or imported: 'int8' = quantized from the model's fp32 ONNX file; 'onnx' =
   * built from the model's config.json and checkpoint (which is not kept: this file holds its weights)
   */
  derived?: 'int8' | 'onnx';
}

/** An installed model's record, as the model store keeps it in storage.local. */
export interface ModelRecord {
  id: string;
  source: 'hub' | 'import' | 'bundled';
  files: StoredFile[];
  /** all its stored files, the ones made on this device included */
  bytes: number;
  installedAt: number;
  /** for hub downloads: where from, and the commit */
  url?: string;
  revision?: string;
  /** the on-device int8 step failed: why (the model is installed with its fp32 file) */
  int8Error?: string;
}

/** The model a request is for, with its record (the offscreen document cannot read storage.local) and which ONNX file to run. */
export interface OffscreenModelRef {
  modelId: string;
  record: ModelRecord;
  variant: OnnxVariant;
  /** the backend setting (default 'auto'): the document runs the model on WebGPU (its fp32 file) or WebAssembly */
  backend?: BackendSetting;
}

export interface OffscreenQaRequest extends OffscreenModelRef {
  type: 'offscreen/qa';
  requestId: string;
  /** reuse the prepared document of an earlier question while the text is unchanged (e.g. "tab:scope") */
  cacheKey: string;
  text: string;
  passages: Passage[];
  question: string;
  topK: number;
  windowBudget?: number;
}

/** Load a model in the offscreen document ahead of the first question. */
export interface OffscreenPrewarmRequest extends OffscreenModelRef {
  type: 'offscreen/prewarm';
  requestId: string;
}

export interface DocumentAnswers {
  answers: Answer[];
  abstained: boolean;
  noAnswerScore: number;
  windowsRead: number;
  windowsTotal: number;
  /** page tokens read (each once) and the page's tokens: the share of the page the model read */
  pageTokensRead: number;
  pageTokens: number;
  /** diagnostics: the marks of the context that answered (src/shared/timeline.ts) */
  timeline?: TimelineMark[];
}

export interface OffscreenClassifyRequest extends OffscreenModelRef {
  type: 'offscreen/classify';
  requestId: string;
  text: string;
  /** zero-shot candidate labels (NLI model); undefined: the classifier's own labels */
  zeroShot?: { labels: string[]; multiLabel: boolean };
}

export interface OffscreenCancelRequest {
  type: 'offscreen/cancel';
  requestId: string;
}

export interface OffscreenUnloadRequest {
  type: 'offscreen/unload';
  modelId: string;
}

export interface OffscreenStatusRequest {
  type: 'offscreen/status';
  /** also measure the document's memory (slow: performance.measureUserAgentSpecificMemory waits for a GC) */
  memory?: boolean;
  /** also probe for a WebGPU adapter (the options page's backend line) */
  probeWebGpu?: boolean;
}

/**
 * Diagnostic (end-to-end tests): the loaded model's start/end logits for the first window of a question over a
 * context, with the backend that computed them.
 */
export interface OffscreenLogitsRequest extends OffscreenModelRef {
  type: 'offscreen/logits';
  question: string;
  context: string;
}

export interface OffscreenLogitsReply {
  executionProvider: string;
  onnxFile: string;
  start: number[];
  end: number[];
}

/** The offscreen document's memory (the bench's growth check); a figure the browser does not give is a reason string. */
export interface OffscreenMemory {
  /** performance.measureUserAgentSpecificMemory(): the document, its workers (WebAssembly threads) and their WebAssembly memory */
  uaSpecificBytes: number | string;
  /** performance.memory.usedJSHeapSize (Chrome; coarse unless precise memory info is on) */
  jsHeapUsedBytes: number | string;
  /** prepared pages kept for follow-up questions */
  preparedPages: number;
}

export interface OffscreenStatusReply {
  crossOriginIsolated: boolean;
  /** the threads asked for (from the document URL) and what onnxruntime-web runs with (after the first model load) */
  requestedThreads: number;
  numThreads: number;
  hardwareConcurrency: number;
  loadedModels: string[];
  /** the ONNX file each loaded model runs, by model id */
  onnxFiles: Record<string, string>;
  /** where each loaded model runs and why, under which setting; the adapter probe when asked for (probeWebGpu) */
  backends?: Record<string, BackendChoice & { setting: BackendSetting }>;
  webGpu?: AdapterProbe;
  /** when the request asked for it */
  memory?: OffscreenMemory;
}

export type OffscreenRequest = OffscreenQaRequest | OffscreenPrewarmRequest | OffscreenClassifyRequest | OffscreenCancelRequest | OffscreenUnloadRequest | OffscreenStatusRequest | OffscreenLogitsRequest;

export interface OffscreenReplies {
  'offscreen/qa': DocumentAnswers;
  'offscreen/prewarm': { loaded: boolean };
  'offscreen/classify': { scores: LabelScore[] };
  'offscreen/cancel': { cancelled: boolean };
  'offscreen/unload': { unloaded: boolean };
  'offscreen/status': OffscreenStatusReply;
  'offscreen/logits': OffscreenLogitsReply;
}

/** Offscreen document -> background: progress of a request, relayed to the pages as an event/progress. */
export interface OffscreenProgress {
  type: 'offscreen/progress';
  requestId: string;
  phase: ProgressEvent['phase'];
  done: number;
  total: number | undefined;
  message: string;
}

const OFFSCREEN_TYPES: ReadonlySet<string> = new Set<OffscreenRequest['type']>(['offscreen/qa', 'offscreen/prewarm', 'offscreen/classify', 'offscreen/cancel', 'offscreen/unload', 'offscreen/status', 'offscreen/logits']);

export function isOffscreenRequest(msg: unknown): msg is OffscreenRequest {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  if (typeof m.type !== 'string' || !OFFSCREEN_TYPES.has(m.type)) return false;
  const str = (k: string) => typeof m[k] === 'string';
  const ref = () =>
    str('modelId') && typeof m.record === 'object' && m.record !== null && (m.variant === 'fp32' || m.variant === 'quantized') && (m.backend === undefined || m.backend === 'auto' || m.backend === 'webgpu' || m.backend === 'wasm');
  switch (m.type as OffscreenRequest['type']) {
    case 'offscreen/qa':
      return ref() && str('requestId') && str('cacheKey') && str('text') && Array.isArray(m.passages) && str('question') && Number.isInteger(m.topK);
    case 'offscreen/prewarm':
      return ref() && str('requestId');
    case 'offscreen/classify':
      return ref() && str('requestId') && str('text');
    case 'offscreen/cancel':
      return str('requestId');
    case 'offscreen/unload':
      return str('modelId');
    case 'offscreen/status':
      return true;
    case 'offscreen/logits':
      return ref() && str('question') && str('context');
  }
}

export function isOffscreenProgress(msg: unknown): msg is OffscreenProgress {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  return m.type === 'offscreen/progress' && typeof m.requestId === 'string' && typeof m.done === 'number' && typeof m.message === 'string';
}

// ---- the envelope every reply travels in (errors are values: they survive the message channel) ----

export type Reply<T> = { ok: true; value: T } | { ok: false; error: string };

const BACKGROUND_TYPES: ReadonlySet<string> = new Set<BackgroundRequest['type']>([
  'qa/ask',
  'classify/run',
  'request/cancel',
  'request/status',
  'models/list',
  'models/download',
  'models/cancel-download',
  'models/remove',
  'models/imported',
  'models/prewarm',
  'tab/info',
  'qa/highlight',
  'backend/status',
  'page/prepare',
  'reader/open',
  'history/list',
]);

/** Shape check for what arrives at the background (types and required fields, not just the tag). */
export function isBackgroundRequest(msg: unknown): msg is BackgroundRequest {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  if (typeof m.type !== 'string' || !BACKGROUND_TYPES.has(m.type)) return false;
  const str = (k: string) => typeof m[k] === 'string';
  const int = (k: string) => Number.isInteger(m[k]);
  switch (m.type as BackgroundRequest['type']) {
    case 'qa/ask':
      return str('requestId') && int('tabId') && str('question') && (m.scope === 'page' || m.scope === 'selection') && (m.windowBudget === undefined || (int('windowBudget') && (m.windowBudget as number) >= 1));
    case 'classify/run':
      return (
        str('requestId') &&
        str('text') &&
        CLASSIFY_MODES.includes(m.mode as ClassifyMode) &&
        (m.labels === undefined || (Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string'))) &&
        (m.multiLabel === undefined || typeof m.multiLabel === 'boolean')
      );
    case 'request/cancel':
    case 'request/status':
      return str('requestId');
    case 'models/list':
      return true;
    case 'models/download':
    case 'models/cancel-download':
    case 'models/remove':
      return str('modelId');
    case 'models/imported':
      return str('modelId') && Array.isArray(m.files) && m.files.every(isStoredFile);
    case 'models/prewarm':
      return m.task === 'qa' || m.task === 'classify';
    case 'tab/info':
      return int('tabId');
    case 'qa/highlight':
      return int('tabId') && str('snapshotId') && int('start') && int('end');
    case 'backend/status':
      return true;
    case 'page/prepare':
    case 'reader/open':
    case 'history/list':
      return int('tabId');
  }
}

function isStoredFile(f: unknown): boolean {
  if (typeof f !== 'object' || f === null) return false;
  const { path, size, sha256, derived } = f as Record<string, unknown>;
  // the page stores what it imports; only the background makes files on the device
  return typeof path === 'string' && Number.isInteger(size) && (sha256 === undefined || typeof sha256 === 'string') && derived === undefined;
}

export function isContentRequest(msg: unknown): msg is ContentRequest {
  if (typeof msg !== 'object' || msg === null) return false;
  const type = (msg as { type?: unknown }).type;
  return typeof type === 'string' && type.startsWith('content/');
}
