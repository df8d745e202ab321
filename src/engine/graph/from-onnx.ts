/**
 * The state_dict of a model that ships only an ONNX file, recovered from the file's initializers, so Lens can rebuild
 * it as its lean graph (buildOnnxFromCheckpoint*(config, tensors, { lean: true })). Browser-safe: no Node API.
 *
 * Which initializer is which parameter, and in which layout, is read from the graph, never guessed from shapes:
 *  - by name: torch.onnx.export keeps parameters it does not transform under their state_dict names (biases, norm
 *    weights, embeddings, Gemm weights), and so does Lens's own export-shaped graph;
 *  - by the consuming node: a Linear weight feeding MatMul is stored transposed ([in, out]; torch names it
 *    `onnx::MatMul_N`), and the node's name carries the module path (`/bert/encoder/layer.0/attention/self/query/MatMul`,
 *    or `bert.encoder.layer.0.attention.self.query/MatMul` in Lens's graphs) -> `<path>.weight`, transposed back.
 *    The same reading names biases (Add, Gemm's C), norm weights (Mul, LayerNormalization) and embeddings (Gather),
 *    which covers initializers an exporter deduplicated or renamed.
 * The layout of a 2-D weight always comes from how it is consumed (MatMul B: [in, out]; Gemm B: transB; Gather: as
 * stored), following Identity, Cast and 2-D Transpose nodes, so square weights are never ambiguous.
 *
 * Refused, with the reason: quantized graphs (their fp32 weights are gone), graphs fused by onnxruntime's optimizer or
 * Lens's lean graph (weights merged or folded), external data, a config.json that does not describe the file (a
 * needed tensor missing or mis-shaped, or a weight of the file that the config's model has no place for), node names
 * without module paths (older exporters, torch's dynamo exporter) where a weight needs one, and two different tensors
 * claimed for one parameter.
 */
import onnxPkg from 'onnx-proto';
import type * as OnnxTypes from 'onnx-proto';

import type { CheckpointDtype, CheckpointTensorInfo, CheckpointTensors } from '../checkpoint-tensors.js';
import { QUANTIZATION_METADATA_KEY, QUANTIZED_OPS } from '../quantize.js';
import { halfTable } from '../safetensors.js';
import { bertGraph } from './bert.js';
import { expectedTensors, parseModelSpec, type ModelSpec, type TensorSpec } from './index.js';
import { mobileBertGraph } from './mobilebert.js';
import { GraphBuilder } from './onnx-graph.js';

const { onnx } = onnxPkg;
type IModelProto = OnnxTypes.onnx.IModelProto;
type INodeProto = OnnxTypes.onnx.INodeProto;
type ITensorProto = OnnxTypes.onnx.ITensorProto;

const DT = onnx.TensorProto.DataType;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type StateDictRecovery =
  | {
      ok: true;
      tensors: CheckpointTensors;
      /** state_dict tensors found in the file */
      mapped: number;
      /**
       * Parameters the module has but its forward pass never reads (so exporters drop them; neither Lens graph reads
       * their values either), given zeros.
       */
      zeroFilled: string[];
    }
  | { ok: false; reason: string };

