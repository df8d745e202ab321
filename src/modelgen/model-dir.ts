// A model folder on disk as a ModelSource (for the CLI, the evaluations and the bench), and loading with a clear
// error when the folder is wrong.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LensModel, type LoadOptions, type ModelSource } from '../engine/model.js';

export function directorySource(dir: string): ModelSource {
  const root = resolve(dir);
  return {
    name: dir,
    async read(path: string) {
      try {
        return new Uint8Array(await readFile(join(root, path)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
  };
}

export async function loadModelDir(dir: string, options: LoadOptions = {}): Promise<LensModel> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`model folder ${dir} not found`);
  if (!info.isDirectory()) throw new Error(`${dir} is not a folder (a model is a folder with config.json, vocab.txt and an ONNX file)`);
  return LensModel.load(directorySource(dir), options);
}
