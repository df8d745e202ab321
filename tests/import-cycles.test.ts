// No module imports itself back through others (value imports; `import type` is erased and cannot loop at run
// time): the bench once had two circles (driver.ts <-> page-qa-sample.ts, report.ts <-> page-qa-report.ts).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.js';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.tmp', 'results', 'fixtures']);

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) tsFiles(path, out);
    } else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The relative modules a file imports for their values (static and dynamic imports, re-exports). */
function valueImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specs = [
    ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...source.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts')).filter((p) => existsSync(p));
}

test('no import cycles in src, bench, tests and scripts', () => {
  const files = ['src', 'bench', 'tests', 'scripts'].flatMap((d) => tsFiles(join(ROOT, d)));
  const graph = new Map(files.map((f) => [f, valueImports(f)]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') cycles.push(stack.slice(stack.indexOf(dep)).concat(dep).map((f) => relative(ROOT, f)).join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});
