// What the model-management tests look at in Chromium: the options page pointed at the fake hub, a model's card,
// the model store's Cache Storage and records (read inside the service worker), and the install progress events.
import type { Page } from 'playwright-core';
import type { LensChromium } from './chromium.js';

/** Opens the options page and saves `url` as the hub. */
export async function setHub(lens: LensChromium, url: string): Promise<Page> {
  const options = await lens.openExtensionPage('src/options/options.html');
  await options.fill('#hub-url', url);
  await options.click('#save-hub');
  await options.waitForFunction(() => /Saved/.test(document.querySelector('#hub-status')?.textContent ?? ''));
  return options;
}

/** The options page's card of a model. */
export const card = (id: string) => `[data-testid="model"][data-model-id="${id}"]`;

/** Every URL in the extension's Cache Storage (all caches). */
export async function cachedUrls(lens: LensChromium): Promise<string[]> {
  const sw = await lens.serviceWorker();
  return sw.evaluate(async () => {
    const out: string[] = [];
    for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) out.push(req.url);
    return out;
  });
}

export interface StoredFile {
  path: string;
  size: number;
  sha256?: string;
  derived?: string;
}
export interface InstalledRecord {
  source: string;
  files: StoredFile[];
  bytes: number;
  int8Error?: string;
  /** the commit a hub download came from */
  revision?: string;
}

/** What a profile records at a "first-install" model's first install (storage.local devicePins[modelId]). */
export interface DevicePinRecord {
  repo: string;
  branch: string;
  commit: string;
  files: Array<{ path: string; sha256: string; size: number }>;
  pinnedAt: number;
}

/** The model store's record of a model (storage.local), as the background wrote it. */
export async function installedRecord(lens: LensChromium, id: string): Promise<InstalledRecord | undefined> {
  const sw = await lens.serviceWorker();
  return sw.evaluate(async (modelId) => {
    const { chrome } = globalThis as unknown as { chrome: { storage: { local: { get(key: string): Promise<Record<string, Record<string, unknown> | undefined>> } } } };
    return (await chrome.storage.local.get('installedModels')).installedModels?.[modelId] as InstalledRecord | undefined;
  }, id);
}

/** The first-install pins this profile recorded (storage.local devicePins), by model id. */
export async function devicePins(lens: LensChromium): Promise<Record<string, DevicePinRecord>> {
  const sw = await lens.serviceWorker();
  return sw.evaluate(async () => {
    const { chrome } = globalThis as unknown as { chrome: { storage: { local: { get(key: string): Promise<{ devicePins?: Record<string, DevicePinRecord> }> } } } };
    return (await chrome.storage.local.get('devicePins')).devicePins ?? {};
  });
}

/** Collects, in an extension page, the install progress events of a model: "phase: message". */
export async function recordInstallPhases(page: Page, id: string): Promise<() => Promise<string[]>> {
  const key = `lensTestPhases_${id}`;
  await page.evaluate(
    ([modelId, k]) => {
      const seen: string[] = [];
      (globalThis as unknown as Record<string, string[]>)[k] = seen;
      chrome.runtime.onMessage.addListener((msg: { type?: string; modelId?: string; phase?: string; message?: string }) => {
        if (msg.type === 'event/progress' && msg.modelId === modelId) seen.push(`${msg.phase}: ${msg.message}`);
      });
    },
    [id, key] as const,
  );
  return () => page.evaluate((k) => [...new Set((globalThis as unknown as Record<string, string[]>)[k])], key);
}
