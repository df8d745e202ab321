// `npm start`: builds the extension if needed, serves the bundled demo article on 127.0.0.1 and opens a browser
// with Lens loaded and a persistent profile (Chromium by default, `-- --firefox` for Firefox). Dev tooling, not
// part of the shipped CLI: it needs the devDependencies (playwright-core, web-ext) and the source tree.
//
// Chromium is driven by playwright-core over its DevTools pipe and the extension is loaded with the DevTools
// call Extensions.loadUnpacked: branded Google Chrome ignores --load-extension since version 137, the pipe call
// works in both (it is what web-ext does too), and playwright-core is the launcher the e2e tests already rely
// on here. web-ext's own Chromium runner copies the profile to a temporary folder unless the profile already
// exists, which would lose the downloaded model. For Firefox, `web-ext run` is the tool (Firefox has no
// load-extension switch): it installs the build as a temporary add-on in a kept profile.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DEMO_DIR = join(ROOT, 'scripts', 'demo');
/** Profiles live here (git-ignored), one folder per browser, so the model is downloaded once. */
export const PROFILE_ROOT = join(ROOT, '.lens-profile');

/** What the build reads: when any of it is newer than the build's output, `npm start` builds first. */
export const BUILD_INPUTS = ['src', 'extension', 'models/registry.json', 'manifest.json', 'vite.config.ts', 'package.json', 'package-lock.json', 'tsconfig.build.json'];
/** The files the build writes last-ish; the oldest of them stands for the build's time. */
export const BUILD_OUTPUTS = ['dist/chrome/manifest.json', 'dist/firefox/manifest.json', 'lib/cli/main.js'];

const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];
const FIREFOX_CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox', '/Applications/Firefox.app/Contents/MacOS/firefox'];

export interface StartOptions {
  browser: 'chromium' | 'firefox';
  headless: boolean;
  /** the profile folder; default .lens-profile/<browser> */
  profile: string;
  /** the demo server's port; 0 picks a free one */
  port: number;
  /** the browser executable; default: the first one found */
  executable: string | undefined;
  build: boolean;
  help: boolean;
}

const USAGE = `Usage: npm start [-- options]
  --firefox          Firefox (web-ext run) instead of Chromium
  --headless         no window (for tests); Chromium then also opens a DevTools port on 127.0.0.1 and prints it
  --profile DIR      browser profile folder (default .lens-profile/chromium or .lens-profile/firefox)
  --port N           port of the demo page server (default: any free port)
  --browser PATH     the browser to run (default: Chromium or Chrome / Firefox ESR or Firefox, whichever is installed)
  --no-build         do not build, even when dist/ is older than the sources`;

