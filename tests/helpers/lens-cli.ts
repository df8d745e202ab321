// Runs the CLI from source in a child process, as `lens` would run from lib/ after a build.
import { run } from '../../src/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
