// The extension's browser-independent logic: registry, hub URL layout, settings checks, which pages are
// off-limits, the background's message validation, and which ONNX file runs under the precision setting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PDF_MESSAGE, RESTRICTED_MESSAGE, restrictedReason } from '../src/background/restricted.js';
import { pickOnnxFile } from '../src/shared/model-files.js';
import { checkClassifyMode, checkHubUrl, checkLabels, checkModelFor } from '../src/shared/checks.js';
import { checkPrecision, onnxVariantOf, precisionInUse, precisionText } from '../src/shared/precision.js';
import { isBackgroundRequest, isOffscreenRequest, type StoredFile } from '../src/shared/protocol.js';
import { REGISTRY, approxBytes, hubFileUrl, hubRevisionApiUrl, onDeviceInt8Source, parseRegistry, registryEntry } from '../src/shared/registry.js';
import { DEFAULT_SETTINGS, checkSettingsPatch, classifyModelId, normalizeSettings, type TaskOf } from '../src/shared/settings-values.js';
import { modelSpeed, speedFactorText, speedText } from '../src/ui/speed.js';
import { readShareText } from '../src/ui/format.js';

test('the registry has the default QA and zero-shot models with their hub files', () => {
  const qa = registryEntry('mobilebert-squad2');
  assert.equal(qa.task, 'qa');
  assert.equal(qa.repo, 'csarron/mobilebert-uncased-squad-v2');
  assert.ok(qa.files.some((f) => f.path === 'model.onnx'));
  const nli = registryEntry('mobilebert-mnli');
  assert.equal(nli.task, 'zero-shot');
  // the hub's int8 variant is the default for NLI: measured twice as fast as fp32 on the same wasm runtime
  assert.ok(nli.files.some((f) => f.path === 'onnx/model_quantized.onnx'));
  assert.equal(nli.int8, undefined, 'the hub publishes the NLI int8 file: nothing to make on the device');
  // the hub has the QA model only as fp32: the extension makes its int8 file after the download
  assert.equal(qa.int8, 'on-device');
  assert.ok(approxBytes(qa) > 90e6 && approxBytes(qa) < 110e6, `QA model size ${approxBytes(qa)}`);
  assert.equal(REGISTRY.length, new Set(REGISTRY.map((m) => m.id)).size);
  assert.throws(() => registryEntry('nope'), /unknown model "nope" \(known: mobilebert-squad2, mobilebert-mnli\b/);
});

test('the registry has the popup\'s Sentiment model and a compact QA alternative', () => {
  // the Classify tab's Sentiment mode: a fine-tuned classifier (fixed labels), next to the zero-shot NLI model
  const sst2 = registryEntry(DEFAULT_SETTINGS.sentimentModelId);
  assert.equal(sst2.task, 'classify');
  assert.equal(registryEntry(DEFAULT_SETTINGS.zeroShotModelId).task, 'zero-shot');
  // the options page offers it beside MobileBERT for questions
  const compact = registryEntry('compact-bert-squad');
  assert.equal(compact.task, 'qa');
  assert.ok(approxBytes(compact) < approxBytes(registryEntry('mobilebert-squad2')), 'the compact model is the smaller download');
  // every entry is pinned to a commit (or to the one its first install resolves), so a hub change cannot swap the weights under an install
  for (const m of REGISTRY) assert.ok(/^[0-9a-f]{40}$/.test(m.revision ?? '') || m.pin === 'first-install', `${m.id} revision ${m.revision}`);
});

test('bad registry entries are refused with the reason', () => {
  const good = { id: 'a', name: 'A', task: 'qa', repo: 'o/r', pin: 'first-install', branch: 'main', license: 'MIT', description: 'd', files: [{ path: 'model.onnx' }] };
  assert.equal(parseRegistry({ models: [good] }).length, 1);
  assert.throws(() => parseRegistry({}), /"models" must be an array/);
  assert.throws(() => parseRegistry({ models: [{ ...good, task: 'translate' }] }), /unknown task "translate"/);
  assert.throws(() => parseRegistry({ models: [good, good] }), /duplicate id "a"/);
  assert.throws(() => parseRegistry({ models: [{ ...good, files: [{ path: '../etc/passwd' }] }] }), /bad file path/);
  assert.throws(() => parseRegistry({ models: [{ ...good, repo: '' }] }), /"repo" must be a non-empty string/);
});

test('registry "int8": "on-device" needs an fp32 ONNX file and no hub int8 file', () => {
  const good = { id: 'a', name: 'A', task: 'qa', repo: 'o/r', pin: 'first-install', branch: 'main', license: 'MIT', description: 'd', int8: 'on-device', files: [{ path: 'config.json' }, { path: 'model.onnx' }] };
  assert.equal(parseRegistry({ models: [good] })[0].int8, 'on-device');
  assert.equal(parseRegistry({ models: [{ ...good, files: [{ path: 'onnx/model.onnx' }] }] })[0].int8, 'on-device');
  assert.throws(() => parseRegistry({ models: [{ ...good, int8: 'yes' }] }), /entry a: "int8" must be "on-device" \(got "yes"\)/);
  assert.throws(() => parseRegistry({ models: [{ ...good, int8: true }] }), /"int8" must be "on-device"/);
  assert.throws(() => parseRegistry({ models: [{ ...good, files: [{ path: 'onnx/model_quantized.onnx' }] }] }), /needs an fp32 ONNX file to quantize \(onnx\/model\.onnx or model\.onnx\)/);
  assert.throws(() => parseRegistry({ models: [{ ...good, files: [{ path: 'model.onnx' }, { path: 'onnx/model_quantized.onnx' }] }] }), /with the hub's onnx\/model_quantized\.onnx as well/);
});

test('on-device int8: made from the stored fp32 file unless the files already have an int8 one', () => {
  const qa = registryEntry('mobilebert-squad2');
  assert.equal(onDeviceInt8Source(qa, ['config.json', 'vocab.txt', 'model.onnx']), 'model.onnx');
  // a folder import in the onnx/ layout
  assert.equal(onDeviceInt8Source(qa, ['config.json', 'onnx/model.onnx']), 'onnx/model.onnx');
  assert.equal(onDeviceInt8Source(qa, ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx']), undefined, 'an imported folder brought its own int8 file');
  assert.equal(onDeviceInt8Source(qa, ['config.json', 'onnx/model_quantized.onnx']), undefined);
  assert.equal(onDeviceInt8Source(registryEntry('mobilebert-mnli'), ['config.json', 'onnx/model.onnx']), undefined, 'not asked for by the registry');
});

test('precision: which ONNX file runs, and how the options page says it', () => {
  const file = (path: string, derived?: 'int8'): StoredFile => ({ path, size: 1, ...(derived ? { derived } : {}) });
  const both = { files: [file('config.json'), file('model.onnx'), file('onnx/model_quantized.onnx', 'int8')] };
  assert.deepEqual(precisionInUse(both, 'int8'), { precision: 'int8', path: 'onnx/model_quantized.onnx', derived: true });
  assert.deepEqual(precisionInUse(both, 'fp32'), { precision: 'fp32', path: 'model.onnx', derived: false });
  assert.equal(precisionText(precisionInUse(both, 'int8')!), 'int8, optimized on this device');
  assert.equal(precisionText(precisionInUse(both, 'fp32')!), 'fp32, the published weights');

  // the hub's int8-only model (MNLI) under fp32: it runs what it has, and says so
  const int8Only = { files: [file('config.json'), file('onnx/model_quantized.onnx')] };
  const mnli = precisionInUse(int8Only, 'fp32');
  assert.equal(mnli?.path, 'onnx/model_quantized.onnx');
  assert.equal(mnli?.precision, 'int8');
  assert.equal(precisionText(mnli!), 'int8, as published (this model is published only as int8, so the fp32 setting does not apply to it)');
  assert.equal(precisionInUse(int8Only, 'int8')?.note, undefined);

  // the on-device step failed: fp32 runs, and the reason shows
  const failed = { files: [file('model.onnx')], int8Error: 'not a valid ONNX file: index out of range' };
  assert.deepEqual(precisionInUse(failed, 'int8'), { precision: 'fp32', path: 'model.onnx', derived: false, note: 'making the int8 file on this device failed: not a valid ONNX file: index out of range' });
  assert.equal(precisionInUse({ files: [file('model.onnx')] }, 'int8')?.note, 'this model has no int8 file');
  // an on-device entry installed without its int8 file (e.g. by an older version): how to get it
  assert.match(precisionInUse({ files: [file('model.onnx')] }, 'int8', true)?.note ?? '', /remove it and download or import it again/);
  assert.equal(precisionInUse({ files: [file('config.json')] }, 'int8'), undefined);

  assert.deepEqual(pickOnnxFile(['onnx/model.onnx', 'model.onnx'], 'fp32'), { variant: 'fp32', path: 'onnx/model.onnx' }, 'the onnx/ layout first, as the engine reads it');
  assert.deepEqual(pickOnnxFile(['model_quantized.onnx'], 'fp32'), { variant: 'quantized', path: 'model_quantized.onnx' });
  assert.equal(onnxVariantOf('int8'), 'quantized');
  assert.equal(onnxVariantOf('fp32'), 'fp32');
  assert.equal(checkPrecision('fp32'), 'fp32');
  assert.throws(() => checkPrecision('int4'), /precision must be "int8" or "fp32" \(got "int4"\)/);
});

test('hub URLs follow the Hugging Face layout {hub}/{repo}/resolve/{revision}/{file}, and its API /api/models/{repo}/revision/{ref}', () => {
  const entry = registryEntry('mobilebert-mnli');
  const revision = entry.revision ?? '';
  assert.equal(hubFileUrl('https://huggingface.co', entry.repo, revision, 'onnx/model.onnx'), `https://huggingface.co/Xenova/mobilebert-uncased-mnli/resolve/${revision}/onnx/model.onnx`);
  assert.equal(hubFileUrl('http://127.0.0.1:8080/hub/', entry.repo, revision, 'config.json'), `http://127.0.0.1:8080/hub/Xenova/mobilebert-uncased-mnli/resolve/${revision}/config.json`);
  assert.equal(hubRevisionApiUrl('https://huggingface.co/', 'Alireza1044/mobilebert_sst2', 'main'), 'https://huggingface.co/api/models/Alireza1044/mobilebert_sst2/revision/main?blobs=true');
  assert.equal(hubRevisionApiUrl('https://huggingface.co', 'o/r', 'refs/pr/1'), 'https://huggingface.co/api/models/o/r/revision/refs%2Fpr%2F1?blobs=true');
});

test('settings: hub URL and candidate labels are checked', () => {
  assert.equal(checkHubUrl(' https://hf-mirror.example/ '), 'https://hf-mirror.example');
  assert.throws(() => checkHubUrl('huggingface'), /is not a URL/);
  assert.throws(() => checkHubUrl('ftp://x.org'), /must be http\(s\)/);
  assert.deepEqual(checkLabels([' sports ', 'politics', 'sports', '']), ['sports', 'politics']);
  assert.throws(() => checkLabels(['only']), /at least two/);
  assert.throws(() => checkLabels(['a', 'b'.repeat(101)]), /at most 100/);
});

test('pages extensions cannot read get a clear reason', () => {
  for (const url of ['chrome://settings', 'about:addons', 'chrome-extension://abc/popup.html', 'https://chromewebstore.google.com/detail/x', 'https://addons.mozilla.org/en-US/firefox/', 'view-source:https://a.org', undefined]) {
    assert.equal(restrictedReason(url), RESTRICTED_MESSAGE, String(url));
  }
  assert.equal(restrictedReason('https://example.org/paper.PDF'), PDF_MESSAGE);
  for (const url of ['https://en.wikipedia.org/wiki/Super_Bowl_50', 'http://127.0.0.1:8000/article/3', 'file:///home/me/notes.html', 'https://chrome.google.com/search']) {
    assert.equal(restrictedReason(url), undefined, url);
  }
});

test('the background accepts only well-formed requests of the protocol', () => {
  assert.ok(isBackgroundRequest({ type: 'qa/ask', requestId: 'r', tabId: 3, question: 'who?', scope: 'page' }));
  assert.ok(isBackgroundRequest({ type: 'models/list' }));
  assert.ok(isBackgroundRequest({ type: 'models/prewarm', task: 'qa' }));
  assert.ok(isBackgroundRequest({ type: 'classify/run', requestId: 'r', text: 't', mode: 'zero-shot', labels: ['a', 'b'], multiLabel: true }));
  assert.ok(isBackgroundRequest({ type: 'classify/run', requestId: 'r', text: 't', mode: 'sentiment' }));
  for (const bad of [{ type: 'classify/run', requestId: 'r', text: 't' }, { type: 'classify/run', requestId: 'r', text: 't', mode: 'topic' }, { type: 'classify/run', requestId: 'r', text: 't', mode: 'zero-shot', multiLabel: 'yes' }]) {
    assert.equal(isBackgroundRequest(bad), false, `${JSON.stringify(bad)}: a classify request names a known mode`);
  }
  assert.ok(isBackgroundRequest({ type: 'models/imported', modelId: 'm', files: [{ path: 'model.onnx', size: 10, sha256: 'ab' }] }));
  for (const bad of [{ type: 'models/imported', modelId: 'm' }, { type: 'models/imported', modelId: 'm', files: [{ path: 'model.onnx' }] }, { type: 'models/imported', modelId: 'm', files: [{ path: 'onnx/model_quantized.onnx', size: 1, derived: 'int8' }] }]) {
    assert.equal(isBackgroundRequest(bad), false, `${JSON.stringify(bad)}: only the background marks a file as made on the device`);
  }
  const record = { id: 'm', source: 'hub', files: [], bytes: 0, installedAt: 1 };
  assert.ok(isOffscreenRequest({ type: 'offscreen/prewarm', requestId: 'r', modelId: 'm', record, variant: 'quantized' }));
  assert.equal(isOffscreenRequest({ type: 'offscreen/prewarm', requestId: 'r', modelId: 'm', record }), false, 'the offscreen document is told which ONNX variant to run');
  for (const bad of [null, 'qa/ask', {}, { type: 'qa/ask', requestId: 'r', tabId: '3', question: 'q', scope: 'page' }, { type: 'qa/ask', requestId: 'r', tabId: 3, question: 'q', scope: 'everything' }, { type: 'classify/run', requestId: 'r', text: 't', mode: 'zero-shot', labels: [1] }, { type: 'models/remove' }, { type: 'models/prewarm', task: 'translate' }, { type: 'eval', code: '1' }, { type: 'qa/highlight', tabId: 1, snapshotId: 's', start: 0.5, end: 2 }]) {
    assert.equal(isBackgroundRequest(bad), false, JSON.stringify(bad));
  }
});

// A registry as settings see it: ids and tasks (the real one may not list every model these tests name).
const TASKS: Record<string, 'qa' | 'classify' | 'zero-shot'> = { 'mobilebert-squad2': 'qa', 'compact-bert-squad': 'qa', 'mobilebert-sst2-alireza1044': 'classify', 'other-sst2': 'classify', 'mobilebert-mnli': 'zero-shot', 'other-nli': 'zero-shot' };
const taskOf: TaskOf = (id) => TASKS[id];

test('settings: classify mode and per-mode models are checked; a bad value is refused with the reason', () => {
  assert.equal(checkClassifyMode('sentiment'), 'sentiment');
  assert.equal(checkClassifyMode('zero-shot'), 'zero-shot');
  for (const bad of ['topic', '', 'Sentiment', 1, undefined, null]) assert.throws(() => checkClassifyMode(bad), /the classify mode must be "sentiment" or "zero-shot"/, String(bad));
  assert.equal(checkModelFor('sentiment', 'other-sst2', taskOf), 'other-sst2');
  // the NLI model in the sentiment slot would be asked for labels it does not have
  assert.throws(() => checkModelFor('sentiment', 'mobilebert-mnli', taskOf), /"mobilebert-mnli" is not a sentence-classification model \(its task is zero-shot\)/);
  assert.throws(() => checkModelFor('zero-shot', 'mobilebert-sst2-alireza1044', taskOf), /not a zero-shot \(NLI\) model/);
  assert.throws(() => checkModelFor('qa', 'gone', taskOf), /there is no model "gone" in the model list/);
  assert.throws(() => checkModelFor('qa', 42, taskOf), /must be a model id/);

  // what updateSettings stores: the patch as checked, or nothing at all
  assert.deepEqual(checkSettingsPatch({ classifyMode: 'zero-shot', zeroShotModelId: 'other-nli', qaModelId: 'compact-bert-squad' }, taskOf), { classifyMode: 'zero-shot', zeroShotModelId: 'other-nli', qaModelId: 'compact-bert-squad' });
  assert.throws(() => checkSettingsPatch({ classifyMode: 'topic' as never }, taskOf), /classify mode must be/);
  assert.throws(() => checkSettingsPatch({ sentimentModelId: 'mobilebert-squad2' }, taskOf), /not a sentence-classification model \(its task is qa\)/);
  assert.throws(() => checkSettingsPatch({ multiLabel: 'yes' as never }, taskOf), /multiLabel must be true or false/);
  assert.deepEqual(checkSettingsPatch({ zeroShotLabels: [' a ', 'b', 'a'] }, taskOf), { zeroShotLabels: ['a', 'b'] });

  assert.equal(classifyModelId({ sentimentModelId: 's', zeroShotModelId: 'z' }, 'sentiment'), 's');
  assert.equal(classifyModelId({ sentimentModelId: 's', zeroShotModelId: 'z' }, 'zero-shot'), 'z');
});

test('settings: defaults are Sentiment with the SST-2 model, zero-shot with MNLI; invalid stored values fall back', () => {
  assert.deepEqual(normalizeSettings(undefined, taskOf), DEFAULT_SETTINGS);
  assert.equal(DEFAULT_SETTINGS.classifyMode, 'sentiment');
  assert.equal(DEFAULT_SETTINGS.sentimentModelId, 'mobilebert-sst2-alireza1044');
  assert.equal(DEFAULT_SETTINGS.zeroShotModelId, 'mobilebert-mnli');
  assert.equal(DEFAULT_SETTINGS.qaModelId, 'mobilebert-squad2');
  const kept = normalizeSettings({ classifyMode: 'zero-shot', sentimentModelId: 'other-sst2', zeroShotLabels: ['x', 'y'], multiLabel: true, precision: 'fp32', hubBaseUrl: 'http://127.0.0.1:9/hub' }, taskOf);
  assert.deepEqual(kept, { ...DEFAULT_SETTINGS, classifyMode: 'zero-shot', sentimentModelId: 'other-sst2', zeroShotLabels: ['x', 'y'], multiLabel: true, precision: 'fp32', hubBaseUrl: 'http://127.0.0.1:9/hub' });
  // a mode from a newer version, a model the registry dropped, a model of the wrong task: the defaults
  const bad = normalizeSettings({ classifyMode: 'topic', sentimentModelId: 'gone', zeroShotModelId: 'mobilebert-sst2-alireza1044', qaModelId: 'mobilebert-mnli', zeroShotLabels: ['one'], multiLabel: 'yes', precision: 'int4' }, taskOf);
  assert.deepEqual(bad, DEFAULT_SETTINGS);
});

test('settings migration: an old classifyModelId becomes its mode\'s model, and that mode stays selected', () => {
  // the previous default (NLI): the user keeps zero-shot, with no new download prompt on upgrade
  const fromNli = normalizeSettings({ hubBaseUrl: 'https://huggingface.co', qaModelId: 'mobilebert-squad2', classifyModelId: 'other-nli', zeroShotLabels: ['sports', 'politics'], multiLabel: true, precision: 'int8' }, taskOf);
  assert.equal(fromNli.zeroShotModelId, 'other-nli');
  assert.equal(fromNli.classifyMode, 'zero-shot');
  assert.equal(fromNli.sentimentModelId, 'mobilebert-sst2-alireza1044');
  assert.deepEqual(fromNli.zeroShotLabels, ['sports', 'politics']);
  assert.equal('classifyModelId' in fromNli, false, 'the old key is not carried on (updateSettings writes what getSettings returns)');
  // a fine-tuned classifier chosen before: it becomes the sentiment model
  const fromSst = normalizeSettings({ classifyModelId: 'other-sst2' }, taskOf);
  assert.equal(fromSst.sentimentModelId, 'other-sst2');
  assert.equal(fromSst.classifyMode, 'sentiment');
  assert.equal(fromSst.zeroShotModelId, 'mobilebert-mnli');
  // an id the registry no longer has: the defaults
  assert.deepEqual(normalizeSettings({ classifyModelId: 'gone' }, taskOf), DEFAULT_SETTINGS);
  // already migrated (new keys present): the stale key is dropped, not applied again
  const both = normalizeSettings({ classifyModelId: 'other-nli', classifyMode: 'sentiment' }, taskOf);
  assert.equal(both.classifyMode, 'sentiment');
  assert.equal(both.zeroShotModelId, 'mobilebert-mnli');
  // against the real registry too (the MNLI entry is in it)
  assert.equal(normalizeSettings({ classifyModelId: 'mobilebert-mnli' }).classifyMode, 'zero-shot');
});

test('model speed: read from the registry entry when well formed, said with its factor against the chosen model', () => {
  assert.deepEqual(modelSpeed({ id: 'a', speed: { msPerWindow384: 120.4, measuredOn: ' Chromium 2 threads ' } }), { msPerWindow384: 120.4, measuredOn: 'Chromium 2 threads' });
  for (const speed of [undefined, null, 5, { msPerWindow384: '120', measuredOn: 'x' }, { msPerWindow384: 0, measuredOn: 'x' }, { msPerWindow384: Number.NaN, measuredOn: 'x' }, { msPerWindow384: 12 }, { msPerWindow384: 12, measuredOn: ' ' }]) {
    assert.equal(modelSpeed({ speed }), undefined, JSON.stringify(speed));
  }
  assert.equal(speedText({ msPerWindow384: 120.4, measuredOn: 'Chromium, 2 threads' }), '≈ 120 ms per 384-token window, measured on Chromium, 2 threads');
  assert.equal(speedText({ msPerWindow384: 4.26, measuredOn: 'x' }), '≈ 4.3 ms per 384-token window, measured on x');
  const mobilebert = { msPerWindow384: 124, measuredOn: 'here' };
  assert.equal(speedFactorText({ msPerWindow384: 40, measuredOn: 'here' }, mobilebert, 'MobileBERT SQuAD 2.0'), '3.1× faster than MobileBERT SQuAD 2.0');
  assert.equal(speedFactorText(mobilebert, { msPerWindow384: 40, measuredOn: 'here' }, 'Compact BERT'), '3.1× slower than Compact BERT');
  assert.equal(speedFactorText({ msPerWindow384: 122, measuredOn: 'here' }, mobilebert, 'M'), 'about as fast as M');
  assert.equal(speedFactorText({ msPerWindow384: 40, measuredOn: 'elsewhere' }, mobilebert, 'M'), undefined, 'figures from different machines are not compared');
});

test('the popup says how much of the page was read, in page tokens (spans are smaller than the page\'s windows)', () => {
  assert.equal(readShareText(9, 860, 2800), 'Read 9 passages, 31% of the page');
  assert.equal(readShareText(1, 96, 96), 'Read the whole page (1 passage)');
  assert.equal(readShareText(14, 2800, 2800), 'Read the whole page (14 passages)');
  assert.equal(readShareText(0, 0, 0), '', 'nothing read (no text on the page): no line');
});
