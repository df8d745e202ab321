// Models published without ONNX (a checkpoint + config.json, as most Hub fine-tunes are: model.safetensors, or
// pytorch_model.bin as transformers saved until late 2023), in Chromium: a folder import and a hub download are
// stored, built into onnx/model.onnx in the background, quantized to int8, shown as one progress bar through
// download, build and optimize, and answer; the checkpoint is not kept. A pytorch_model.bin is read as data (its
// pickle is never run): one in torch's legacy format imports and answers, one whose pickle asks to call os.system
// is refused naming it. A truncated checkpoint (cut by the hub, or in a folder) is refused with nothing stored.
// With the full-size MobileBERT: a cancel during the build leaves nothing, and how long the build and int8 steps
// take in the service worker is printed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { makeModelFolder } from '../../src/modelgen/model-folder.js';
import { storedZip } from '../../src/modelgen/pytorch-writer.js';
import { isCheckpointFile, modelWeights, PYTORCH_FILE } from '../../src/shared/model-files.js';
import { REGISTRY, type RegistryEntry } from '../../src/shared/registry.js';
import { chromiumUnavailable, launchChromium, type LensChromium } from './harness/chromium.js';
import { e2eBuild } from './harness/build.js';
import { FULL_SIZE_QA_HUB_DIR, hubRevision, prepareHub } from './harness/models.js';
import { randomPytorchCheckpoint } from '../../src/modelgen/random-model.js';
import { startTestServer, type TestServer } from './harness/server.js';
import { cachedUrls, card, devicePins, installedRecord, recordInstallPhases, setHub, type InstalledRecord } from './harness/store.js';

const skip = chromiumUnavailable();
const QA = 'mobilebert-squad2';
const CHECKPOINT = 'model.safetensors';
const BUILD_LABEL = 'Building the model from its weights…';
const OPTIMIZE_LABEL = 'Optimizing for this device (int8)…';

/** The checkpoint an entry is published as, if it has no ONNX file. */
const checkpointOf = (m: RegistryEntry): string | undefined => {
  const w = modelWeights(m.files.map((f) => f.path));
  return w?.kind === 'checkpoint' ? w.path : undefined;
};
/** Registry entries published as a checkpoint only: the extension builds their ONNX file. */
const CHECKPOINT_ENTRIES = REGISTRY.filter((m) => checkpointOf(m) !== undefined);
const noCheckpointEntry = CHECKPOINT_ENTRIES.length === 0 ? 'skipped: models/registry.json has no entry published as a checkpoint only' : false;
const FULL_SIZE_ENTRY = CHECKPOINT_ENTRIES.find((m) => (m.modelType ?? 'mobilebert') === 'mobilebert');

/** A random-weight MobileBERT QA folder as most Hub fine-tunes are: config, tokenizer files, model.safetensors, no ONNX. */
async function checkpointFolder(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await makeModelFolder({ arch: 'tiny', task: { kind: 'qa' }, outDir: dir, format: 'safetensors', seed: 7 });
  return dir;
}

/**
 * The same folder with pytorch_model.bin in place of model.safetensors (the same tensors, as a 2019-2020
 * checkpoint: torch's legacy format, with the int64 position_ids buffer transformers kept then).
 */
async function pytorchFolder(prefix: string, format: 'zip' | 'legacy'): Promise<string> {
  const dir = await checkpointFolder(prefix);
  rmSync(join(dir, CHECKPOINT));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, PYTORCH_FILE), randomPytorchCheckpoint(config, 7, format));
  return dir;
}

/**
 * A pytorch_model.bin in torch's zip format whose data.pkl, unpickled by torch.load (before torch 2.6's
 * weights_only default), would run `os.system(...)`: protocol 2, GLOBAL posix system, the argument, TUPLE1, REDUCE,
 * STOP. What a malicious checkpoint looks like.
 */
