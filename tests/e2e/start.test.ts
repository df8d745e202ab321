// `npm start`, run as a user would (headless here): the demo page is served and open in the browser, the
// extension is loaded (its service worker answers), the profile keeps the extension's storage across starts
// (so the model is downloaded once), and a Ctrl+C (SIGINT) stops the browser and the server. The script is run
// as the npm script runs it (node --import tsx scripts/start.ts): npm itself does not pass SIGINT on to its
// child (a terminal's Ctrl+C reaches the whole process group), so the test signals the script directly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';
import { chromiumUnavailable } from './harness/chromium.js';

const START_COMMAND = 'node --import tsx scripts/start.ts';
const DEMO_TITLE = 'The Four Lighthouses of the Eddystone Rocks | Harbour Notes';
const FIREFOX_PATH = '/usr/bin/firefox-esr';

interface Started {
  child: ChildProcess;
  output(): string;
  /** the first capture group of the first output line matching re, waiting for it */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGINT, as Ctrl+C; resolves with the exit code */
  interrupt(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

function startScript(args: string[]): Started {
  const [node, ...nodeArgs] = START_COMMAND.split(' ');
  assert.equal(node, 'node');
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      running.delete(child);
      for (const l of listeners) l();
      done(code);
    }),
  );
  return {
    child,
    output: () => out,
    waitFor: (re, timeoutMs = 120_000) =>
      new Promise((ok, fail) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            finish();
            ok(m[1] ?? m[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish();
            fail(new Error(`npm start exited before printing ${re}:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          fail(new Error(`npm start did not print ${re} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    interrupt: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

interface DevToolsTarget {
  type: string;
  url: string;
  title: string;
}

async function targets(devtools: string): Promise<DevToolsTarget[]> {
  return (await (await fetch(`${devtools}/json/list`)).json()) as DevToolsTarget[];
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
    return false;
  } catch {
    return true;
  }
}

interface ExtensionGlobals {
  chrome: {
    runtime: { getManifest(): { name: string; version: string } };
    storage: { local: { get(k: string): Promise<Record<string, unknown>>; set(v: Record<string, unknown>): Promise<void> } };
  };
}

/** Runs fn in the extension's service worker, through the headless browser's DevTools port. */
async function inServiceWorker<T>(devtools: string, origin: string, fn: (arg: string) => Promise<T>, arg: string): Promise<T> {
  const browser = await chromium.connectOverCDP(devtools);
  try {
    const context = browser.contexts()[0];
    const worker = context.serviceWorkers().find((w) => w.url().startsWith(origin)) ?? (await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(origin), timeout: 15_000 }));
    return await worker.evaluate(fn, arg);
  } finally {
    // a connected (not launched) browser: close() only disconnects
    await browser.close();
  }
}

after(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('npm start', { timeout: 300_000 }, () => {
  test('package.json runs scripts/start.ts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, START_COMMAND);
  });

  test('Chromium: the demo page is served and open, the extension is loaded, the profile is kept; Ctrl+C stops it all', { skip: chromiumUnavailable() }, async () => {
    const profile = mkdtempSync(join(tmpdir(), 'lens-start-'));
    try {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'dist', 'chrome', 'manifest.json'), 'utf8')) as { name: string; version: string };
      const first = startScript(['--headless', '--no-build', '--profile', profile]);
      await first.waitFor(/^Ready\.$/m);
      const demoUrl = await first.waitFor(/^Demo page: (\S+)$/m);
      const origin = await first.waitFor(/^Extension: (chrome-extension:\/\/[a-p]{32}\/) loaded/m);
      const devtools = await first.waitFor(/^DevTools: (\S+)$/m);

      // the browser asked for the page itself, before this test fetched anything
      assert.match(first.output(), /^demo server: GET \/ 200$/m, 'the browser loaded the demo page');
      const page = await fetch(demoUrl);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Smeaton's tower/, 'the bundled article');
      assert.equal((await fetch(new URL('../package.json', demoUrl))).status, 404, 'nothing outside the demo folder is served');

      const list = await targets(devtools);
      assert.ok(list.some((t) => t.type === 'page' && t.url === demoUrl && t.title === DEMO_TITLE), `the demo page is open: ${JSON.stringify(list)}`);
      assert.ok(list.some((t) => t.type === 'service_worker' && t.url.startsWith(origin)), 'the extension\'s service worker is running');
      const seen = await inServiceWorker(devtools, origin, async () => (globalThis as unknown as ExtensionGlobals).chrome.runtime.getManifest(), '');
      assert.deepEqual({ name: seen.name, version: seen.version }, { name: manifest.name, version: manifest.version }, 'it is the built extension');

      // something stored by the extension now must be there on the next start (the model download is kept the same way)
      const mark = `start-test-${Date.now()}`;
      await inServiceWorker(devtools, origin, (m) => (globalThis as unknown as ExtensionGlobals).chrome.storage.local.set({ lensStartTest: m }), mark);

      assert.equal(await first.interrupt(), 0, `exit code 0 on Ctrl+C:\n${first.output()}`);
      assert.match(first.output(), /^Stopped\.$/m);
      assert.ok(await refused(demoUrl), 'the demo server is closed');
      assert.ok(await refused(`${devtools}/json/version`), 'the browser is gone');
      assert.equal(existsSync(join(profile, 'SingletonLock')), false, 'the browser shut down cleanly (profile unlocked)');

      const second = startScript(['--headless', '--no-build', '--profile', profile]);
      await second.waitFor(/^Ready\.$/m);
      assert.equal(await second.waitFor(/^Extension: (chrome-extension:\/\/[a-p]{32}\/) loaded/m), origin, 'the same extension id, so the same storage');
      const devtools2 = await second.waitFor(/^DevTools: (\S+)$/m);
      const kept = await inServiceWorker(devtools2, origin, async (k) => (await (globalThis as unknown as ExtensionGlobals).chrome.storage.local.get(k))[k], 'lensStartTest');
      assert.equal(kept, mark, 'the extension\'s storage survived the restart');
      assert.equal(await second.interrupt(), 0);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test('Firefox (--firefox): web-ext installs the add-on in a kept profile and opens the demo page', { skip: existsSync(FIREFOX_PATH) ? (existsSync(join(ROOT, 'dist', 'firefox', 'manifest.json')) ? false : 'skipped: no dist/firefox (run npm run build)') : `skipped: ${FIREFOX_PATH} not found` }, async () => {
    const profile = join(mkdtempSync(join(tmpdir(), 'lens-start-ff-')), 'profile');
    try {
      const geckoId = (JSON.parse(readFileSync(join(ROOT, 'dist', 'firefox', 'manifest.json'), 'utf8')) as { browser_specific_settings: { gecko: { id: string } } }).browser_specific_settings.gecko.id;
      const run = startScript(['--firefox', '--headless', '--no-build', '--profile', profile, '--browser', FIREFOX_PATH]);
      await run.waitFor(/^Ready\.$/m);
      assert.match(run.output(), /Installed .* as a temporary add-on/);
      await run.waitFor(/^(demo server: GET \/ 200)$/m, 60_000);
      assert.equal(await run.interrupt(), 0, `exit code 0 on Ctrl+C:\n${run.output()}`);
      assert.ok(await refused(await run.waitFor(/^Demo page: (\S+)$/m)), 'the demo server is closed');
      // the kept profile remembers the add-on's moz-extension:// id (with keepUuidOnUninstall, its storage stays with it)
      const prefs = readFileSync(join(profile, 'prefs.js'), 'utf8');
      const uuids = /user_pref\("extensions\.webextensions\.uuids", "(.*)"\);/.exec(prefs)?.[1] ?? '';
      assert.ok(uuids.includes(geckoId), `the profile knows ${geckoId}: ${uuids}`);
      assert.match(prefs, /user_pref\("extensions\.webextensions\.keepStorageOnUninstall", true\);/);
    } finally {
      rmSync(join(profile, '..'), { recursive: true, force: true });
    }
  });
});
