// User settings, kept in storage.local (on the device; never synced).
import browser from 'webextension-polyfill';

export interface Settings {
  /** where models are downloaded from: the Hugging Face Hub or a mirror with its URL layout */
  hubBaseUrl: string;
  /** the models used for each task (registry ids) */
  qaModelId: string;
  classifyModelId: string;
  /** candidate labels for zero-shot classification */
  zeroShotLabels: string[];
  multiLabel: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  hubBaseUrl: 'https://huggingface.co',
  qaModelId: 'mobilebert-squad2',
  classifyModelId: 'mobilebert-mnli',
  zeroShotLabels: ['positive', 'negative', 'neutral'],
  multiLabel: false,
};

const KEY = 'settings';

export async function getSettings(): Promise<Settings> {
  const stored = (await browser.storage.local.get(KEY))[KEY] as Partial<Settings> | undefined;
  return { ...DEFAULT_SETTINGS, ...(stored ?? {}) };
}

export async function updateSettings(patch: Partial<Settings>): Promise<Settings> {
  if (patch.hubBaseUrl !== undefined) patch = { ...patch, hubBaseUrl: checkHubUrl(patch.hubBaseUrl) };
  if (patch.zeroShotLabels !== undefined) patch = { ...patch, zeroShotLabels: checkLabels(patch.zeroShotLabels) };
  const next = { ...(await getSettings()), ...patch };
  await browser.storage.local.set({ [KEY]: next });
  return next;
}

export function checkHubUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`"${url}" is not a URL (expected e.g. https://huggingface.co)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`the hub URL must be http(s), not ${parsed.protocol}`);
  return parsed.href.replace(/\/+$/, '');
}

/** Candidate labels from user input: trimmed, non-empty, no duplicates, at least two. */
export function checkLabels(labels: readonly string[]): string[] {
  const out = [...new Set(labels.map((l) => l.trim()).filter((l) => l.length > 0))];
  if (out.length < 2) throw new Error('give at least two different labels');
  if (out.some((l) => l.length > 100)) throw new Error('a label may be at most 100 characters');
  return out;
}
