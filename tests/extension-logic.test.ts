// The extension's browser-independent logic: registry, hub URL layout, settings checks, which pages are
// off-limits, and the background's message validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PDF_MESSAGE, RESTRICTED_MESSAGE, restrictedReason } from '../src/background/restricted.js';
import { checkHubUrl, checkLabels } from '../src/shared/checks.js';
import { isBackgroundRequest } from '../src/shared/protocol.js';
import { REGISTRY, approxBytes, hubFileUrl, parseRegistry, registryEntry } from '../src/shared/registry.js';

test('the registry has the default QA and zero-shot models with their hub files', () => {
  const qa = registryEntry('mobilebert-squad2');
  assert.equal(qa.task, 'qa');
  assert.equal(qa.repo, 'csarron/mobilebert-uncased-squad-v2');
  assert.ok(qa.files.some((f) => f.path === 'model.onnx'));
  const nli = registryEntry('mobilebert-mnli');
  assert.equal(nli.task, 'zero-shot');
  // the hub's int8 variant is the default for NLI: measured twice as fast as fp32 on the same wasm runtime
  assert.ok(nli.files.some((f) => f.path === 'onnx/model_quantized.onnx'));
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
  for (const bad of [null, 'qa/ask', {}, { type: 'qa/ask', requestId: 'r', tabId: '3', question: 'q', scope: 'page' }, { type: 'qa/ask', requestId: 'r', tabId: 3, question: 'q', scope: 'everything' }, { type: 'classify/run', requestId: 'r', text: 't', labels: [1] }, { type: 'models/remove' }, { type: 'models/prewarm', task: 'translate' }, { type: 'eval', code: '1' }, { type: 'qa/highlight', tabId: 1, snapshotId: 's', start: 0.5, end: 2 }]) {
    assert.equal(isBackgroundRequest(bad), false, JSON.stringify(bad));
  }
});