/** Nodes that pass a weight through unchanged on its way to the op that uses it. */
const PASS_THROUGH = new Set(['Identity', 'Cast']);
/** Float element types a weight may be stored in (widened or narrowed to float32, as the checkpoint readers do). */
const FLOAT_TYPES: ReadonlyMap<number, CheckpointDtype> = new Map([
  [DT.FLOAT, 'F32'],
  [DT.FLOAT16, 'F16'],
  [DT.BFLOAT16, 'BF16'],
  [DT.DOUBLE, 'F64'],
]);

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const listed = (items: readonly string[], max = 5) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function dimsOf(t: ITensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

function hasExternalData(t: ITensorProto): boolean {
  return t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0;
}

/** raw_data copied into an aligned buffer of `bytesPer`-byte elements (raw_data need not be aligned). */
function alignedRaw(raw: Uint8Array, bytesPer: number): ArrayBuffer {
  const copy = new ArrayBuffer(raw.length - (raw.length % bytesPer));
  new Uint8Array(copy).set(raw.subarray(0, copy.byteLength));
  return copy;
}

/** An initializer's values as float32; throws (caught by the caller) when its data does not fit its dims. */
function floatValues(t: ITensorProto): Float32Array {
  const size = dimsOf(t).reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  let values: Float32Array;
  switch (t.dataType) {
    case DT.FLOAT:
      values = raw ? new Float32Array(alignedRaw(raw, 4)) : Float32Array.from(t.floatData ?? []);
      if (raw && raw.length !== size * 4) values = new Float32Array(0);
      break;
    case DT.DOUBLE:
      values = raw ? Float32Array.from(new Float64Array(alignedRaw(raw, 8))) : Float32Array.from(t.doubleData ?? []);
      if (raw && raw.length !== size * 8) values = new Float32Array(0);
      break;
    case DT.FLOAT16:
    case DT.BFLOAT16: {
      // without raw_data, 16-bit values sit one per int32_data entry
      const bits = raw ? new Uint16Array(alignedRaw(raw, 2)) : Uint16Array.from(t.int32Data ?? []);
      if (raw && raw.length !== size * 2) {
        values = new Float32Array(0);
      } else if (t.dataType === DT.FLOAT16) {
        const table = halfTable();
        values = Float32Array.from(bits, (h) => table[h]);
      } else {
        const wide = new Uint32Array(bits.length);
        for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
        values = new Float32Array(wide.buffer);
      }
      break;
    }
    default:
      throw new Error(`initializer ${t.name} is not a float tensor`);
  }
  if (values.length !== size) throw new Error(`initializer ${t.name} holds ${values.length} values for its dims ${shapeText(dimsOf(t))}`);
  return values;
}

/** Why an initializer's data does not fit its dims and type, checked without converting it; undefined when it does. */
function dataFault(t: ITensorProto): string | undefined {
  const size = dimsOf(t).reduce((a, b) => a * b, 1);
  const bytesPer = t.dataType === DT.DOUBLE ? 8 : t.dataType === DT.FLOAT ? 4 : 2;
  const raw = t.rawData?.length ?? 0;
  const have =
    raw > 0 ? raw / bytesPer : t.dataType === DT.FLOAT ? (t.floatData?.length ?? 0) : t.dataType === DT.DOUBLE ? (t.doubleData?.length ?? 0) : (t.int32Data?.length ?? 0);
  return have === size ? undefined : `initializer ${t.name} holds ${have} values for its dims ${shapeText(dimsOf(t))}`;
}

function transposed(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

function attr(node: INodeProto, name: string): OnnxTypes.onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
const intAttr = (node: INodeProto, name: string, fallback: number) => {
  const a = attr(node, name);
  return a ? Number(a.i ?? 0) : fallback;
};
const floatAttr = (node: INodeProto, name: string, fallback: number) => {
  const a = attr(node, name);
  return a ? Number(a.f ?? 0) : fallback;
};

/**
 * The module path a node's name carries: torch's scoped names `/a/b.0/c/MatMul_1` and Lens's `a.b.0.c/MatMul_1`
 * both give `a.b.0.c`; a name without a `/` (torch < 1.13's `MatMul_12`, dynamo's `node_MatMul_3`) gives none.
 * torch 1.13-2.3 name a called container's child by its path from the container's parent (`/layer1/layer1.0/conv1`,
 * pytorch/pytorch#90439): such a segment replaces the one before it.
 */
export function modulePathOf(nodeName: string): string | undefined {
  const cut = nodeName.lastIndexOf('/');
  if (cut <= 0) return undefined;
  const segments: string[] = [];
  for (const s of nodeName.slice(0, cut).split('/')) {
    if (s === '') continue;
    const prev = segments[segments.length - 1];
    if (prev !== undefined && s.startsWith(`${prev}.`)) segments[segments.length - 1] = s;
    else segments.push(s);
  }
  return segments.length > 0 ? segments.join('.') : undefined;
}

/** Where a weight ends up: the op that uses it, and whether Transpose nodes on the way flipped it. */
interface Use {
  node: INodeProto;
  index: number;
  flipped: boolean;
}

/** How an op uses an initializer: which parameter of its module, and whether state_dict layout needs a transpose. */
interface Role {
  param: 'weight' | 'bias';
  /** state_dict layout = the initializer as stored, transposed (2-D only) */
  transpose: boolean;
  /** the use reads the weight in a layout it states (MatMul B, Gemm B, Gather): it settles the layout of a 2-D weight */
  layoutKnown: boolean;
}

function roleOf(use: Use): Role | { refused: string } | undefined {
  const { node, index, flipped } = use;
  const domain = node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  switch (node.opType) {
    case 'MatMul':
      // x @ B: B is [in, out], the transpose of nn.Linear's [out, in]
      return index === 1 ? { param: 'weight', transpose: !flipped, layoutKnown: true } : undefined;
    case 'Gemm': {
      if (index === 0) return undefined;
      const alpha = floatAttr(node, 'alpha', 1);
      const beta = floatAttr(node, 'beta', 1);
      if (intAttr(node, 'transA', 0) !== 0 || alpha !== 1 || beta !== 1) {
        return { refused: `Gemm node ${node.name || '(unnamed)'} has transA/alpha/beta other than 0/1/1, so its weights are not nn.Linear's` };
      }
      if (index === 2) return { param: 'bias', transpose: false, layoutKnown: false };
      const transB = intAttr(node, 'transB', 0) !== 0;
      return { param: 'weight', transpose: transB === flipped, layoutKnown: true };
    }
    case 'Gather':
      return index === 0 ? { param: 'weight', transpose: flipped, layoutKnown: true } : undefined;
    case 'Mul':
      return { param: 'weight', transpose: flipped, layoutKnown: false };
    case 'Add':
      return { param: 'bias', transpose: flipped, layoutKnown: false };
    case 'LayerNormalization':
      return index === 1 ? { param: 'weight', transpose: false, layoutKnown: false } : index === 2 ? { param: 'bias', transpose: false, layoutKnown: false } : undefined;
    default:
      return undefined;
  }
}

/** One candidate source of a state_dict tensor. */
interface Claim {
  init: ITensorProto;
  transpose: boolean;
  /** how it was found, for messages */
  via: string;
}

function claimShape(c: Claim): number[] {
  const dims = dimsOf(c.init);
  return c.transpose ? [...dims].reverse() : dims;
}

function claimValues(c: Claim): Float32Array {
  const values = floatValues(c.init);
  const dims = dimsOf(c.init);
  return c.transpose ? transposed(values, dims[0], dims[1]) : values;
}

function claimText(c: Claim): string {
  return `${c.init.name}${c.transpose ? `, transposed from ${shapeText(dimsOf(c.init))}` : ''}${c.via ? `, ${c.via}` : ''}`;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/**
 * The parameters the module has but its forward pass never reads (GraphBuilder.unusedParam: read, never stored), from
 * a recording pass of the export-shaped graph.
 */
function unusedParams(spec: ModelSpec): Set<string> {
  const b = new GraphBuilder(undefined);
  const it = spec.modelType === 'mobilebert' ? mobileBertGraph(b, spec) : bertGraph(b, spec);
  while (!it.next().done);
  const stored = new Set(b.initializerNames);
  return new Set(b.params.map((p) => p.name).filter((n) => !stored.has(n)));
}

function decode(bytes: Uint8Array): IModelProto | string {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    return `not a valid ONNX file: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Why the file's weights cannot be recovered at all, whatever the config says; undefined when they may be. */
function refusal(model: IModelProto): string | undefined {
  const graph = model.graph;
  if (!graph) return 'the ONNX file has no graph';
  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  if (meta.get('lens.graph') === 'lean') return 'the ONNX file is a lean graph Lens built already: its weights are folded and merged, the state_dict is not in it';
  const layout = meta.get('lens.linear_weight_layout');
  if (layout !== undefined && layout !== 'in_out') return `the ONNX file says lens.linear_weight_layout = ${layout}, a layout Lens does not know`;
  const nodes = graph.node ?? [];
  const quantized = [...new Set(nodes.map((n) => n.opType ?? '').filter((op) => QUANTIZED_OPS.has(op)))];
  if (quantized.length > 0 || meta.has(QUANTIZATION_METADATA_KEY)) {
    const what = quantized.length > 0 ? `${quantized.join(', ')} nodes` : `${QUANTIZATION_METADATA_KEY} metadata`;
    return `the ONNX file is quantized (${what}): its fp32 weights are not in it`;
  }
  const fused = [...new Set(nodes.filter((n) => n.domain && n.domain !== 'ai.onnx').map((n) => `${n.domain}:${n.opType}`))];
  if (fused.length > 0) {
    return `the ONNX file has fused operators (${listed(fused)}), as onnxruntime's transformer optimizer writes: weights are merged or folded there, so the state_dict is not in it`;
  }
  const external = (graph.initializer ?? []).filter(hasExternalData).map((t) => t.name ?? '');
  if (external.length > 0) return `the ONNX file keeps ${plural(external.length, 'weight')} (${listed(external, 3)}) in an external data file; only self-contained files are read`;
  return undefined;
}

/**
 * Recovers the Hugging Face state_dict of the model `config` (config.json) describes from an fp32 ONNX export of it
 * (torch.onnx.export / optimum, or a graph Lens built), for buildOnnxFromCheckpoint*(config, tensors, ...). Every
 * tensor the graph builder needs must be found, with its exact state_dict shape ([out, in] for Linear weights), and
 * every weight of the file must be accounted for; otherwise the result says why not.
 */
export function stateDictFromOnnx(onnxBytes: Uint8Array, config: unknown): StateDictRecovery {
  if (!LITTLE_ENDIAN) return { ok: false, reason: 'reading ONNX weights needs a little-endian platform (raw_data is little-endian)' };
  let spec: ModelSpec;
  try {
    spec = parseModelSpec(config);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const model = decode(onnxBytes);
  if (typeof model === 'string') return { ok: false, reason: model };
  const refused = refusal(model);
  if (refused) return { ok: false, reason: refused };
  const graph = model.graph as OnnxTypes.onnx.IGraphProto;
  const nodes = graph.node ?? [];

  const initializers = new Map<string, ITensorProto>();
  for (const t of graph.initializer ?? []) if (t.name && FLOAT_TYPES.has(t.dataType ?? 0)) initializers.set(t.name, t);
  if (initializers.size === 0) return { ok: false, reason: 'the ONNX file holds no float weights (exported without its parameters?)' };

  const consumers = new Map<string, Array<{ node: INodeProto; index: number }>>();
  for (const node of nodes) {
    (node.input ?? []).forEach((name, index) => {
      if (!name) return;
      const list = consumers.get(name) ?? [];
      list.push({ node, index });
      consumers.set(name, list);
    });
  }
  /** The ops an initializer reaches, through pass-through nodes and (for a matrix) transposes. */
  const usesOf = (name: string, rank: number): Use[] => {
    const out: Use[] = [];
    const walk = (tensor: string, flipped: boolean, depth: number) => {
      for (const { node, index } of consumers.get(tensor) ?? []) {
        const output = node.output?.[0];
        const standard = !node.domain || node.domain === 'ai.onnx';
        // Transpose without perm reverses the axes: of a matrix, the same as perm [1, 0]
        const perm = attr(node, 'perm')?.ints?.map((v) => Number(v));
        const swaps = node.opType === 'Transpose' && rank === 2 && (perm === undefined || sameShape(perm, [1, 0]));
        if (standard && output && depth < 8 && (PASS_THROUGH.has(node.opType ?? '') || swaps)) walk(output, swaps ? !flipped : flipped, depth + 1);
        else out.push({ node, index, flipped });
      }
    };
    walk(name, false, 0);
    return out;
  };

  const required: TensorSpec[] = expectedTensors(spec);
  const unused = unusedParams(spec);
  const requiredNames = new Set(required.map((r) => r.name));
  const claims = new Map<string, Claim[]>();
  const addClaim = (name: string, claim: Claim) => {
    const list = claims.get(name) ?? [];
    if (!list.some((c) => c.init === claim.init && c.transpose === claim.transpose)) list.push(claim);
    claims.set(name, list);
  };
  /** weights feeding ops whose node names carry no module path (their state_dict name cannot be read) */
  const nameless: Array<{ init: ITensorProto; text: string }> = [];
  /** initializers a problem already names (not listed again as unexplained) */
  const reported = new Set<ITensorProto>();
  const refusals: string[] = [];
  const usesByInit = new Map<ITensorProto, Use[]>();

  for (const [name, init] of initializers) {
    const rank = dimsOf(init).length;
    const uses = usesOf(name, rank);
    usesByInit.set(init, uses);
    const layouts = new Set<boolean>();
    for (const use of uses) {
      const role = roleOf(use);
      if (!role) continue;
      if ('refused' in role) {
        refusals.push(role.refused);
        continue;
      }
      const transpose = rank === 2 && role.transpose;
      if (role.layoutKnown && rank === 2) layouts.add(transpose);
      const path = modulePathOf(use.node.name ?? '');
      if (path === undefined) {
        nameless.push({ init, text: `${name} (feeds ${use.node.opType} ${use.node.name ? `node ${use.node.name}` : 'an unnamed node'})` });
        continue;
      }
      addClaim(`${path}.${role.param}`, { init, transpose, via: `read by ${use.node.name}` });
    }
    if (requiredNames.has(name)) {
      // a weight no layout-stating op reads keeps the layout it is stored in (as exporters store untouched parameters)
      for (const transpose of layouts.size > 0 ? layouts : [false]) addClaim(name, { init, transpose, via: 'by name' });
    }
  }
  if (refusals.length > 0) return { ok: false, reason: [...new Set(refusals)].join('; ') };

  const chosen = new Map<string, Claim>();
  const zeroFilled: string[] = [];
  const missing: string[] = [];
  const badShape: string[] = [];
  const conflicts: string[] = [];
  try {
    for (const { name, shape } of required) {
      const all = claims.get(name) ?? [];
      const fitting = all.filter((c) => sameShape(claimShape(c), shape));
      if (fitting.length === 0) {
        const wrong = all[0];
        if (wrong) reported.add(wrong.init);
        if (wrong) badShape.push(`weight ${name} (${claimText(wrong)}) has shape ${shapeText(claimShape(wrong))}, expected ${shapeText(shape)}`);
        else if (unused.has(name)) zeroFilled.push(name);
        else missing.push(name);
        continue;
      }
      const first = fitting[0];
      if (fitting.length > 1) {
        const values = claimValues(first);
        const other = fitting.slice(1).find((c) => !sameValues(values, claimValues(c)));
        if (other) {
          conflicts.push(`${name} is claimed by two different tensors: ${claimText(first)} and ${claimText(other)}`);
          continue;
        }
      }
      const fault = dataFault(first.init);
      if (fault) throw new Error(fault);
      chosen.set(name, first);
    }
  } catch (err) {
    return { ok: false, reason: `the ONNX file's weights cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }

  // Every weight the graph computes with must have a place in the config's model, or the rebuilt graph would
  // compute something else (e.g. config.json says 2 layers, the file has 4). Scalars are constants (eps, sqrt(d)).
  const used = new Set([...chosen.values()].map((c) => c.init));
  // weights whose state_dict name only a module path could have told
  const unnamed = [...new Map(nameless.filter((n) => !used.has(n.init)).map((n) => [n.init, n])).values()];
  for (const n of unnamed) reported.add(n.init);
  const unexplained: string[] = [];
  for (const [init, uses] of usesByInit) {
    if (used.has(init) || reported.has(init) || uses.length === 0 || dimsOf(init).reduce((a, b) => a * b, 1) <= 1) continue;
    unexplained.push(`${init.name} ${shapeText(dimsOf(init))}${uses[0].node.name ? ` (read by ${uses[0].node.name})` : ''}`);
  }

  const problems: string[] = [];
  if (missing.length === 1) problems.push(`no weight found for ${missing[0]}`);
  else if (missing.length > 1) problems.push(`no weight found for ${missing.length} tensors the ${spec.architecture} graph needs: ${listed(missing)}`);
  problems.push(...badShape.slice(0, 3));
  if (badShape.length > 3) problems.push(`and ${plural(badShape.length - 3, 'more weight')} with the wrong shape`);
  problems.push(...conflicts.slice(0, 3));
  if (unexplained.length > 0) {
    problems.push(`the file has ${plural(unexplained.length, 'weight')} the ${spec.architecture} of config.json has no place for: ${listed(unexplained, 3)}`);
  }
  const showUnnamed = problems.length > 0 && unnamed.length > 0;
  if (showUnnamed) {
    const n = unnamed.length;
    problems.push(
      `${plural(n, 'weight')} feed${n === 1 ? 's' : ''} nodes whose names carry no module path, so ${n === 1 ? 'its' : 'their'} state_dict names cannot be read (an exporter older than torch 1.13, or torch's dynamo exporter): ${listed(unnamed.map((u) => u.text), 3)}`,
    );
  }
  if (problems.length > 0) {
    const misfit = badShape.length > 0 || unexplained.length > 0 || (missing.length > 0 && !showUnnamed);
    const fit = misfit ? ' (is config.json the one this ONNX file was exported from?)' : '';
    return { ok: false, reason: `${problems.join('; ')}${fit}` };
  }

  const infos = new Map<string, CheckpointTensorInfo>();
  for (const { name, shape } of required) {
    const c = chosen.get(name);
    infos.set(name, { name, dtype: c ? (FLOAT_TYPES.get(c.init.dataType ?? 0) ?? 'F32') : 'F32', shape: [...shape] });
  }
  const info = (name: string): CheckpointTensorInfo => {
    const i = infos.get(name);
    if (!i) throw new Error(`the state_dict recovered from the ONNX file has no tensor ${JSON.stringify(name)}`);
    return i;
  };
  const tensors: CheckpointTensors = {
    names: () => [...infos.keys()],
    has: (name) => infos.has(name),
    info: (name) => ({ ...info(name), shape: [...info(name).shape] }),
    float32: (name) => {
      const { shape } = info(name);
      const c = chosen.get(name);
      // values are made when asked for, so a 100 MB model is not held twice
      return c ? claimValues(c) : new Float32Array(shape.reduce((a, b) => a * b, 1));
    },
  };
  return { ok: true, tensors, mapped: chosen.size, zeroFilled };
}
