// User settings, kept in storage.local (on the device; never synced). Shape, defaults, checks and the migration
// from older versions: settings-values.ts (no browser API, so Node tests check them).
import browser from 'webextension-polyfill';
import { checkHubUrl, checkLabels } from './checks.js';
import { DEFAULT_SETTINGS, checkSettingsPatch, classifyModelId, normalizeSettings, type Settings } from './settings-values.js';

export { DEFAULT_SETTINGS, checkHubUrl, checkLabels, classifyModelId, type Settings };

const KEY = 'settings';

export async function getSettings(): Promise<Settings> {
  return normalizeSettings((await browser.storage.local.get(KEY))[KEY]);
}

export async function updateSettings(patch: Partial<Settings>): Promise<Settings> {
  const next = { ...(await getSettings()), ...checkSettingsPatch(patch) };
  await browser.storage.local.set({ [KEY]: next });
  return next;
}
