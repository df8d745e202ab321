// User settings, kept in storage.local (on the device; never synced).
import browser from 'webextension-polyfill';
import { checkHubUrl, checkLabels } from './checks.js';
import { PRECISIONS, checkPrecision } from './precision.js';
import type { Precision } from './protocol.js';

export { checkHubUrl, checkLabels };

export interface Settings {
  /** where models are downloaded from: the Hugging Face Hub or a mirror with its URL layout */
  hubBaseUrl: string;
  /** the models used for each task (registry ids) */
  qaModelId: string;
  classifyModelId: string;
  /** candidate labels for zero-shot classification */
  zeroShotLabels: string[];
  multiLabel: boolean;
  /** which weights run where a model has both: int8 (about 2x faster) or fp32 (the published weights) */
  precision: Precision;
}

export const DEFAULT_SETTINGS: Settings = {
  hubBaseUrl: 'https://huggingface.co',
  qaModelId: 'mobilebert-squad2',
  classifyModelId: 'mobilebert-mnli',
  zeroShotLabels: ['positive', 'negative', 'neutral'],
  multiLabel: false,
  precision: 'int8',
};

const KEY = 'settings';

export async function getSettings(): Promise<Settings> {
  const stored = (await browser.storage.local.get(KEY))[KEY] as Partial<Settings> | undefined;
  const settings = { ...DEFAULT_SETTINGS, ...(stored ?? {}) };
  return PRECISIONS.includes(settings.precision) ? settings : { ...settings, precision: DEFAULT_SETTINGS.precision };
}

export async function updateSettings(patch: Partial<Settings>): Promise<Settings> {
  if (patch.hubBaseUrl !== undefined) patch = { ...patch, hubBaseUrl: checkHubUrl(patch.hubBaseUrl) };
  if (patch.zeroShotLabels !== undefined) patch = { ...patch, zeroShotLabels: checkLabels(patch.zeroShotLabels) };
  if (patch.precision !== undefined) patch = { ...patch, precision: checkPrecision(patch.precision) };
  const next = { ...(await getSettings()), ...patch };
  await browser.storage.local.set({ [KEY]: next });
  return next;
}
