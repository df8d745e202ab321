// A model's checkpoint, whatever its format, as the tensors the graph builders read (CheckpointTensors):
// model.safetensors (safetensors.ts), PyTorch's pytorch_model.bin in its zip or legacy form, or sharded with
// pytorch_model.bin.index.json (pytorch.ts: a data-only reader; the pickle is never run).
import { PYTORCH_FILE, PYTORCH_INDEX_FILE, SAFETENSORS_FILE } from '../shared/model-files.js';
import { mergeCheckpoints, type CheckpointTensors } from './checkpoint-tensors.js';
import { PytorchCheckpoint, isPytorchCheckpoint, shardFiles } from './pytorch.js';
import { SafetensorsFile } from './safetensors.js';

export type { CheckpointTensors };

/** Reads one of the model's files: its bytes, or undefined when the model has no such file. */
export type ReadFile = (path: string) => Promise<Uint8Array | undefined>;

/**
 * Parses a checkpoint file by what its bytes are (a zip or a pickle: PyTorch; else safetensors), so a file
 * saved under the other name is still read right. `label` names it in messages ("pytorch_model.bin of owner/repo");
 * by default the file name of its format.
 */
export function parseCheckpoint(bytes: Uint8Array, label?: string): CheckpointTensors {
  return isPytorchCheckpoint(bytes) ? PytorchCheckpoint.parse(bytes, label ?? PYTORCH_FILE) : SafetensorsFile.parse(bytes, label ?? SAFETENSORS_FILE);
}

/** The file name a checkpoint's bytes go by, from what they are. */
export function checkpointFileName(bytes: Uint8Array): string {
  return isPytorchCheckpoint(bytes) ? PYTORCH_FILE : SAFETENSORS_FILE;
}

export interface ReadCheckpoint {
  /** the file it was read from (for a sharded checkpoint, the index) */
  path: string;
  tensors: CheckpointTensors;
}

/**
 * The model's checkpoint among its files, parsed: model.safetensors first, then pytorch_model.bin, then a sharded
 * PyTorch checkpoint; undefined when it has none. `name` names the model in messages.
 */
export async function readCheckpoint(read: ReadFile, name?: string): Promise<ReadCheckpoint | undefined> {
  const label = (path: string) => (name ? `${path} of ${name}` : path);
  const safetensors = await read(SAFETENSORS_FILE);
  if (safetensors) return { path: SAFETENSORS_FILE, tensors: SafetensorsFile.parse(safetensors, label(SAFETENSORS_FILE)) };
  // by its name, not its bytes: a bare pickle (no torch magic number) is then refused by the pickle reader, in its words
  const pytorch = await read(PYTORCH_FILE);
  if (pytorch) return { path: PYTORCH_FILE, tensors: PytorchCheckpoint.parse(pytorch, label(PYTORCH_FILE)) };
  const index = await read(PYTORCH_INDEX_FILE);
  if (!index) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(index));
  } catch (err) {
    throw new Error(`${label(PYTORCH_INDEX_FILE)} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parts: CheckpointTensors[] = [];
  for (const shard of shardFiles(json)) {
    const bytes = await read(shard);
    if (!bytes) throw new Error(`${label(PYTORCH_INDEX_FILE)} lists ${shard}, which the model does not have`);
    parts.push(PytorchCheckpoint.parse(bytes, label(shard)));
  }
  return { path: PYTORCH_INDEX_FILE, tensors: mergeCheckpoints(parts, label(PYTORCH_INDEX_FILE)) };
}
