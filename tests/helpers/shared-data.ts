import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** ../shared/data beside the project; tests that need it skip with this reason when it is absent. */
export const SHARED_DATA = join(ROOT, '..', 'shared', 'data');
export const SQUAD_DIR = join(SHARED_DATA, 'squad-v1.1-dev');
export const NO_SHARED_DATA: string | false = existsSync(SQUAD_DIR) ? false : `skipped: ${SHARED_DATA} not found (reference data)`;
