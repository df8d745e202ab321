#!/usr/bin/env node
// The CLI is compiled to lib/ by `npm run build`; this shim only points there with a clear hint.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../lib/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('lens: not built yet; run `npm run build` in ' + fileURLToPath(new URL('..', import.meta.url)));
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
