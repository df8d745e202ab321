// Hostile pages in Chromium: hidden text of every kind, shadow roots, frames of other origins, RTL/CJK/emoji and
// invisible characters, contenteditable, pages that change under the answer, forged messages and overridden
// prototypes (the cases are in harness/hostile-cases.ts; firefox-hostile.test.ts runs the core ones in Firefox ESR).
// Needs `npm run build` (dist/chrome) and /usr/bin/chromium.
import { describe, test } from 'node:test';
import { chromiumUnavailable, launchChromium } from './harness/chromium.js';
import { contentSession } from './harness/session.js';
import { HOSTILE_CASES, type HostileDriver } from './harness/hostile-cases.js';

interface ChromeGlobal {
  chrome: { tabs: { sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown> } };
}

const skip = chromiumUnavailable();

const session = contentSession(launchChromium, skip);

let opened = 0;

const driver: HostileDriver = {
  open: async (t, name) => {
    // a unique URL per tab: the tab is found by its URL
    const url = `${session.server.fixtureUrl(name.split('?')[0])}?${name.split('?')[1] ?? ''}&tab=${++opened}`;
    const page = await session.browser.openPage(url);
    t.after(() => page.close());
    await page.waitForLoadState('load');
    const tabId = await session.browser.tabIdOf(page);
    return {
      send: async (msg) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await session.extPage.evaluate(([id, m]) => (globalThis as unknown as ChromeGlobal).chrome.tabs.sendMessage(id, m, { frameId: 0 }), [tabId, msg] as const);
          } catch (err) {
            if (attempt > 50 || !/receiving end does not exist/i.test(String(err))) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      },
      evaluate: (expression) => page.evaluate(expression),
    };
  },
};

describe('hostile pages (Chromium)', { skip }, () => {
  for (const c of HOSTILE_CASES) test(c.name, (t) => c.run(driver, t));
});
