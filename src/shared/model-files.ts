// Which weights a model folder or registry entry brings, judged by file names alone: an ONNX file, or a Hugging
// Face checkpoint (model.safetensors + config.json) that the extension builds its ONNX graph from after the
// install (src/engine/graph). Kept free of heavy imports: the popup and the options page use it too.
import { ONNX_FILES } from '../engine/onnx-files.js';

/** The checkpoint file a model is built from when it has no ONNX file (the engine's CHECKPOINT_FILE). */
export const CHECKPOINT_FILE = 'model.safetensors';

/** Where the ONNX file built from a checkpoint is stored: the first place the engine looks for fp32. */
export const BUILT_ONNX_PATH = ONNX_FILES.fp32[0];

const ALL_ONNX: readonly string[] = [...ONNX_FILES.fp32, ...ONNX_FILES.quantized];

/**
 * PyTorch's pickle-based weight files. Lens never reads them: unpickling can run arbitrary code, and a page of
 * the Hub is not a source to trust with that.
 */
export function isPickleFile(path: string): boolean {
  return /(^|\/)pytorch_model[^/]*\.bin$|\.(pt|pth|ckpt|pkl|pickle)$/i.test(path);
}

export type Weights = { kind: 'onnx'; paths: string[] } | { kind: 'checkpoint'; path: string };

/** The weights among these files: ONNX files when there are any (a checkpoint beside them is not needed), else model.safetensors. */
export function modelWeights(paths: readonly string[]): Weights | undefined {
  const onnx = ALL_ONNX.filter((p) => paths.includes(p));
  if (onnx.length > 0) return { kind: 'onnx', paths: onnx };
  if (paths.includes(CHECKPOINT_FILE)) return { kind: 'checkpoint', path: CHECKPOINT_FILE };
  return undefined;
}

/**
 * Checks that a folder's files make a model, before anything is read or stored; throws the reasons in words
 * for people. A folder with only PyTorch pickles is told what to bring instead.
 */
export function checkModelFolder(paths: readonly string[]): Weights {
  const problems: string[] = [];
  if (!paths.includes('config.json')) problems.push('no config.json');
  if (!paths.includes('vocab.txt') && !paths.includes('tokenizer.json')) problems.push('no vocab.txt or tokenizer.json');
  const weights = modelWeights(paths);
  if (!weights) {
    const pickles = paths.filter(isPickleFile);
    problems.push(
      pickles.length > 0
        ? `its weights are only in ${pickles.join(', ')}: Lens needs ${CHECKPOINT_FILE} (or an ONNX file); PyTorch pickle files are never loaded, as opening them can run code`
        : `no ${CHECKPOINT_FILE} and no ONNX file (${ONNX_FILES.fp32.join(' or ')})`,
    );
  }
  if (problems.length > 0 || !weights) throw new Error(`this folder is not a model folder: ${problems.join(', ')}`);
  return weights;
}
