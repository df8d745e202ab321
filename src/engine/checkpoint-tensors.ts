// What the graph builders need of a checkpoint file, whatever its format: model.safetensors (safetensors.ts) or
// PyTorch's pytorch_model.bin (pytorch.ts). Tensor names are looked up in Maps, never used as object keys.

/** dtype names as safetensors spells them; PyTorch storages map onto the same names. */
export type CheckpointDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface CheckpointTensorInfo {
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
}

export interface CheckpointTensors {
  /** tensor names in the file's order */
  names(): string[];
  has(name: string): boolean;
  /** throws for an unknown name */
  info(name: string): CheckpointTensorInfo;
  /** the tensor's values as float32 (F16/BF16/F64 widened or narrowed); throws for integer tensors */
  float32(name: string): Float32Array;
}

/** A checkpoint that cannot be read or combined; format readers throw subclasses (PytorchCheckpointError). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * Several files of one sharded checkpoint as one: names in part order, each looked up in the part that has it.
 * A name present in two parts is refused (which copy would the model get?). `name` names the whole (e.g. the
 * index file) in messages, `partNames` the parts (by default "shard 1", "shard 2", ...).
 */
export function mergeCheckpoints(parts: readonly CheckpointTensors[], name: string, partNames?: readonly string[]): CheckpointTensors {
  const partName = (i: number) => partNames?.[i] ?? `shard ${i + 1}`;
  const owner = new Map<string, number>();
  parts.forEach((part, i) => {
    for (const tensor of part.names()) {
      const first = owner.get(tensor);
      if (first !== undefined) throw new CheckpointError(`${name}: tensor ${JSON.stringify(tensor)} is in both ${partName(first)} and ${partName(i)}`);
      owner.set(tensor, i);
    }
  });
  const partOf = (tensor: string): CheckpointTensors => {
    const i = owner.get(tensor);
    if (i === undefined) throw new CheckpointError(`${name} has no tensor ${JSON.stringify(tensor)}`);
    return parts[i];
  };
  return {
    names: () => [...owner.keys()],
    has: (tensor) => owner.has(tensor),
    info: (tensor) => partOf(tensor).info(tensor),
    float32: (tensor) => partOf(tensor).float32(tensor),
  };
}
