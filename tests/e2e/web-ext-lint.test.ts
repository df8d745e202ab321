// Mozilla's add-on linter on the Firefox build: errors would block installation or review.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const FIREFOX_BUILD = join(ROOT, 'dist', 'firefox');

interface LintMessage { code: string; message: string; file?: string }
interface LintReport { summary: { errors: number; warnings: number }; errors: LintMessage[]; warnings: LintMessage[] }

test('web-ext lint reports no errors on dist/firefox', { skip: existsSync(join(FIREFOX_BUILD, 'manifest.json')) ? false : 'skipped: no dist/firefox (run npm run build)' }, () => {
  const run = spawnSync('npx', ['web-ext', 'lint', '--source-dir', FIREFOX_BUILD, '--output', 'json', '--self-hosted'], { cwd: ROOT, encoding: 'utf8' });
  const report = JSON.parse(run.stdout) as LintReport;
  assert.deepEqual(report.errors.map((e) => `${e.code} ${e.file ?? ''}: ${e.message}`), []);
  // the one known warning is onnxruntime-web's internal dynamic import (its proxy worker, unused here)
  for (const w of report.warnings) assert.match(`${w.code} ${w.file}`, /UNSAFE_VAR_ASSIGNMENT assets\//, `unexpected warning: ${w.code} ${w.message}`);
});
