// The popup's "read the page ahead" request is checked like every request the background takes: a tab id, nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBackgroundRequest } from '../src/shared/protocol.js';

test('page/prepare takes an integer tab id', () => {
  assert.ok(isBackgroundRequest({ type: 'page/prepare', tabId: 7 }));
  for (const bad of [{ type: 'page/prepare' }, { type: 'page/prepare', tabId: '7' }, { type: 'page/prepare', tabId: 1.5 }]) {
    assert.equal(isBackgroundRequest(bad), false, JSON.stringify(bad));
  }
});
