// Nodes of each model's graph as written and after onnxruntime's own optimisation ('all', CPU EP, as the extension
// creates sessions): onnxruntime-node writes the optimised graph (onnxruntime-web cannot, see docs/PERFORMANCE.md).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import onnxPkg from 'onnx-proto';

const { onnx } = onnxPkg;

export interface GraphNodes {
  /** nodes in the file */
  nodes: number;
  /** nodes onnxruntime runs, after its fusions */
  optimized: number;
  /** op counts of the optimised graph, most frequent first */
  ops: Record<string, number>;
}

function counts(bytes: Uint8Array): { total: number; ops: Record<string, number> } {
  const ops: Record<string, number> = {};
  const nodes = onnx.ModelProto.decode(bytes).graph?.node ?? [];
  for (const n of nodes) ops[n.opType ?? ''] = (ops[n.opType ?? ''] ?? 0) + 1;
  return { total: nodes.length, ops: Object.fromEntries(Object.entries(ops).sort(([, a], [, b]) => b - a)) };
}

export async function graphNodes(models: Record<string, string>): Promise<Record<string, GraphNodes>> {
  const tmp = await mkdtemp(join(tmpdir(), 'lens-nodes-'));
  try {
    const out: Record<string, GraphNodes> = {};
    for (const [label, path] of Object.entries(models)) {
      const bytes = new Uint8Array(await readFile(path));
      const file = join(tmp, `${label.replace(/\W+/g, '-')}.onnx`);
      const session = await ortNode.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, intraOpNumThreads: 1, logSeverityLevel: 3 });
      await session.release();
      const optimized = counts(new Uint8Array(await readFile(file)));
      out[label] = { nodes: counts(bytes).total, optimized: optimized.total, ops: optimized.ops };
    }
    return out;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