export function parseArgs(argv: readonly string[]): StartOptions {
  const o: StartOptions = { browser: 'chromium', headless: false, profile: '', port: 0, executable: undefined, build: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--firefox') o.browser = 'firefox';
    else if (arg === '--chromium') o.browser = 'chromium';
    else if (arg === '--headless') o.headless = true;
    else if (arg === '--no-build') o.build = false;
    else if (arg === '--profile') o.profile = resolve(value());
    else if (arg === '--browser') o.executable = resolve(value());
    else if (arg === '--port') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port: "${v}" is not a port number`);
      o.port = Number(v);
    } else if (arg === '--help' || arg === '-h') o.help = true;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  o.profile ||= join(PROFILE_ROOT, o.browser);
  return o;
}

/** The newest modification time under a file or folder (0 when it does not exist). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the build must run first, or undefined when dist/ and lib/ are newer than everything they are built from. */
export function buildNeeded(root: string = ROOT): string | undefined {
  const outputs = BUILD_OUTPUTS.map((p) => ({ p, t: existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0 }));
  const missing = outputs.find((o) => o.t === 0);
  if (missing) return `${missing.p} is missing`;
  const built = Math.min(...outputs.map((o) => o.t));
  const newer = BUILD_INPUTS.find((p) => newestMtime(join(root, p)) > built);
  return newer ? `${newer} changed since the last build` : undefined;
}

export function findExecutable(browser: StartOptions['browser'], explicit: string | undefined): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`--browser: ${explicit} does not exist`);
    return explicit;
  }
  const envPath = browser === 'chromium' ? process.env.CHROME_PATH : process.env.FIREFOX_PATH;
  const found = [envPath, ...(browser === 'chromium' ? CHROMIUM_CANDIDATES : FIREFOX_CANDIDATES)].find((p): p is string => !!p && existsSync(p));
  if (!found) {
    const hint = browser === 'chromium' ? 'apt-get install chromium (or install Google Chrome), or pass --browser PATH / set CHROME_PATH' : 'apt-get install firefox-esr, or pass --browser PATH / set FIREFOX_PATH';
    throw new Error(`no ${browser === 'chromium' ? 'Chromium or Chrome' : 'Firefox'} found: ${hint}`);
  }
  return found;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };

/** Serves DEMO_DIR on 127.0.0.1 only; logs each request with `log`. */
export async function serveDemo(port: number, log: (line: string) => void, dir: string = DEMO_DIR): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
      log(`demo server: ${req.method} ${path} ${status}`);
    };
    try {
      path = decodeURIComponent(path);
    } catch {
      return send(400, 'bad path');
    }
    const file = resolve(dir, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    // nothing outside the demo folder, whatever the path says
    if (file !== dir && !file.startsWith(dir + sep)) return send(403, 'forbidden');
    readFile(file).then(
      (body) => send(200, body, TYPES[extname(file)] ?? 'application/octet-stream'),
      () => send(404, 'not found'),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

interface Running {
  /** resolves when the browser is gone, by the user or by stop() */
  closed: Promise<void>;
  stop(): Promise<void>;
}

async function startChromium(o: StartOptions, executable: string, url: string): Promise<Running> {
  const { chromium } = await import('playwright-core');
  const extensionDir = join(ROOT, 'dist', 'chrome');
  const context = await chromium.launchPersistentContext(o.profile, {
    executablePath: executable,
    headless: o.headless,
    // the window's own size, not Playwright's fixed test viewport
    viewport: null,
    // Playwright's defaults disable extensions and show the "controlled by automated software" bar
    ignoreDefaultArgs: ['--disable-extensions', '--enable-automation'],
    args: [
      // allows Extensions.loadUnpacked over the DevTools pipe
      '--enable-unsafe-extension-debugging',
      '--no-first-run',
      '--no-default-browser-check',
      // headless has no window to look at: a local DevTools port is the way in (tests use it)
      ...(o.headless ? ['--remote-debugging-port=0'] : []),
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const closed = new Promise<void>((done) => context.once('close', () => done()));
  const stop = async () => {
    await context.close().catch(() => undefined);
  };
  try {
    const browser = context.browser();
    if (!browser) throw new Error('no browser DevTools session');
    const session = await browser.newBrowserCDPSession();
    let id: string;
    try {
      ({ id } = await session.send('Extensions.loadUnpacked', { path: extensionDir }));
    } catch (err) {
      throw new Error(`${executable} did not load ${extensionDir} (Extensions.loadUnpacked needs Chrome/Chromium 126 or newer): ${err instanceof Error ? err.message : String(err)}`);
    }
    const origin = `chrome-extension://${id}/`;
    const worker =
      context.serviceWorkers().find((w) => w.url().startsWith(origin)) ?? (await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(origin), timeout: 20_000 }));
    console.log(`Extension: ${origin} loaded (service worker ${new URL(worker.url()).pathname} running)`);
    // open the demo in the first tab rather than beside an empty one
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    if (o.headless) {
      const port = readFileSync(join(o.profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
      console.log(`DevTools: http://127.0.0.1:${port}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { closed, stop };
}

async function startFirefox(o: StartOptions, executable: string, url: string): Promise<Running> {
  const webExt = join(ROOT, 'node_modules', 'web-ext', 'bin', 'web-ext.js');
  const args = [
    webExt,
    'run',
    '--target=firefox-desktop',
    `--source-dir=${join(ROOT, 'dist', 'firefox')}`,
    `--firefox=${executable}`,
    `--firefox-profile=${o.profile}`,
    '--profile-create-if-missing',
    '--keep-profile-changes',
    `--start-url=${url}`,
    '--no-reload',
    '--no-input',
    // a temporary add-on is uninstalled when Firefox closes: keep its storage (the model) and its
    // moz-extension:// id, so the next start finds the model again
    '--pref=extensions.webextensions.keepStorageOnUninstall=true',
    '--pref=extensions.webextensions.keepUuidOnUninstall=true',
    ...(o.headless ? ['--arg=-headless'] : []),
  ];
  // its own process group: web-ext's Firefox runner signals its group when it closes Firefox, which must not reach
  // this script (a second SIGINT would end it before it has closed the demo server); this script forwards Ctrl+C
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const closed = new Promise<void>((done) => child.once('exit', () => done()));
  const installed = new Promise<void>((ok, fail) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        console.log(`web-ext: ${line}`);
        if (/Installed .* as a temporary add-on/.test(line)) ok();
      }
    };
    child.stdout?.on('data', onLine);
    child.stderr?.on('data', onLine);
    child.once('exit', (code) => fail(new Error(`web-ext run exited (code ${code}) before the add-on was installed; its output is above`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // web-ext closes Firefox on SIGINT, as on Ctrl+C
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await closed;
    clearTimeout(timer);
  };
  try {
    await installed;
  } catch (err) {
    await stop();
    throw err;
  }
  console.log('Extension: installed in Firefox as a temporary add-on (kept with its storage in the profile)');
  return { closed, stop };
}

export async function start(o: StartOptions): Promise<void> {
  if (o.build) {
    const why = buildNeeded();
    if (why) {
      console.log(`Building first (${why}): npm run build`);
      const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal})`);
    }
  }
  const dist = join(ROOT, 'dist', o.browser === 'chromium' ? 'chrome' : 'firefox', 'manifest.json');
  if (!existsSync(dist)) throw new Error(`${relative(ROOT, dist)} is missing: run npm run build`);
  const executable = findExecutable(o.browser, o.executable);
  // web-ext makes the Firefox profile itself (--profile-create-if-missing)
  if (o.browser === 'chromium') mkdirSync(o.profile, { recursive: true });

  // a Ctrl+C while the browser starts is kept and acted on once it runs (Node's default would end the script at
  // once, leaving the demo server's port and web-ext's detached Firefox behind)
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let early: string | undefined;
  const keep = (signal: string) => void (early ??= signal);
  for (const signal of signals) process.on(signal, keep);
  const { server, url } = await serveDemo(o.port, (line) => console.log(line));
  console.log(`Demo page: ${url}`);
  console.log(`Browser: ${executable}${o.headless ? ' (headless)' : ''}, profile ${relative(process.cwd(), o.profile) || o.profile}`);
  let running: Running;
  try {
    running = o.browser === 'chromium' ? await startChromium(o, executable, url) : await startFirefox(o, executable, url);
  } catch (err) {
    server.close();
    throw err;
  }
  // one shutdown, whichever comes first: a signal, or the user closing the browser
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) =>
    (stopping ??= (async () => {
      console.log(`Stopping (${why})…`);
      await running.stop();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      console.log('Stopped.');
    })());
  const done = new Promise<void>((resolveDone) => {
    const stop = (why: string) => void shutdown(why).then(resolveDone);
    // on, not once: a repeated Ctrl+C while stopping must not end the script before the browser and server are closed
    for (const signal of signals) {
      process.on(signal, stop);
      process.off(signal, keep);
    }
    void running.closed.then(() => shutdown('the browser was closed')).then(resolveDone);
    if (early) stop(early);
  });
  if (!early) console.log(o.headless ? 'Ready.' : 'Ready. Click the Lens button in the toolbar and ask about the article. Close the browser or press Ctrl+C to stop.');
  await done;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let options: StartOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    process.exit(0);
  }
  start(options).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
