// scripts/start.ts's decisions, without a browser: when `npm start` builds first, and its options.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BUILD_OUTPUTS, PROFILE_ROOT, buildNeeded, parseArgs, serveDemo } from '../scripts/start.js';

describe('npm start: build if needed', () => {
  const root = mkdtempSync(join(tmpdir(), 'lens-start-unit-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  const write = (path: string, seconds: number) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'x');
    // folders count too (a deleted source changes its folder): date them with the file
    for (let p = file; p.length > root.length; p = dirname(p)) utimesSync(p, seconds, seconds);
  };

  test('a fresh clone (no dist/) builds', () => {
    write('src/popup/popup.ts', 1000);
    assert.match(buildNeeded(root) ?? '', /dist\/chrome\/manifest\.json is missing/);
  });

  test('a build newer than every source is used as it is', () => {
    for (const out of BUILD_OUTPUTS) write(out, 2000);
    assert.equal(buildNeeded(root), undefined);
  });

  test('a source edited after the build (deep in src/ or the registry) builds again', () => {
    write('src/content/deep/extract.ts', 3000);
    assert.match(buildNeeded(root) ?? '', /^src changed/);
    write('src/content/deep/extract.ts', 1500);
    write('models/registry.json', 2500);
    assert.match(buildNeeded(root) ?? '', /^models\/registry\.json changed/);
  });

  test('one output older than the sources (a half-finished build) builds again', () => {
    write('models/registry.json', 1500);
    for (const out of BUILD_OUTPUTS) write(out, 2000);
    write(BUILD_OUTPUTS[1], 1200);
    assert.ok(buildNeeded(root));
  });
});

describe('npm start: options', () => {
  test('Chromium with a kept profile by default; --firefox switches browser and profile', () => {
    const o = parseArgs([]);
    assert.equal(o.browser, 'chromium');
    assert.equal(o.headless, false);
    assert.equal(o.profile, join(PROFILE_ROOT, 'chromium'));
    const f = parseArgs(['--firefox', '--headless', '--port', '8123']);
    assert.deepEqual([f.browser, f.headless, f.port, f.profile], ['firefox', true, 8123, join(PROFILE_ROOT, 'firefox')]);
  });

  test('bad options are refused with the usage', () => {
    assert.throws(() => parseArgs(['--port', 'eighty']), /--port: "eighty" is not a port number/);
    assert.throws(() => parseArgs(['--profile']), /--profile needs a value/);
    assert.throws(() => parseArgs(['--fast']), /unknown option --fast[\s\S]*Usage: npm start/);
  });
});

describe('npm start: the demo server', () => {
  test('serves the folder on 127.0.0.1 and nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lens-demo-'));
    writeFileSync(join(dir, 'index.html'), '<title>demo</title>');
    writeFileSync(join(dirname(dir), 'lens-demo-secret.txt'), 'secret');
    const lines: string[] = [];
    const { server, url } = await serveDemo(0, (l) => lines.push(l), dir);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(await page.text(), '<title>demo</title>');
      assert.equal((await fetch(`${url}..%2flens-demo-secret.txt`)).status, 403, 'an encoded ../ does not leave the folder');
      assert.equal((await fetch(`${url}%E0%A4%A.html`)).status, 400, 'a malformed escape is refused, the server stays up');
      assert.equal((await fetch(`${url}missing.html`)).status, 404);
      assert.deepEqual(lines, ['demo server: GET / 200', 'demo server: GET /../lens-demo-secret.txt 403', 'demo server: GET /%E0%A4%A.html 400', 'demo server: GET /missing.html 404']);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(dirname(dir), 'lens-demo-secret.txt'), { force: true });
    }
  });
});
