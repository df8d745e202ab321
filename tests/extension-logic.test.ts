// The extension's browser-independent logic: registry, hub URL layout, settings checks, which pages are
// off-limits, the background's message validation, and which ONNX file runs under the precision setting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PDF_MESSAGE, RESTRICTED_MESSAGE, restrictedReason } from '../src/background/restricted.js';
import { pickOnnxFile } from '../src/engine/onnx-files.js';
import { checkHubUrl, checkLabels } from '../src/shared/checks.js';
import { checkPrecision, onnxVariantOf, precisionInUse, precisionText } from '../src/shared/precision.js';
import { isBackgroundRequest, isOffscreenRequest, type StoredFile } from '../src/shared/protocol.js';
import { REGISTRY, approxBytes, hubFileUrl, onDeviceInt8Source, parseRegistry, registryEntry } from '../src/shared/registry.js';

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
  assert.throws(() => registryEntry('nope'), /unknown model "nope" \(known: mobilebert-squad2, mobilebert-mnli\)/);
});

test('bad registry entries are refused with the reason', () => {
  const good = { id: 'a', name: 'A', task: 'qa', repo: 'o/r', revision: 'main', license: 'MIT', description: 'd', files: [{ path: 'model.onnx' }] };
  assert.equal(parseRegistry({ models: [good] }).length, 1);
  assert.throws(() => parseRegistry({}), /"models" must be an array/);
  assert.throws(() => parseRegistry({ models: [{ ...good, task: 'translate' }] }), /unknown task "translate"/);
  assert.throws(() => parseRegistry({ models: [good, good] }), /duplicate id "a"/);
  assert.throws(() => parseRegistry({ models: [{ ...good, files: [{ path: '../etc/passwd' }] }] }), /bad file path/);
  assert.throws(() => parseRegistry({ models: [{ ...good, repo: '' }] }), /"repo" must be a non-empty string/);
});

test('registry "int8": "on-device" needs an fp32 ONNX file and no hub int8 file', () => {
  const good = { id: 'a', name: 'A', task: 'qa', repo: 'o/r', revision: 'main', license: 'MIT', description: 'd', int8: 'on-device', files: [{ path: 'config.json' }, { path: 'model.onnx' }] };
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

test('hub URLs follow the Hugging Face layout {hub}/{repo}/resolve/{revision}/{file}', () => {
  const entry = registryEntry('mobilebert-mnli');
  assert.equal(hubFileUrl('https://huggingface.co', entry, 'onnx/model.onnx'), 'https://huggingface.co/Xenova/mobilebert-uncased-mnli/resolve/main/onnx/model.onnx');
  assert.equal(hubFileUrl('http://127.0.0.1:8080/hub/', entry, 'config.json'), 'http://127.0.0.1:8080/hub/Xenova/mobilebert-uncased-mnli/resolve/main/config.json');
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
  assert.ok(isBackgroundRequest({ type: 'classify/run', requestId: 'r', text: 't', labels: ['a', 'b'] }));
  assert.ok(isBackgroundRequest({ type: 'models/imported', modelId: 'm', files: [{ path: 'model.onnx', size: 10, sha256: 'ab' }] }));
  for (const bad of [{ type: 'models/imported', modelId: 'm' }, { type: 'models/imported', modelId: 'm', files: [{ path: 'model.onnx' }] }, { type: 'models/imported', modelId: 'm', files: [{ path: 'onnx/model_quantized.onnx', size: 1, derived: 'int8' }] }]) {
    assert.equal(isBackgroundRequest(bad), false, `${JSON.stringify(bad)}: only the background marks a file as made on the device`);
  }
  const record = { id: 'm', source: 'hub', files: [], bytes: 0, installedAt: 1 };
  assert.ok(isOffscreenRequest({ type: 'offscreen/prewarm', requestId: 'r', modelId: 'm', record, variant: 'quantized' }));
  assert.equal(isOffscreenRequest({ type: 'offscreen/prewarm', requestId: 'r', modelId: 'm', record }), false, 'the offscreen document is told which ONNX variant to run');
  for (const bad of [null, 'qa/ask', {}, { type: 'qa/ask', requestId: 'r', tabId: '3', question: 'q', scope: 'page' }, { type: 'qa/ask', requestId: 'r', tabId: 3, question: 'q', scope: 'everything' }, { type: 'classify/run', requestId: 'r', text: 't', labels: [1] }, { type: 'models/remove' }, { type: 'models/prewarm', task: 'translate' }, { type: 'eval', code: '1' }, { type: 'qa/highlight', tabId: 1, snapshotId: 's', start: 0.5, end: 2 }]) {
    assert.equal(isBackgroundRequest(bad), false, JSON.stringify(bad));
  }
});
