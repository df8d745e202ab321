// Firefox ESR with the built extension installed, over WebDriver BiDi with puppeteer-core (see
// shared/notes/platform.md). The extension gets a fixed moz-extension:// UUID so its pages have known URLs.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ROOT } from '../../helpers/cli.js';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';
export const FIREFOX_BUILD = join(ROOT, 'dist', 'firefox');
export const FIREFOX_UUID = 'd1b8c6a2-5e0f-4c3a-9f7e-2b6d8a4c1e90';

export interface LaunchFirefoxOptions {
  extensionDir?: string;
  headless?: boolean;
  /** extra Firefox prefs (e.g. the bench's shorter event page idle timeout) */
  prefs?: Record<string, unknown>;
}

export interface LensFirefox {
  browser: Browser;
  /** the extension's internal UUID (moz-extension://UUID/) */
  uuid: string;
  /** the gecko id from the manifest */
  extensionId: string;
  extensionUrl(path: string): string;
  /**
   * Resolves once the page is on the extension URL and `selector` (default 'body') exists. Its page.url() may
   * still say about:blank (BiDi quirk): read location.href in the page instead.
   */
  openExtensionPage(path: string, selector?: string): Promise<Page>;
  openPage(url: string): Promise<Page>;
  close(): Promise<void>;
}

/** Why Firefox tests cannot run here, or false when they can. */
export function firefoxUnavailable(extensionDir: string = FIREFOX_BUILD): string | false {
  if (!existsSync(FIREFOX_PATH)) return `skipped: ${FIREFOX_PATH} not found (apt-get install -y firefox-esr)`;
  if (!existsSync(join(extensionDir, 'manifest.json'))) return `skipped: no ${extensionDir}/manifest.json (run npm run build)`;
  return false;
}

function geckoId(extensionDir: string): string {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8')) as { browser_specific_settings?: { gecko?: { id?: string } } };
  const id = manifest.browser_specific_settings?.gecko?.id;
  if (!id) throw new Error(`${extensionDir}/manifest.json has no browser_specific_settings.gecko.id`);
  return id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the document's URL until it starts with prefix. (waitForFunction fails as the about:blank realm it runs
 * in is destroyed by the navigation, and page.url() can stay about:blank over BiDi.)
 */
async function untilOn(page: Page, prefix: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const href = await Promise.race([
      page.evaluate(() => (globalThis as unknown as { location: { href: string } }).location.href).catch(() => ''),
      sleep(1000).then(() => ''),
    ]);
    if (href.startsWith(prefix)) return;
    if (Date.now() > deadline) throw new Error(`the page did not reach ${prefix} within ${timeoutMs} ms (at ${href || page.url()})`);
    await sleep(50);
  }
}

export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<LensFirefox> {
  const extensionDir = resolve(options.extensionDir ?? FIREFOX_BUILD);
  const extensionId = geckoId(extensionDir);
  const uuid = FIREFOX_UUID;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: options.headless ?? true,
    args: ['-remote-allow-system-access'],
    extraPrefsFirefox: { ...options.prefs, 'extensions.webextensions.uuids': JSON.stringify({ [extensionId]: uuid }) },
  });
  try {
    const installed = await browser.installExtension(extensionDir);
    if (installed !== extensionId) throw new Error(`installed extension id ${installed}, manifest says ${extensionId}`);
  } catch (err) {
    await browser.close();
    throw err;
  }
  const extensionUrl = (path: string) => `moz-extension://${uuid}/${path.replace(/^\/+/, '')}`;

  return {
    browser,
    uuid,
    extensionId,
    extensionUrl,
    openExtensionPage: async (path, selector = 'body') => {
      const page = await browser.newPage();
      const url = extensionUrl(path);
      // goto's load event never comes for moz-extension:// pages over BiDi: don't await it.
      page.goto(url).catch(() => undefined);
      await untilOn(page, extensionUrl(''));
      await page.waitForSelector(selector, { timeout: 15_000 });
      return page;
    },
    openPage: async (url) => {
      const page = await browser.newPage();
      await page.goto(url);
      return page;
    },
    close: () => browser.close(),
  };
}
