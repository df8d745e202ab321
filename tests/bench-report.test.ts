// The README's headline table is regenerated from the bench report (bench/report.ts withHeadline).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withHeadline } from '../bench/report.js';

test('the README headline is the report\'s Goals table, between the markers; no markers is a clear error', () => {
  const report = '# Performance\n\nintro\n\n## Goals\n\n| goal | measured | target | verdict |\n|---|---|---|---|\n| a | 1 | 2 | met |\n\n## What limits it\n\n- x\n';
  const readme = 'head\n<!-- headline:start -->\n| old |\n<!-- headline:end -->\ntail\n';
  assert.equal(withHeadline(readme, report), 'head\n<!-- headline:start -->\n| goal | measured | target | verdict |\n|---|---|---|---|\n| a | 1 | 2 | met |\n<!-- headline:end -->\ntail\n');
  assert.throws(() => withHeadline('no markers', report), /no <!-- headline:start --> \.\.\. <!-- headline:end --> block/);
  assert.throws(() => withHeadline(readme, '# Performance\n'), /no Goals table/);
});
