// Which files make a model folder, judged by their names alone: the one home of the layout the engine (loader,
// CLI), the extension (registry, downloads, folder import) and the build (bundled models) all read. Weights are an
// ONNX file, or a Hugging Face checkpoint (model.safetensors, or PyTorch's pytorch_model.bin, whole or sharded)
// that Lens builds its ONNX graph from (src/engine/graph). Imports nothing: the engine, which runs in workers and
// in Node, and the options page both use it.

export type OnnxVariant = 'fp32' | 'quantized';

/** Where each variant's ONNX file may be, in order of preference (the layouts the Hub uses). */
export const ONNX_FILES: Record<OnnxVariant, readonly string[]> = {
  fp32: ['onnx/model.onnx', 'model.onnx'],
  quantized: ['onnx/model_quantized.onnx', 'model_quantized.onnx'],
};

const ALL_ONNX: readonly string[] = [...ONNX_FILES.fp32, ...ONNX_FILES.quantized];

/** The ONNX file to load among a model's files: the preferred variant's if it has one, else the other's. */
export function pickOnnxFile(paths: readonly string[], preferred: OnnxVariant): { variant: OnnxVariant; path: string } | undefined {
  const other: OnnxVariant = preferred === 'fp32' ? 'quantized' : 'fp32';
  for (const variant of [preferred, other]) {
    const path = ONNX_FILES[variant].find((p) => paths.includes(p));
    if (path) return { variant, path };
  }
  return undefined;
}

export const SAFETENSORS_FILE = 'model.safetensors';
/** PyTorch's checkpoint: a pickle, read by a data-only reader (src/engine/pytorch.ts), never unpickled. */
export const PYTORCH_FILE = 'pytorch_model.bin';
/** A PyTorch checkpoint saved in shards: this index maps each tensor to its pytorch_model-0000k-of-0000n.bin. */
export const PYTORCH_INDEX_FILE = 'pytorch_model.bin.index.json';
const PYTORCH_SHARD = /^pytorch_model-\d{5}-of-\d{5}\.bin$/;

export type CheckpointFormat = 'safetensors' | 'pytorch' | 'pytorch-sharded';

/** The checkpoint files a model is built from, in order of preference (safetensors needs no pickle reading). */
export const CHECKPOINT_FILES: readonly string[] = [SAFETENSORS_FILE, PYTORCH_FILE, PYTORCH_INDEX_FILE];

/** Where the ONNX file built from a checkpoint is stored: the first place the engine looks for fp32. */
export const BUILT_ONNX_PATH = ONNX_FILES.fp32[0];

export const TOKENIZER_FILES: readonly string[] = ['config.json', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export function isPytorchShard(path: string): boolean {
  return PYTORCH_SHARD.test(path);
}

/** A checkpoint file Lens reads (not an ONNX file): model.safetensors, pytorch_model.bin, its index or a shard. */
export function isCheckpointFile(path: string): boolean {
  return CHECKPOINT_FILES.includes(path) || isPytorchShard(path);
}

export function checkpointFormat(path: string): CheckpointFormat | undefined {
  if (path === SAFETENSORS_FILE) return 'safetensors';
  if (path === PYTORCH_FILE) return 'pytorch';
  if (path === PYTORCH_INDEX_FILE) return 'pytorch-sharded';
  return undefined;
}

/**
 * Pickle-based files Lens has no reader for (TorchScript, Lightning checkpoints, other pickles): never opened.
 * pytorch_model.bin and its shards are not among them: those are read as data only.
 */
export function isUnreadablePickle(path: string): boolean {
  const name = path.split('/').pop() ?? path;
  if (name === PYTORCH_FILE || isPytorchShard(name)) return false;
  return /\.(pt|pth|ckpt|pkl|pickle)$/i.test(name) || /^pytorch_.*\.bin$/i.test(name);
}

/** `path` is the weights file the engine reads first: an ONNX file, or the checkpoint (for sharded ones, the index). */
export type Weights = { kind: 'onnx'; paths: string[] } | { kind: 'checkpoint'; path: string; format: CheckpointFormat };

/** The weights among these files: ONNX files when there are any (a checkpoint beside them is not needed), else a checkpoint. */
export function modelWeights(paths: readonly string[]): Weights | undefined {
  const onnx = ALL_ONNX.filter((p) => paths.includes(p));
  if (onnx.length > 0) return { kind: 'onnx', paths: onnx };
  for (const path of CHECKPOINT_FILES) {
    const format = checkpointFormat(path);
    if (format && paths.includes(path)) return { kind: 'checkpoint', path, format };
  }
  return undefined;
}

/** The files among these that hold weights, which a pin must cover: the ONNX files, or the checkpoint and its shards. */
export function weightFiles(paths: readonly string[]): string[] {
  const weights = modelWeights(paths);
  if (!weights) return [];
  if (weights.kind === 'onnx') return weights.paths;
  return [weights.path, ...(weights.format === 'pytorch-sharded' ? paths.filter(isPytorchShard) : [])];
}

/**
 * The files of a folder that a model keeps: its config and tokenizer files and the weights it runs (its ONNX files;
 * else its checkpoint, with the shards of a sharded one). Hub folders also hold other weight formats (TensorFlow,
 * Flax, fp16/int4 ONNX variants, a pickle beside model.safetensors) of 100 MB and more each: never read.
 */
export function modelFolderFiles(paths: readonly string[]): string[] {
  return [...TOKENIZER_FILES.filter((p) => paths.includes(p)), ...weightFiles(paths)];
}

/**
 * Checks that a folder's files make a model, before anything is read or stored; throws the reasons in words
 * for people.
 */
export function checkModelFolder(paths: readonly string[]): Weights {
  const problems: string[] = [];
  if (!paths.includes('config.json')) problems.push('no config.json');
  if (!paths.includes('vocab.txt') && !paths.includes('tokenizer.json')) problems.push('no vocab.txt or tokenizer.json');
  const weights = modelWeights(paths);
  if (!weights) {
    const shards = paths.filter(isPytorchShard);
    const other = paths.filter(isUnreadablePickle);
    problems.push(
      shards.length > 0
        ? `it has PyTorch shards (${shards.join(', ')}) but no ${PYTORCH_INDEX_FILE} saying which tensor is in which`
        : `no ${SAFETENSORS_FILE}, ${PYTORCH_FILE} or ONNX file (${ONNX_FILES.fp32.join(' or ')})${other.length > 0 ? `; ${other.join(', ')} ${other.length === 1 ? 'is' : 'are'} not a transformers checkpoint Lens reads` : ''}`,
    );
  }
  if (problems.length > 0 || !weights) throw new Error(`this folder is not a model folder: ${problems.join(', ')}`);
  return weights;
}
