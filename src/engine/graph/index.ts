// Graphs from config.json: the one place that turns a Hugging Face model description into an ONNX model, filled
// either from a checkpoint (model.safetensors or pytorch_model.bin: the loader and `lens model convert`) or with
// random values (`lens model make`, tests). Runs in Node, a service worker and a page alike.
import { checkpointFileName, parseCheckpoint, type CheckpointTensors } from '../checkpoint.js';
import { bertGraph } from './bert.js';
import { parseModelSpec, type ModelSpec } from './config.js';
import { LEAN_OPSET_VERSION, leanGraph } from './lean.js';
import { mobileBertGraph } from './mobilebert.js';
import { GraphBuilder, type WeightSource } from './onnx-graph.js';

export { parseModelSpec, SUPPORTED_ARCHITECTURES, type ModelSpec, type MobileBertConfig, type BertConfig, type Head, type Activation } from './config.js';
export type { WeightSource, ParamInit } from './onnx-graph.js';

export const OPSET_VERSION = 14;
export const IR_VERSION = 8;
/** Linear weights are stored [in, out] (transposed from the state_dict's [out, in]); the metadata says so. */
export const LINEAR_WEIGHT_LAYOUT = 'in_out';

export interface BuiltGraph {
  /** the ONNX model (fp32) */
  bytes: Uint8Array;
  parameterCount: number;
  opCounts: Record<string, number>;
}

export interface TensorSpec {
  name: string;
  shape: number[];
}

/** Which graph to build for a model. */
export interface GraphVariant {
  /**
   * The lean inference graph (lean.ts: NoNorm folded, projections merged, onnxruntime's fused contrib operators),
   * the default; false: the graph PyTorch's exporter writes, module for module (Linear weights kept under their
   * state_dict names, [in, out]), for comparison and for tools that read weights back. Same outputs within float
   * rounding.
   */
  lean?: boolean;
}

/** The two graphs, as the CLI names them (`--graph`). */
export type GraphKind = 'lean' | 'exported';
export const GRAPH_KINDS: readonly GraphKind[] = ['lean', 'exported'];

/** The lean graph unless asked for the exported one. */
export function isLean(variant: GraphVariant): boolean {
  return variant.lean ?? true;
}

export interface GraphBuildOptions extends GraphVariant {
  /** extra ONNX metadata_props */
  metadata?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** layers built so far / all layers (+1 for the embeddings) */
  onProgress?: (done: number, total: number) => void;
}

function layerCount(spec: ModelSpec): number {
  return spec.config.numHiddenLayers;
}

function steps(b: GraphBuilder, spec: ModelSpec, variant: GraphVariant = {}): Generator<void, void, void> {
  if (isLean(variant)) return leanGraph(b, spec);
  return spec.modelType === 'mobilebert' ? mobileBertGraph(b, spec) : bertGraph(b, spec);
}

/** Runs every step at once (no event loop to yield to). */
function drain(b: GraphBuilder, spec: ModelSpec, variant: GraphVariant = {}): void {
  const it = steps(b, spec, variant);
  while (!it.next().done);
}

function encode(b: GraphBuilder, spec: ModelSpec, metadata: Readonly<Record<string, string>> | undefined, variant: GraphVariant = {}): BuiltGraph {
  const bytes = b.encodeModel({
    graphName: spec.architecture,
    opsetVersion: isLean(variant) ? LEAN_OPSET_VERSION : OPSET_VERSION,
    irVersion: IR_VERSION,
    producerName: 'mobilebert-lens',
    producerVersion: '1',
    docString: isLean(variant)
      ? `${spec.architecture} built by Lens from config.json as its lean inference graph (norms folded, projections merged, fused operators).`
      : `${spec.architecture} built by Lens from config.json; Linear weights are [in, out].`,
    metadata: {
      'lens.hf_architecture': spec.architecture,
      'lens.model_type': spec.modelType,
      'lens.task': spec.head.kind,
      // the lean graph keeps no Linear weight under its state_dict name: the layout key would mislead
      ...(isLean(variant) ? { 'lens.graph': 'lean' } : { 'lens.linear_weight_layout': LINEAR_WEIGHT_LAYOUT }),
      'lens.config': JSON.stringify(spec.config),
      ...metadata,
    },
  });
  return { bytes, parameterCount: b.parameterCount, opCounts: b.opCounts() };
}

/** Builds the graph of `spec` with the weights `weights` gives, in one go. */
export function buildGraph(spec: ModelSpec, weights: WeightSource, metadata?: Readonly<Record<string, string>>, variant: GraphVariant = {}): BuiltGraph {
  const b = new GraphBuilder(weights);
  drain(b, spec, variant);
  return encode(b, spec, metadata, variant);
}

