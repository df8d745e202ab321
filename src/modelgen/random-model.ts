/**
 * Models with random weights, for tests and benchmarks (no trained weights can be fetched here): the engine's
 * graph builders (src/engine/graph) filled from a seeded generator instead of a checkpoint, as an ONNX model or
 * as a model.safetensors "checkpoint" of the same tensors. A checkpoint made here and built back by the engine
 * gives the same graph with the same values. Browser-safe: no Node imports.
 */
import { buildGraph, parseModelSpec, type BuiltGraph, type GraphVariant, type ModelSpec, type ParamInit, type WeightSource } from '../engine/graph/index.js';
import { writePytorchCheckpoint } from './pytorch-writer.js';
import { writeSafetensors, type TensorToWrite } from '../engine/safetensors.js';
import { BERT_ARCHS, bertConfigJson, isBertArch } from './bert-config.js';
import { ARCHS, hfConfigJson, isArch, type MobileBertConfig, type ModelTask } from './mobilebert-config.js';
import { fillNormal } from './prng.js';

/** Every preset `lens model make --arch` knows: MobileBERT ones and the compact BERTs. */
export const ARCH_NAMES = [...Object.keys(ARCHS), ...Object.keys(BERT_ARCHS)];

/** config.json for a preset and task; throws for an unknown preset. */
export function presetConfigJson(arch: string, task: ModelTask): Record<string, unknown> {
  if (isArch(arch)) return hfConfigJson(ARCHS[arch], task);
  if (isBertArch(arch)) return bertConfigJson(BERT_ARCHS[arch], task);
  throw new Error(`unknown arch "${arch}" (known: ${ARCH_NAMES.join(', ')})`);
}

/** transformers' _init_weights with a seeded generator: the same (seed, tensor name) gives the same values anywhere. */
export function seededWeights(seed: number, std: number): WeightSource {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be a uint32, got ${seed}`);
  return {
    tensor(name: string, dims: readonly number[], init: ParamInit): Float32Array {
      const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
      if (init === 'ones') data.fill(1);
      else if (init === 'normal') fillNormal(data, std, seed, name);
      else if (typeof init === 'object') {
        fillNormal(data, std, seed, name);
        const width = dims[1];
        data.fill(0, init.normalWithZeroRow * width, (init.normalWithZeroRow + 1) * width);
      }
      return data;
    },
  };
}

function initStd(spec: ModelSpec): number {
  return spec.config.initializerRange;
}

/** The ONNX model config.json describes, with seeded random weights (the lean graph unless variant says otherwise). */
export function randomModel(configJson: unknown, seed: number, variant: GraphVariant = {}): BuiltGraph {
  const spec = parseModelSpec(configJson);
  return buildGraph(spec, seededWeights(seed, initStd(spec)), { 'lens.source': 'random', 'lens.seed': String(seed) }, variant);
}

/**
 * Seeded random tensors under the transformers state_dict names and shapes for config.json (the values randomModel
 * puts in the graph), in graph order, F32 unless asked otherwise.
 */
export function randomTensors(configJson: unknown, seed: number, dtype: TensorToWrite['dtype'] = 'F32'): TensorToWrite[] {
  const spec = parseModelSpec(configJson);
  const source = seededWeights(seed, initStd(spec));
  const tensors: TensorToWrite[] = [];
  // Recording the tensors the exported graph's builder asks for gives exactly the state_dict's names, shapes and order.
  buildGraph(
    spec,
    {
      tensor(name, dims, init) {
        const data = source.tensor(name, dims, init);
        tensors.push({ name, shape: [...dims], data, dtype });
        return data;
      },
    },
    undefined,
    { lean: false },
  );
  return tensors;
}

/** A model.safetensors of randomTensors. */
export function randomCheckpoint(configJson: unknown, seed: number, dtype: TensorToWrite['dtype'] = 'F32'): Uint8Array {
  return writeSafetensors(randomTensors(configJson, seed, dtype), { format: 'pt' });
}

/**
 * A pytorch_model.bin of randomTensors as torch.save writes it (zip, or the legacy format of torch < 1.6), with the
 * int64 `position_ids` buffer transformers < 4.31 saved beside the weights.
 */
export function randomPytorchCheckpoint(configJson: unknown, seed: number, format: 'zip' | 'legacy' = 'zip'): Uint8Array {
  const tensors = randomTensors(configJson, seed);
  const positions = parseModelSpec(configJson).config.maxPositionEmbeddings;
  const prefix = tensors[0]?.name.split('.')[0] ?? 'bert';
  const positionIds = { name: `${prefix}.embeddings.position_ids`, shape: [1, positions], data: BigInt64Array.from({ length: positions }, (_, i) => BigInt(i)) };
  return writePytorchCheckpoint(tensors, { format, int64Buffers: [positionIds] });
}

/** A MobileBERT preset as ONNX with random weights (what `lens model make` writes). */
export function buildMobileBertOnnx(cfg: MobileBertConfig, task: ModelTask, seed: number, variant: GraphVariant = {}): BuiltGraph {
  return randomModel(hfConfigJson(cfg, task), seed, variant);
}
