// Reading a model folder the user picked (<input type=file webkitdirectory>) into { path, bytes } pairs
// relative to the folder, as storeImportedFiles expects them.
import { ONNX_FILES } from '../engine/onnx-files.js';
import { CHECKPOINT_FILE, modelWeights } from '../shared/model-files.js';

const WANTED_WEIGHTS = new Set<string>([...ONNX_FILES.fp32, ...ONNX_FILES.quantized, CHECKPOINT_FILE]);

/** "my-model/onnx/model.onnx" -> "onnx/model.onnx" (the picked folder's own name is not part of the path). */
export function relativePath(file: File): string {
  const rel = file.webkitRelativePath || file.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

/**
 * Only the files a model can use are read: folders from the hub also hold other weight formats (PyTorch, TF,
 * fp16/int4 ONNX variants) of 100 MB and more each, and reading those would take memory and time for nothing.
 * storeImportedFiles decides what is kept among these (model.safetensors only when there is no ONNX file).
 */
export function isModelFile(path: string): boolean {
  if (WANTED_WEIGHTS.has(path)) return true;
  return !path.includes('/') && /\.(json|txt)$/i.test(path);
}

export async function readFolder(files: readonly File[], onProgress: (done: number, total: number) => void): Promise<Array<{ path: string; bytes: Uint8Array }>> {
  const all = files.map((file) => ({ file, path: relativePath(file) }));
  // beside an ONNX file the checkpoint is not used: not read
  const onnx = modelWeights(all.map((f) => f.path))?.kind === 'onnx';
  const picked = all.filter((f) => isModelFile(f.path) && !(onnx && f.path === CHECKPOINT_FILE));
  const total = picked.reduce((sum, f) => sum + f.file.size, 0);
  let done = 0;
  const out: Array<{ path: string; bytes: Uint8Array }> = [];
  for (const { file, path } of picked) {
    out.push({ path, bytes: new Uint8Array(await file.arrayBuffer()) });
    done += file.size;
    onProgress(done, total);
  }
  return out;
}