function hostileCheckpoint(): Uint8Array {
  const command = Buffer.from('touch /tmp/lens-pwned');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(command.length);
  const pickle = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cposix\nsystem\n', 'latin1'), Buffer.from([0x58]), len, command, Buffer.from([0x85, 0x52, 0x2e])]);
  return storedZip([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
}

/**
 * The record of a model built from its checkpoint: onnx/model.onnx built and onnx/model_quantized.onnx quantized
 * on this device, both marked so; the checkpoint not kept; the bytes counted are the stored files'.
 */
function assertBuiltAndQuantized(record: InstalledRecord | undefined): void {
  assert.ok(record, 'the model is recorded as installed');
  assert.equal(record.int8Error, undefined, `the int8 step did not fail (${record.int8Error})`);
  const paths = record.files.map((f) => f.path);
  const fp32 = record.files.find((f) => f.path === 'onnx/model.onnx');
  const int8 = record.files.find((f) => f.path === 'onnx/model_quantized.onnx');
  assert.ok(fp32, `onnx/model.onnx is listed: ${JSON.stringify(paths)}`);
  assert.equal(fp32.derived, 'onnx', 'onnx/model.onnx is marked as built on this device');
  assert.ok(int8, `onnx/model_quantized.onnx is listed: ${JSON.stringify(paths)}`);
  assert.equal(int8.derived, 'int8', 'onnx/model_quantized.onnx is marked as quantized on this device');
  for (const f of [fp32, int8]) assert.match(f.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok(int8.size < fp32.size / 3, `int8 ${int8.size} bytes vs fp32 ${fp32.size}`);
  assert.ok(!paths.some(isCheckpointFile), `the checkpoint is not kept once built: ${JSON.stringify(paths)}`);
  assert.ok(paths.includes('config.json'));
  assert.equal(record.bytes, record.files.reduce((sum, f) => sum + f.size, 0));
}

async function assertNothingStored(lens: LensChromium, id: string): Promise<void> {
  assert.equal(await installedRecord(lens, id), undefined, 'no record');
  assert.deepEqual(await cachedUrls(lens), [], 'nothing left in Cache Storage');
}

/** Records the labels the options card's progress bar shows for a model (each distinct one, in order). */
async function recordProgressLabels(page: Page, id: string): Promise<() => Promise<string[]>> {
  const key = `lensTestLabels_${id}`;
  await page.evaluate(
    ([sel, k]) => {
      const seen: string[] = [];
      (globalThis as unknown as Record<string, string[]>)[k] = seen;
      const root = document.querySelector(sel);
      if (!root) throw new Error(`no ${sel}`);
      new MutationObserver(() => {
        for (const el of root.querySelectorAll('.progress-text')) {
          const text = el.textContent ?? '';
          if (text && seen.at(-1) !== text) seen.push(text);
        }
      }).observe(root, { subtree: true, childList: true, characterData: true });
    },
    [card(id), key] as const,
  );
  return () => page.evaluate((k) => [...new Set((globalThis as unknown as Record<string, string[]>)[k])], key);
}

/** Makes this model the one the popup and the requests use for its task. */
async function useModel(page: Page, entry: RegistryEntry): Promise<void> {
  const patch = entry.task === 'qa' ? { qaModelId: entry.id } : { sentimentModelId: entry.id };
  await page.evaluate(async (p) => {
    const current = ((await chrome.storage.local.get('settings')) as { settings?: object }).settings ?? {};
    await chrome.storage.local.set({ settings: { ...current, ...p } });
  }, patch);
}

/** Asks a question in the popup about a test page; the answers are listed and one is highlighted in the page. */
async function askInPopup(lens: LensChromium, server: TestServer): Promise<{ answers: string[]; highlight: string }> {
  const article = await lens.openPage(server.fixtureUrl('plain.html'));
  const tabId = await lens.tabIdOf(article);
  const popup = await lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
  try {
    await popup.fill('#question', 'what grows in the orchards?');
    await popup.click('#ask');
    await popup.waitForSelector('[data-testid="answer"], [data-testid="no-answer"]', { timeout: 60_000 });
    const answers = await popup.$$eval('[data-testid="answer"]', (els) => els.map((e) => e.querySelector('.answer-text')?.textContent ?? e.textContent ?? ''));
    // a random-weight model may abstain; its possible answers are still offered and one is marked by a click
    if (await popup.$('[data-testid="no-answer"]')) await popup.click('[data-testid="answer"][data-index="0"]');
    await article.waitForSelector('mark[data-lens-answer]', { timeout: 30_000 });
    const highlight = await article.evaluate(() => [...document.querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent ?? '').join(''));
    return { answers, highlight };
  } finally {
    await popup.close();
    await article.close();
  }
}

async function removeModel(page: Page, id: string): Promise<void> {
  const removed = await page.evaluate((modelId) => chrome.runtime.sendMessage({ type: 'models/remove', modelId }), id);
  assert.equal(removed.ok, true, JSON.stringify(removed));
}

describe('models published as a checkpoint only (model.safetensors, pytorch_model.bin), in Chromium', { skip }, () => {
  let lens: LensChromium;
  let server: TestServer;
  let options: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub() });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome') });
    options = await setHub(lens, server.hubUrl);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  test('folder import: a safetensors-only folder is built and optimized on the device (one progress bar), and answers', async () => {
    const folder = await checkpointFolder('lens-checkpoint-folder-');
    try {
      const phases = await recordInstallPhases(options, QA);
      const labels = await recordProgressLabels(options, QA);
      server.clearRequests();
      await options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
      await options.waitForSelector(`${card(QA)}[data-state="installed"]`, { timeout: 60_000 });
      assert.deepEqual(await phases(), [`build: ${BUILD_LABEL}`, `optimize: ${OPTIMIZE_LABEL}`], 'the background reports the build, then the int8 step');
      const shown = await labels();
      assert.ok(shown.includes(BUILD_LABEL) && shown.includes(OPTIMIZE_LABEL) && shown.indexOf(BUILD_LABEL) < shown.indexOf(OPTIMIZE_LABEL), `the card's progress bar shows the build, then the int8 step: ${JSON.stringify(shown)}`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const record = await installedRecord(lens, QA);
    assert.equal(record?.source, 'import');
    assertBuiltAndQuantized(record);
    const urls = await cachedUrls(lens);
    assert.ok(!urls.some((u) => u.endsWith(`/${CHECKPOINT}`)), 'the checkpoint is gone from Cache Storage');
    assert.ok(urls.some((u) => u.endsWith('/onnx/model.onnx')) && urls.some((u) => u.endsWith('/onnx/model_quantized.onnx')));
    assert.equal(await options.textContent(`${card(QA)} [data-testid="model-precision"]`), 'Runs int8, optimized on this device');

    const { answers, highlight } = await askInPopup(lens, server);
    assert.ok(answers.length > 0, 'answers are listed');
    // an answer across two blocks is marked block by block, so the marks' text lacks the line break between them
    const squash = (t: string) => t.replace(/\s+/g, '');
    assert.ok(highlight.length > 0 && answers.some((a) => squash(a).includes(squash(highlight))), `the highlight "${highlight}" is one of the answers`);
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), [], 'an imported model needs no download');
    await removeModel(options, QA);
    await assertNothingStored(lens, QA);
  });

  test('folder import: a truncated model.safetensors is refused with the reason, and nothing is stored', async () => {
    const folder = await checkpointFolder('lens-checkpoint-cut-');
    try {
      const file = join(folder, CHECKPOINT);
      truncateSync(file, Math.floor(readFileSync(file).length / 2));
      await options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
      await options.waitForSelector(`${card(QA)} [data-testid="model-error"]`, { timeout: 60_000 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const error = (await options.textContent(`${card(QA)} [data-testid="model-error"]`)) ?? '';
    assert.match(error, /could not build MobileBERT SQuAD 2\.0 from its weights: model\.safetensors is truncated/i);
    assert.equal(await options.getAttribute(card(QA), 'data-state'), 'absent');
    await assertNothingStored(lens, QA);
  });

  test('folder import: a pytorch_model.bin-only folder (torch\'s legacy format, int64 position_ids) is read as data, built, optimized and answers', async () => {
    const folder = await pytorchFolder('lens-pytorch-folder-', 'legacy');
    try {
      const phases = await recordInstallPhases(options, QA);
      server.clearRequests();
      await options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
      await options.waitForSelector(`${card(QA)}[data-state="installed"]`, { timeout: 60_000 });
      assert.deepEqual(await phases(), [`build: ${BUILD_LABEL}`, `optimize: ${OPTIMIZE_LABEL}`]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const record = await installedRecord(lens, QA);
    assert.equal(record?.source, 'import');
    assertBuiltAndQuantized(record);
    assert.ok(!(await cachedUrls(lens)).some((u) => u.endsWith(`/${PYTORCH_FILE}`)), 'pytorch_model.bin is gone from Cache Storage');
    const { answers, highlight } = await askInPopup(lens, server);
    assert.ok(answers.length > 0 && highlight.length > 0, 'answers are listed and one is highlighted');
    assert.deepEqual(server.requests.filter((r) => r.server === 'hub'), [], 'an imported model needs no download');
    await removeModel(options, QA);
    await assertNothingStored(lens, QA);
  });

  test('folder import: a pytorch_model.bin whose pickle asks to call os.system is refused, naming the call; nothing is stored', async () => {
    const folder = await checkpointFolder('lens-pickle-folder-');
    try {
      rmSync(join(folder, CHECKPOINT));
      writeFileSync(join(folder, PYTORCH_FILE), hostileCheckpoint());
      await options.setInputFiles(`${card(QA)} [data-testid="import-input"]`, folder);
      await options.waitForSelector(`${card(QA)} [data-testid="model-error"]`, { timeout: 30_000 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const error = (await options.textContent(`${card(QA)} [data-testid="model-error"]`)) ?? '';
    assert.match(error, /pytorch_model\.bin asks to call posix\.system, which is not part of a PyTorch state_dict: refused, nothing was loaded/);
    assert.equal(await options.getAttribute(card(QA), 'data-state'), 'absent');
    await assertNothingStored(lens, QA);
  });

  describe('hub downloads', { skip: noCheckpointEntry }, () => {
    for (const entry of CHECKPOINT_ENTRIES) {
      test(`download: ${entry.id} (${entry.modelType ?? 'mobilebert'}, ${entry.task}) is built and optimized after the download, with progress, and answers`, async () => {
        const phases = await recordInstallPhases(options, entry.id);
        const labels = await recordProgressLabels(options, entry.id);
        await options.click(`${card(entry.id)} [data-testid="download"]`);
        await options.waitForSelector(`${card(entry.id)}[data-state="installed"]`, { timeout: 120_000 });
        assert.deepEqual(await phases(), [`download: Downloading ${entry.name}`, `build: ${BUILD_LABEL}`, `optimize: ${OPTIMIZE_LABEL}`], 'one install: download, build, optimize');
        const shown = await labels();
        const at = (label: string) => shown.findIndex((l) => l === label || (label === 'Downloading' && l === 'Starting…'));
        assert.ok(at('Downloading') >= 0 && at('Downloading') < at(BUILD_LABEL) && at(BUILD_LABEL) < at(OPTIMIZE_LABEL), `the card's one progress bar goes through the three phases: ${JSON.stringify(shown)}`);
        const record = await installedRecord(lens, entry.id);
        assert.equal(record?.source, 'hub');
        assertBuiltAndQuantized(record);
        assert.ok(!(await cachedUrls(lens)).some((u) => u.endsWith(`/${checkpointOf(entry)}`)), 'the checkpoint is gone from Cache Storage');

        await useModel(options, entry);
        if (entry.task === 'qa') {
          const { answers, highlight } = await askInPopup(lens, server);
          assert.ok(answers.length > 0 && highlight.length > 0, 'answers are listed and one is highlighted');
        } else {
          const reply = await options.evaluate(() => chrome.runtime.sendMessage({ type: 'classify/run', requestId: crypto.randomUUID(), mode: 'sentiment', text: 'A gorgeous, witty, seductive movie.' }));
          assert.equal(reply.ok, true, JSON.stringify(reply));
          assert.equal(reply.value.modelId, entry.id);
          const labelsOut = (reply.value.scores as Array<{ label: string; score: number }>).map((s) => s.label).sort();
          if (entry.labels) assert.deepEqual(labelsOut, [...entry.labels].sort(), 'the labels are the model config.json id2label');
          assert.ok(Math.abs(reply.value.scores.reduce((s: number, x: { score: number }) => s + x.score, 0) - 1) < 1e-3, 'scores are probabilities');
        }
        await removeModel(options, entry.id);
        await assertNothingStored(lens, entry.id);
      });
    }

    for (const entry of CHECKPOINT_ENTRIES) {
      const weights = checkpointOf(entry) as string;
      for (const fault of ['short', 'truncate'] as const) {
        test(`download: ${entry.id}: ${fault === 'short' ? `a ${weights} the hub serves cut in half (headers agreeing)` : `a ${weights} download cut off`} is refused with the reason, and nothing is stored`, async () => {
          // cut in half with headers agreeing: the pinned size refuses it before the build could (the build's own
          // truncation check is tested with a folder import above); the pin is the registry's, or for a first-install
          // entry this device's (installed by the test above), or before that the hub API's
          const pinned = entry.pin === 'first-install' ? (await devicePins(lens))[entry.id] !== undefined : true;
          const expected = entry.pin !== 'first-install' ? 'the registry expects \\d+' : pinned ? 'this device recorded \\d+ at its first install' : "the hub's API gives \\d+ for commit [0-9a-f]{7}";
          const message = fault === 'short' ? new RegExp(`${weights.replace('.', '\\.')} of .* is \\d+ bytes on the hub, ${expected}: refusing it`, 'i') : /incomplete|interrupted/;
          server.hubFaults.set(`${entry.repo}/resolve/${hubRevision(entry)}/${weights}`, fault);
          try {
            await options.click(`${card(entry.id)} [data-testid="download"]`);
            await options.waitForSelector(`${card(entry.id)} [data-testid="model-error"]`, { timeout: 60_000 });
          } finally {
            server.hubFaults.clear();
          }
          assert.match((await options.textContent(`${card(entry.id)} [data-testid="model-error"]`)) ?? '', message);
          assert.equal(await options.getAttribute(card(entry.id), 'data-state'), 'absent');
          await assertNothingStored(lens, entry.id);
        });
      }
    }
  });
});

describe(`building the full-size MobileBERT from ${FULL_SIZE_ENTRY ? checkpointOf(FULL_SIZE_ENTRY) : 'its checkpoint'} (99 MB) in Chromium`, { skip: skip || (FULL_SIZE_ENTRY ? false : 'skipped: models/registry.json has no MobileBERT entry published as a checkpoint only') }, () => {
  const entry = FULL_SIZE_ENTRY as RegistryEntry;
  let lens: LensChromium;
  let server: TestServer;
  let options: Page;

  before(async () => {
    server = await startTestServer({ hubDir: await prepareHub(FULL_SIZE_QA_HUB_DIR) });
    lens = await launchChromium({ extensionDir: await e2eBuild('chrome', FULL_SIZE_QA_HUB_DIR) });
    options = await setHub(lens, server.hubUrl);
  });

  after(async () => {
    await lens?.close();
    await server?.close();
  });

  /** models/download from the options page, timing its phases by their first progress event; `cancelAt`: cancels at that phase's first event. */
  const download = (cancelAt?: 'build') =>
    options.evaluate(
      async ([modelId, cancelPhase]) => {
        const started = Date.now();
        const firstAt: Record<string, number> = {};
        let cancelled: Promise<unknown> | undefined;
        chrome.runtime.onMessage.addListener((msg: { type?: string; modelId?: string; phase?: string }) => {
          if (msg.type !== 'event/progress' || msg.modelId !== modelId || !msg.phase || firstAt[msg.phase] !== undefined) return;
          firstAt[msg.phase] = Date.now();
          if (msg.phase === cancelPhase) cancelled = chrome.runtime.sendMessage({ type: 'models/cancel-download', modelId });
        });
        const reply = await chrome.runtime.sendMessage({ type: 'models/download', modelId });
        return { reply, cancelReply: await cancelled, started, firstAt, ended: Date.now() };
      },
      [entry.id, cancelAt ?? ''] as const,
    );

  test('cancelled during the build: nothing is installed and nothing is left in Cache Storage', async () => {
    const { reply, cancelReply, firstAt } = await download('build');
    assert.ok(firstAt.build !== undefined, 'the build started');
    assert.equal(firstAt.optimize, undefined, 'the int8 step never started');
    assert.equal(reply.ok, false, `the install was cancelled: ${JSON.stringify(reply)}`);
    assert.match(reply.error, /cancelled/);
    assert.deepEqual(cancelReply, { ok: true, value: { cancelled: true } });
    await assertNothingStored(lens, entry.id);
    // a first install that did not complete pins nothing: the next try resolves the branch afresh
    if (entry.pin === 'first-install') assert.equal((await devicePins(lens))[entry.id], undefined, 'no first-install pin is recorded for an install that did not complete');
  });

  test('completes: built and quantized on the device (the build and int8 times in the service worker are printed)', async () => {
    const { reply, started, firstAt, ended } = await download();
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const record = await installedRecord(lens, entry.id);
    assertBuiltAndQuantized(record);
    const mb = (path: string) => ((record?.files.find((f) => f.path === path)?.size ?? 0) / 1e6).toFixed(1);
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `# full-size ${entry.id} from ${checkpointOf(entry)} in Chromium's service worker: download + verify + store ${s(firstAt.build - started)} s, ` +
        `build ${s(firstAt.optimize - firstAt.build)} s (-> onnx/model.onnx ${mb('onnx/model.onnx')} MB), ` +
        `int8 step ${s(ended - firstAt.optimize)} s (-> onnx/model_quantized.onnx ${mb('onnx/model_quantized.onnx')} MB)`,
    );
    await removeModel(options, entry.id);
    await assertNothingStored(lens, entry.id);
  });
});
