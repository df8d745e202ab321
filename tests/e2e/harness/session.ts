// What a test file (or describe) starts before its tests and closes after: a browser with Lens, the test server,
// and the extension page the tests drive it from.
import { after, before } from 'node:test';
import type { Page } from 'playwright-core';
import { e2eBuild } from './build.js';
import { launchChromium, type LensChromium } from './chromium.js';
import { prepareHub } from './models.js';
import { startTestServer, type TestServer } from './server.js';
import { setHub } from './store.js';

interface LaunchedBrowser {
  openExtensionPage(path: string): Promise<unknown>;
  close(): Promise<void>;
}

export interface ContentSession<B extends LaunchedBrowser> {
  server: TestServer;
  browser: B;
  /** Playwright's Page in Chromium, Puppeteer's in Firefox */
  extPage: Awaited<ReturnType<B['openExtensionPage']>>;
}

/**
 * For the content-script tests: the test server (no hub), a browser with Lens and its options page, an extension
 * page to send content requests from. Registers the file's before/after hooks (skipped when `skip` says why);
 * read the fields inside tests (they are set in `before`).
 */
export function contentSession<B extends LaunchedBrowser>(launch: () => Promise<B>, skip: string | boolean | undefined): ContentSession<B> {
  const session = {} as ContentSession<B>;
  before(async () => {
    if (skip) return;
    session.server = await startTestServer({ hubDir: '.tmp/e2e/no-hub' });
    session.browser = await launch();
    session.extPage = (await session.browser.openExtensionPage('src/options/options.html')) as ContentSession<B>['extPage'];
  });
  after(async () => {
    await session.browser?.close();
    await session.server?.close();
  });
  return session;
}

export interface HubSession {
  server: TestServer;
  lens: LensChromium;
  /** the fake hub's folder the server serves */
  hubDir: string;
  /** the options page, its hub URL set to the server's */
  options: Page;
}

/**
 * For the model-download tests: the fake hub (prepareHub(hubDir)) served, Chromium with the extension built by
 * `extensionDir` (default: the e2e build pinned to that hub's files) and the options page pointed at the hub.
 * Registers the surrounding describe's before/after hooks; read the fields inside tests.
 */
export function hubSession(options: { hubDir?: string; extensionDir?: (hubDir: string) => Promise<string> | string } = {}): HubSession {
  const session = {} as HubSession;
  before(async () => {
    session.hubDir = await prepareHub(options.hubDir);
    session.server = await startTestServer({ hubDir: session.hubDir });
    session.lens = await launchChromium({ extensionDir: await (options.extensionDir ?? ((dir) => e2eBuild('chrome', dir)))(session.hubDir) });
    session.options = await setHub(session.lens, session.server.hubUrl);
  });
  after(async () => {
    await session.lens?.close();
    await session.server?.close();
  });
  return session;
}
