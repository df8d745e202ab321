// Reading a model folder the user picked (<input type=file webkitdirectory>) into { path, bytes } pairs
// relative to the folder, as storeImportedFiles expects them.
import { modelFolderFiles } from '../shared/model-files.js';

/** "my-model/onnx/model.onnx" -> "onnx/model.onnx" (the picked folder's own name is not part of the path). */
export function relativePath(file: File): string {
  const rel = file.webkitRelativePath || file.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

/** Reads only the files the model keeps (modelFolderFiles): the rest of a hub folder can be gigabytes. */
export async function readFolder(files: readonly File[], onProgress: (done: number, total: number) => void): Promise<Array<{ path: string; bytes: Uint8Array }>> {
  const all = files.map((file) => ({ file, path: relativePath(file) }));
  const keep = new Set(modelFolderFiles(all.map((f) => f.path)));
  const picked = all.filter((f) => keep.has(f.path));
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
