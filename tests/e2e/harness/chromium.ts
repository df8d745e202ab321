// Debian's Chromium with the built extension loaded, driven by playwright-core (see shared/notes/platform.md).
// The service worker can be killed and is then only restarted by Chrome on the next event, as in real use.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page, type Worker } from 'playwright-core';
import { ROOT } from '../../helpers/cli.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROME_BUILD = join(ROOT, 'dist', 'chrome');

export interface LaunchChromiumOptions {
  extensionDir?: string;
  /** a profile to reuse (kept on close); default: a fresh temporary profile, deleted on close */
  userDataDir?: string;
  headless?: boolean;
  /** more command-line switches, e.g. --enable-unsafe-webgpu (SwiftShader's software WebGPU adapter) */
  args?: string[];
  /** leave out --disable-gpu, so a hardware GPU (WebGPU adapter) can be used: the bench's WebGPU section */
  gpu?: boolean;
}

export interface RecordedRequest {
  url: string;
  method: string;
  resourceType: string;
  /** made by the extension's service worker (model downloads, hub checks) */
  fromServiceWorker: boolean;
  /** Date.now() when the browser sent it */
  time: number;
}

export interface LensChromium {
  context: BrowserContext;
  extensionId: string;
  /** chrome-extension://ID/ */
  extensionOrigin: string;
  /** the running service worker; waits while it is stopped (it restarts on the next extension event) */
  serviceWorker(timeoutMs?: number): Promise<Worker>;
  /** whether Chrome has the worker running right now (never starts it) */
  isServiceWorkerRunning(): Promise<boolean>;
  /** stops the worker as Chrome does when idle; resolves once it is really gone */
  killServiceWorker(): Promise<void>;
  openPage(url: string): Promise<Page>;
  /** e.g. 'src/popup/popup.html?tab=123' */
  openExtensionPage(path: string): Promise<Page>;
  /** the chrome.tabs id of a page */
  tabIdOf(page: Page): Promise<number>;
  /** records every request the browser makes from now on (pages, extension pages, the service worker) */
  recordRequests(): RecordedRequest[];
  close(): Promise<void>;
}

/** Why Chromium tests cannot run here, or false when they can. */
export function chromiumUnavailable(extensionDir: string = CHROME_BUILD): string | false {
  if (!existsSync(CHROMIUM_PATH)) return `skipped: ${CHROMIUM_PATH} not found (apt-get install -y chromium)`;
  if (!existsSync(join(extensionDir, 'manifest.json'))) return `skipped: no ${extensionDir}/manifest.json (run npm run build)`;
  return false;
}

/** Where tests write PNGs (created on first use). */
export function screenshotDir(): string {
  const dir = join(ROOT, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs in the page: resolves once the transitions a colour-scheme switch starts have ended (at most 2 s). Lens's
 * answers fade their background over 0.12 s while their text colour changes at once, so an audit taken mid-way
 * measures a contrast nobody sees (the side panel's dark audit failed so once in CI).
 */
export async function transitionsSettled(): Promise<void> {
  const g = globalThis as unknown as {
    requestAnimationFrame(callback: () => void): number;
    document: { getAnimations(): Array<{ finished: Promise<unknown> }> };
  };
  const settled = new Promise<void>((resolve) => {
    // the switch's transitions start at the next style update: two frames later they are listed
    g.requestAnimationFrame(() => g.requestAnimationFrame(() => resolve()));
  }).then(() => Promise.all(g.document.getAnimations().map((a) => a.finished.catch(() => undefined))));
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2000))]);
}

/** Switches the page's colour scheme and waits for its transitions to end (transitionsSettled). */
export async function applyColorScheme(page: Page, scheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await page.evaluate(transitionsSettled);
}