/** The same, yielding to the event loop after each layer (a service worker stays responsive), cancellable. */
export async function buildGraphAsync(spec: ModelSpec, weights: WeightSource, options: GraphBuildOptions = {}): Promise<BuiltGraph> {
  const b = new GraphBuilder(weights);
  const total = layerCount(spec) + 1;
  let done = 0;
  options.onProgress?.(0, total);
  const it = steps(b, spec, options);
  while (!it.next().done) {
    options.signal?.throwIfAborted();
    options.onProgress?.(++done, total);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  options.signal?.throwIfAborted();
  const built = encode(b, spec, options.metadata, options);
  options.onProgress?.(total, total);
  return built;
}

/** Every tensor the graph of `spec` reads, as the transformers state_dict names and shapes them (graph order). */
export function expectedTensors(spec: ModelSpec): TensorSpec[] {
  // the exported graph reads each parameter as a whole, without weights (the lean one folds them as it goes)
  const b = new GraphBuilder(undefined);
  drain(b, spec, { lean: false });
  return b.params;
}

// ---- checkpoints ----

/**
 * Old checkpoints (converted from TensorFlow) name LayerNorm parameters gamma/beta; transformers renames them on
 * load, and so does Lens.
 */
function legacyName(name: string): string | undefined {
  if (!/LayerNorm\.(weight|bias)$/.test(name)) return undefined;
  return name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta');
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function listed(names: readonly string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** The checkpoint tensors a graph reads, matched and checked up front: one error lists everything wrong. */
class CheckpointWeights implements WeightSource {
  private readonly keyOf = new Map<string, string>();
  readonly unused: string[];

  constructor(private readonly file: CheckpointTensors, spec: ModelSpec, fileName: string) {
    const missing: string[] = [];
    const badShape: string[] = [];
    for (const { name, shape } of expectedTensors(spec)) {
      const key = file.has(name) ? name : [legacyName(name)].find((k): k is string => k !== undefined && file.has(k));
      if (!key) {
        missing.push(name);
        continue;
      }
      const have = file.info(key).shape;
      if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) badShape.push(`${key} is ${shapeText(have)}, expected ${shapeText(shape)}`);
      this.keyOf.set(name, key);
    }
    const problems: string[] = [];
    if (missing.length) problems.push(`it lacks ${missing.length} tensor${missing.length === 1 ? '' : 's'} the ${spec.architecture} graph needs: ${listed(missing)}`);
    if (badShape.length) problems.push(`${badShape.length} tensor${badShape.length === 1 ? ' has' : 's have'} the wrong shape for config.json: ${listed(badShape, 4)}`);
    if (problems.length) throw new Error(`${fileName} does not fit config.json: ${problems.join('; ')}`);
    const used = new Set(this.keyOf.values());
    // Extra keys (position_ids buffers, pre-training heads, a pooler a QA model does not use) are not an error.
    this.unused = file.names().filter((n) => !used.has(n));
  }

  tensor(name: string): Float32Array {
    const key = this.keyOf.get(name);
    if (!key) throw new Error(`checkpoint tensor ${name} was not matched up front`);
    return this.file.float32(key);
  }
}

export interface CheckpointBuild extends BuiltGraph {
  architecture: string;
  task: 'qa' | 'classify';
  /** checkpoint tensors the graph does not use (e.g. position_ids) */
  unused: string[];
}

export interface CheckpointBuildOptions extends Omit<GraphBuildOptions, 'metadata'> {
  /** names the model in messages (a folder, a repo) */
  name?: string;
}

/** A checkpoint: its tensors, or the bytes of one file (model.safetensors or pytorch_model.bin, told apart by content). */
export type Checkpoint = Uint8Array | CheckpointTensors;

function prepare(config: unknown, checkpoint: Checkpoint, name: string | undefined) {
  const spec = parseModelSpec(config, name);
  const what = checkpoint instanceof Uint8Array ? checkpointFileName(checkpoint) : 'the checkpoint';
  const fileName = name ? `${what} of ${name}` : what;
  const file = checkpoint instanceof Uint8Array ? parseCheckpoint(checkpoint, fileName) : checkpoint;
  const weights = new CheckpointWeights(file, spec, fileName);
  const metadata = { 'lens.source': 'checkpoint', 'lens.checkpoint_tensors': String(file.names().length) };
  return { spec, weights, metadata };
}

function described(spec: ModelSpec, weights: CheckpointWeights, built: BuiltGraph): CheckpointBuild {
  return { ...built, architecture: spec.architecture, task: spec.head.kind, unused: weights.unused };
}

/**
 * The ONNX model for a checkpoint: the graph config.json describes, filled with the checkpoint's tensors
 * (F16/BF16 widened to F32). Refuses, with one message naming everything wrong, an unsupported architecture,
 * a malformed or truncated file, missing tensors and wrong shapes.
 */
export function buildOnnxFromCheckpointSync(config: unknown, checkpoint: Checkpoint, name?: string, variant: GraphVariant = {}): CheckpointBuild {
  const { spec, weights, metadata } = prepare(config, checkpoint, name);
  return described(spec, weights, buildGraph(spec, weights, metadata, variant));
}

/** The same, yielding between layers, with progress and cancellation (the extension's install step). */
export async function buildOnnxFromCheckpoint(config: unknown, checkpoint: Checkpoint, options: CheckpointBuildOptions = {}): Promise<CheckpointBuild> {
  const { spec, weights, metadata } = prepare(config, checkpoint, options.name);
  return described(spec, weights, await buildGraphAsync(spec, weights, { ...options, metadata }));
}
