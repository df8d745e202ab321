// The core hostile-page cases (harness/hostile-cases.ts) in Firefox ESR, driven by puppeteer-core over WebDriver
// BiDi: content requests go to the tab through browser.tabs.sendMessage from the extension's options page, as the
// background sends them. Firefox differs where it matters here: closed shadow roots through
// Element.openOrClosedShadowRoot, content scripts behind Xray wrappers, and access to cross-origin frames of hosts
// the extension may read (refused by the content script itself). Needs `npm run build` (dist/firefox).
import { describe, test } from 'node:test';
import { firefoxUnavailable, launchFirefox } from './harness/firefox.js';
import { contentSession } from './harness/session.js';
import { HOSTILE_CASES, type HostileDriver } from './harness/hostile-cases.js';

interface BrowserGlobal {
  browser: {
    tabs: {
      query(q: object): Promise<Array<{ id?: number; url?: string }>>;
      sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown>;
    };
  };
}

const skip = firefoxUnavailable();

const session = contentSession(launchFirefox, skip);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let opened = 0;

const driver: HostileDriver = {
  open: async (t, name) => {
    const url = `${session.server.fixtureUrl(name.split('?')[0])}?${name.split('?')[1] ?? ''}&tab=${++opened}`;
    const page = await session.browser.openPage(url); // resolves on load
    t.after(() => page.close());
    let tabId = -1;
    for (let attempt = 0; tabId < 0; attempt++) {
      const tabs = await session.extPage.evaluate(() => (globalThis as unknown as BrowserGlobal).browser.tabs.query({}));
      tabId = tabs.find((tab) => tab.url === url)?.id ?? -1;
      if (tabId < 0 && attempt > 50) throw new Error(`no tab has ${url}`);
      if (tabId < 0) await sleep(100);
    }
    return {
      send: async (msg) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await session.extPage.evaluate((id, m) => (globalThis as unknown as BrowserGlobal).browser.tabs.sendMessage(id, m, { frameId: 0 }), tabId, msg);
          } catch (err) {
            if (attempt > 50 || !/receiving end does not exist/i.test(String(err))) throw err;
            await sleep(100);
          }
        }
      },
      evaluate: (expression) => page.evaluate(expression),
    };
  },
};

describe('hostile pages (Firefox ESR)', { skip }, () => {
  for (const c of HOSTILE_CASES.filter((x) => x.core)) test(c.name, (t) => c.run(driver, t));
});