/** A page in the light and the dark colour scheme: test-results/screenshots/{name}-light.png, -dark.png */
export async function screenshotBothSchemes(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await applyColorScheme(page, scheme);
    await page.screenshot({ path: join(screenshotDir(), `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// The slice of the extension APIs the harness calls inside the browser (tsconfig has no DOM/chrome types).
interface TabsApi {
  chrome: {
    tabs: {
      query(q: object): Promise<Array<{ id?: number; url?: string }>>;
      getCurrent(): Promise<{ id?: number } | undefined>;
    };
  };
}
interface PageGlobals {
  location: { href: string; hash: string };
  history: { replaceState(data: null, unused: string, url: string): void };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<LensChromium> {
  const extensionDir = resolve(options.extensionDir ?? CHROME_BUILD);
  const ownProfile = options.userDataDir === undefined;
  const userDataDir = options.userDataDir ?? mkdtempSync(join(tmpdir(), 'lens-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: options.headless ?? true,
    args: [
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
      '--no-sandbox',
      ...(options.gpu ? [] : ['--disable-gpu']),
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.args ?? []),
    ],
  });
  try {
    const first = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ?? (await context.waitForEvent('serviceworker', { timeout: 15_000 }));
    const extensionId = new URL(first.url()).host;
    const extensionOrigin = `chrome-extension://${extensionId}/`;
    const browserSession = await context.browser()?.newBrowserCDPSession();
    if (!browserSession) throw new Error('launchChromium: no browser CDP session');

    // Chrome keeps the worker's DevTools target id across stop/start, so Playwright keeps one Worker object
    // (evaluate on it hangs while stopped). The browser's target list is the reliable "is it running" signal.
    const isServiceWorkerRunning = async () => {
      const { targetInfos } = await browserSession.send('Target.getTargets');
      return targetInfos.some((t) => t.type === 'service_worker' && t.url.startsWith(extensionOrigin));
    };

    const serviceWorker = async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await isServiceWorkerRunning())) {
        if (Date.now() > deadline) throw new Error(`the service worker of ${extensionOrigin} is not running after ${timeoutMs} ms (killed and no extension event since?)`);
        await sleep(50);
      }
      const mine = () => context.serviceWorkers().filter((w) => w.url().startsWith(extensionOrigin));
      const worker = mine().at(-1) ?? (await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(extensionOrigin), timeout: Math.max(1, deadline - Date.now()) }));
      return worker;
    };

    // CDP's ServiceWorker domain lives on page targets: borrow a blank page for the call.
    const withPageSession = async <T>(fn: (s: CDPSession) => Promise<T>): Promise<T> => {
      const page = await context.newPage();
      try {
        const session = await context.newCDPSession(page);
        return await fn(session);
      } finally {
        await page.close();
      }
    };

    const killServiceWorker = async () => {
      await withPageSession(async (s) => {
        await s.send('ServiceWorker.enable');
        await s.send('ServiceWorker.stopAllWorkers');
      });
      const deadline = Date.now() + 10_000;
      while (await isServiceWorkerRunning()) {
        if (Date.now() > deadline) throw new Error('killServiceWorker: the worker is still running 10 s after stopAllWorkers');
        await sleep(50);
      }
    };

    const openPage = async (url: string) => {
      const page = await context.newPage();
      await page.goto(url);
      return page;
    };

    const tabIdOf = async (page: Page) => {
      if (page.url().startsWith(extensionOrigin)) {
        const id = await page.evaluate(() => (globalThis as unknown as TabsApi).chrome.tabs.getCurrent().then((t) => t?.id));
        if (id !== undefined) return id;
      }
      const query = async (url: string) => {
        const tabs = await (await serviceWorker()).evaluate(() => (globalThis as unknown as TabsApi).chrome.tabs.query({}));
        return tabs.filter((t) => t.url === url && t.id !== undefined).map((t) => t.id as number);
      };
      let ids = await query(page.url());
      if (ids.length > 1) {
        // Several tabs on one URL: tag this one with a unique fragment for the lookup, then put the URL back.
        const original = page.url();
        const tagged = `${original.split('#')[0]}#lens-e2e-${Math.random().toString(36).slice(2)}`;
        await page.evaluate((u) => (globalThis as unknown as PageGlobals).history.replaceState(null, '', u), tagged);
        ids = await query(tagged);
        await page.evaluate((u) => (globalThis as unknown as PageGlobals).history.replaceState(null, '', u), original);
      }
      if (ids.length !== 1) throw new Error(`tabIdOf: ${ids.length} tabs match ${page.url()}`);
      return ids[0];
    };

    const recordRequests = () => {
      // Playwright >= 1.5x reports service-worker requests on the context by default for Chromium.
      const list: RecordedRequest[] = [];
      context.on('request', (r) => {
        list.push({ url: r.url(), method: r.method(), resourceType: r.resourceType(), fromServiceWorker: r.serviceWorker() !== null, time: Date.now() });
      });
      return list;
    };

    return {
      context,
      extensionId,
      extensionOrigin,
      serviceWorker,
      isServiceWorkerRunning,
      killServiceWorker,
      openPage,
      openExtensionPage: (path) => openPage(`${extensionOrigin}${path.replace(/^\/+/, '')}`),
      tabIdOf,
      recordRequests,
      close: async () => {
        await context.close();
        if (ownProfile) rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await context.close();
    if (ownProfile) rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
}
