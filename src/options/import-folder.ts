// Reading a model folder the user picked (<input type=file webkitdirectory>) into { path, bytes } pairs
// relative to the folder, as storeImportedFiles expects them.
import { ONNX_FILES } from '../engine/onnx-files.js';

const WANTED_ONNX = new Set<string>([...ONNX_FILES.fp32, ...ONNX_FILES.quantized]);

/** "my-model/onnx/model.onnx" -> "onnx/model.onnx" (the picked folder's own name is not part of the path). */
export function relativePath(file: File): string {
  const rel = file.webkitRelativePath || file.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

/**
 * Only the files a model can use are read: folders from the hub also hold other weight formats
 * (safetensors, PyTorch, TF, fp16/int4 ONNX variants) of 100 MB and more each, and reading those would take
 * memory and time for nothing. storeImportedFiles decides what is kept among these.
 */
export function isModelFile(path: string): boolean {
  if (WANTED_ONNX.has(path)) return true;
  return !path.includes('/') && /\.(json|txt)$/i.test(path);
}

export async function readFolder(files: readonly File[], onProgress: (done: number, total: number) => void): Promise<Array<{ path: string; bytes: Uint8Array }>> {
  const picked = files.map((file) => ({ file, path: relativePath(file) })).filter((f) => isModelFile(f.path));
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
