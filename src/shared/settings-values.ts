// The settings' shape, defaults, and how a stored object (possibly written by an older version) becomes a valid
// Settings. No browser API here, so Node tests check the migration; settings.ts keeps them in storage.
import { checkClassifyMode, checkHubUrl, checkLabels, checkModelFor, type ModelRole } from './checks.js';
import { BACKEND_SETTINGS, DEFAULT_BACKEND, checkBackendSetting, type BackendSetting } from './backend.js';
import { PRECISIONS, checkPrecision } from './precision.js';
import type { ClassifyMode, ModelTask, Precision } from './protocol.js';
import { REGISTRY } from './registry.js';

export interface Settings {
  /** where models are downloaded from: the Hugging Face Hub or a mirror with its URL layout */
  hubBaseUrl: string;
  /** the models used for each task (registry ids) */
  qaModelId: string;
  /** the fine-tuned sentence classifier of the popup's Sentiment mode (registry task "classify") */
  sentimentModelId: string;
  /** the NLI model of the popup's Zero-shot mode (registry task "zero-shot") */
  zeroShotModelId: string;
  /** which of the two the Classify tab and the context menu use: the last one picked in the popup */
  classifyMode: ClassifyMode;
  /** candidate labels for zero-shot classification */
  zeroShotLabels: string[];
  multiLabel: boolean;
  /** which weights run where a model has both: int8 (about 2x faster) or fp32 (the published weights) */
  precision: Precision;
  /** where Chrome's offscreen document runs models: WebGPU where a hardware adapter exists ('auto'), or one forced */
  backend: BackendSetting;
}

export const DEFAULT_SETTINGS: Settings = {
  hubBaseUrl: 'https://huggingface.co',
  qaModelId: 'mobilebert-squad2',
  sentimentModelId: 'mobilebert-sst2-alireza1044',
  zeroShotModelId: 'mobilebert-mnli',
  classifyMode: 'sentiment',
  zeroShotLabels: ['positive', 'negative', 'neutral'],
  multiLabel: false,
  precision: 'int8',
  backend: DEFAULT_BACKEND,
};

export type TaskOf = (id: string) => ModelTask | undefined;
export const registryTask: TaskOf = (id) => REGISTRY.find((m) => m.id === id)?.task;

const MODEL_KEYS: ReadonlyArray<readonly [ModelRole, 'qaModelId' | 'sentimentModelId' | 'zeroShotModelId']> = [
  ['qa', 'qaModelId'],
  ['sentiment', 'sentimentModelId'],
  ['zero-shot', 'zeroShotModelId'],
];

/** `f(value)`, or `fallback` where f refuses it. */
function valid<T>(value: unknown, f: (v: never) => T, fallback: T): T {
  if (value === undefined) return fallback;
  try {
    return f(value as never);
  } catch {
    return fallback;
  }
}

/**
 * What getSettings returns for what storage holds. Values that are missing or no longer valid (a model id the
 * registry dropped, a mode from a newer version) fall back to their defaults rather than breaking the popup.
 * Migration: versions before the two classify modes stored one `classifyModelId` (the NLI model by default).
 * It becomes the model of the mode matching its task, and that mode is selected, so an existing user keeps the
 * classifier they already downloaded instead of meeting a new download prompt.
 */
export function normalizeSettings(stored: unknown, taskOf: TaskOf = registryTask): Settings {
  const s: Record<string, unknown> = typeof stored === 'object' && stored !== null ? { ...(stored as Record<string, unknown>) } : {};
  const old = s.classifyModelId;
  delete s.classifyModelId;
  if (typeof old === 'string' && s.sentimentModelId === undefined && s.zeroShotModelId === undefined && s.classifyMode === undefined) {
    const task = taskOf(old);
    if (task === 'zero-shot') Object.assign(s, { zeroShotModelId: old, classifyMode: 'zero-shot' });
    else if (task === 'classify') Object.assign(s, { sentimentModelId: old, classifyMode: 'sentiment' });
  }
  const d = DEFAULT_SETTINGS;
  const out: Settings = {
    hubBaseUrl: valid(s.hubBaseUrl, checkHubUrl, d.hubBaseUrl),
    qaModelId: d.qaModelId,
    sentimentModelId: d.sentimentModelId,
    zeroShotModelId: d.zeroShotModelId,
    classifyMode: valid(s.classifyMode, checkClassifyMode, d.classifyMode),
    zeroShotLabels: Array.isArray(s.zeroShotLabels) && s.zeroShotLabels.every((l) => typeof l === 'string') ? valid(s.zeroShotLabels, checkLabels, d.zeroShotLabels) : d.zeroShotLabels,
    multiLabel: typeof s.multiLabel === 'boolean' ? s.multiLabel : d.multiLabel,
    precision: PRECISIONS.includes(s.precision as Precision) ? (s.precision as Precision) : d.precision,
    // settings stored before this setting existed have none: 'auto'
    backend: BACKEND_SETTINGS.includes(s.backend as BackendSetting) ? (s.backend as BackendSetting) : d.backend,
  };
  for (const [role, key] of MODEL_KEYS) out[key] = valid(s[key], (id: unknown) => checkModelFor(role, id, taskOf), d[key]);
  return out;
}

/** A change to the settings, checked (throws with the reason; nothing is stored then). */
export function checkSettingsPatch(patch: Partial<Settings>, taskOf: TaskOf = registryTask): Partial<Settings> {
  const out: Partial<Settings> = { ...patch };
  if (patch.hubBaseUrl !== undefined) out.hubBaseUrl = checkHubUrl(patch.hubBaseUrl);
  if (patch.zeroShotLabels !== undefined) out.zeroShotLabels = checkLabels(patch.zeroShotLabels);
  if (patch.precision !== undefined) out.precision = checkPrecision(patch.precision);
  if (patch.backend !== undefined) out.backend = checkBackendSetting(patch.backend);
  if (patch.classifyMode !== undefined) out.classifyMode = checkClassifyMode(patch.classifyMode);
  if (patch.multiLabel !== undefined && typeof patch.multiLabel !== 'boolean') throw new Error('multiLabel must be true or false');
  for (const [role, key] of MODEL_KEYS) if (patch[key] !== undefined) out[key] = checkModelFor(role, patch[key], taskOf);
  return out;
}

/** The model a classify request in this mode runs. */
export function classifyModelId(settings: Pick<Settings, 'sentimentModelId' | 'zeroShotModelId'>, mode: ClassifyMode): string {
  return mode === 'zero-shot' ? settings.zeroShotModelId : settings.sentimentModelId;
}
