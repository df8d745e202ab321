/**
 * Dynamic int8 weight quantization of an ONNX model, in the form onnxruntime's `quantize_dynamic`
 * (onnxruntime/python/tools/quantization, QuantFormat.QOperator, weight_type QInt8) writes and onnxruntime-web's
 * WebAssembly CPU kernels run. For each MatMul whose B input is a 2-D float initializer:
 *
 *   A (float) -> DynamicQuantizeLinear -> A_quantized (uint8), A_scale, A_zero_point   (one per A, shared)
 *   MatMulInteger(A_quantized, B_quantized (int8 [K, N]), A_zero_point, B_zero_point (int8, 0))
 *     -> Cast(to FLOAT) -> Mul(·, Mul(A_scale, B_scale)) -> the MatMul's original output name
 *
 * B is quantized offline, symmetric (zero point 0, values in [-127, 127], scale = max|w| / 127), per column
 * (B_scale and B_zero_point of shape [N], MatMulInteger's per-column b_zero_point) or per tensor (scalars).
 * onnxruntime fuses this chain into its DynamicQuantizeMatMul kernel at load time.
 *
 * Gather nodes whose data is a float initializer (the embedding tables) become, as quantize_dynamic's GatherQuant
 * does, Gather on an int8 table (symmetric, per tensor) followed by DequantizeLinear, so only the looked-up rows are
 * dequantized. `embeddings: 'fp32'` keeps them float instead.
 *
 * The lean graph (graph/lean.ts) writes its dense layers as Gemm and its attention as one contrib Attention node; with
 * the same weights and activations quantized the same way:
 *   Gemm(A, B, C) -> MatMulIntegerToFloat(A_quantized, B_quantized, A_scale, B_scale, A_zero_point, B_zero_point,
 *     bias = C when C is a constant vector), else (C a residual stream) followed by Add(·, C)
 *   Attention(A, W, bias, mask) -> QAttention(A_quantized, W_quantized, bias, A_scale, W_scale, mask, ...)
 * A Gemm with fewer than MIN_GEMM_COLUMNS outputs (a head: QA's two logits, a classifier) stays float.
 *
 * Everything else stays float: biases (Add), NoNorm, the attention products between activations (MatMul with a
 * non-constant B), heads' Gemm (quantize_dynamic leaves Gemm alone).
 *
 * Browser-safe (the extension quantizes a downloaded fp32 model on the device): no Node API. quantizeOnnxAsync
 * yields to the event loop between weights, so a service worker stays responsive and its keep-alive timer runs.
 * quantizeModelFolder (src/modelgen/quantize.ts, Node) reads and writes Hugging Face style folders.
 */
import onnxPkg from 'onnx-proto';
import type * as OnnxTypes from 'onnx-proto';

const { onnx } = onnxPkg;
type IModelProto = OnnxTypes.onnx.IModelProto;
type INodeProto = OnnxTypes.onnx.INodeProto;
type ITensorProto = OnnxTypes.onnx.ITensorProto;

const DT = onnx.TensorProto.DataType;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Metadata key written into quantized models (and checked to refuse quantizing twice). */
export const QUANTIZATION_METADATA_KEY = 'lens.quantization';
/** Ops whose presence means the graph is already quantized. */
export const QUANTIZED_OPS: ReadonlySet<string> = new Set([
  'MatMulInteger', 'DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'QLinearMatMul', 'QuantizeLinear',
  'DequantizeLinear', 'ConvInteger', 'QLinearConv', 'MatMulNBits', 'QAttention', 'QGemm', 'QEmbedLayerNormalization',
  'GatherBlockQuantized', 'MatMulFpQ4', 'QOrderedMatMul',
]);
/** DynamicQuantizeLinear needs opset 11. */
const MIN_OPSET = 11;
/** onnxruntime's contrib operators (MatMulIntegerToFloat, QAttention). */
const CONTRIB_DOMAIN = 'com.microsoft';
/**
 * A Gemm with fewer output columns stays float: a head (QA's 2 logits, a classifier's labels), whose logits are what
 * answers are read from and whose cost is nothing beside the encoder's.
 */
const MIN_GEMM_COLUMNS = 16;

function attrOf(node: INodeProto, name: string): OnnxTypes.onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** Y = A · B + C: no transposes, alpha = beta = 1 (what the lean graph writes). */
function isPlainGemm(node: INodeProto): boolean {
  const int = (name: string) => Number(attrOf(node, name)?.i ?? 0);
  const float = (name: string) => attrOf(node, name)?.f ?? 1;
  return int('transA') === 0 && int('transB') === 0 && float('alpha') === 1 && float('beta') === 1;
}

/** Self-attention QAttention can run: equal q/k/v widths, no past state or extra inputs, no rotary embedding. */
function isQuantizableAttention(node: INodeProto): boolean {
  const inputs = (node.input ?? []).filter((i) => i !== '');
  const unsupported = ['qkv_hidden_sizes', 'do_rotary', 'past_present_share_buffer', 'rotary_embedding_dim'];
  return inputs.length <= 4 && (node.input ?? []).length <= 4 && !unsupported.some((a) => attrOf(node, a) !== undefined);
}

export interface QuantizeOptions {
  /** B scale per output column (default) or one per tensor */
  granularity?: 'per-column' | 'per-tensor';
  /** embedding (Gather) tables: int8 + DequantizeLinear (default), or left float */
  embeddings?: 'int8' | 'fp32';
}

export interface QuantizeReport {
  /** weight matrices quantized: MatMul, Gemm and Attention nodes rewritten */
  matmuls: number;
  /** the same by op type rewritten: MatMul (-> MatMulInteger), Gemm (-> MatMulIntegerToFloat), Attention (-> QAttention) */
  quantizedOps: Record<string, number>;
  /** MatMuls left float because B is not a constant (attention products) */
  matmulsKeptFloat: number;
  /** Gather tables stored int8 */
  gathers: number;
  /** ops with float weights left float (e.g. Gemm), by op type */
  keptFloat: Record<string, number>;
  onnxBytesBefore: number;
  onnxBytesAfter: number;
  /** bytes of initializer data before and after */
  weightBytesBefore: number;
  weightBytesAfter: number;
}

export class AlreadyQuantizedError extends Error {}

function opsetOf(model: IModelProto): number {
  const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return imp ? Number(imp.version) : 0;
}

function tensorBytes(t: ITensorProto): number {
  if (t.rawData && t.rawData.length > 0) return t.rawData.length;
  const n = (t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0) + (t.doubleData?.length ?? 0) * 2;
  return 4 * n + 8 * ((t.int64Data?.length ?? 0) + (t.uint64Data?.length ?? 0));
}

function dimsOf(t: ITensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

/** The float values of an initializer (copied: raw_data is not necessarily 4-byte aligned). */
function floatValues(t: ITensorProto): Float32Array {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new Error(`initializer ${t.name} keeps its data in an external file; models with external data are not supported`);
  }
  const size = dimsOf(t).reduce((a, b) => a * b, 1);
  let values: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    values = new Float32Array(raw.length / 4);
    new Uint8Array(values.buffer).set(raw);
  } else {
    values = Float32Array.from(t.floatData ?? []);
  }
  if (values.length !== size) throw new Error(`initializer ${t.name} has ${values.length} values for dims [${dimsOf(t)}]`);
  return values;
}

/** numpy's rounding (half to even), as onnxruntime's quantizer rounds weights. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Symmetric int8 quantization of a [rows, cols] matrix with `groups` scales: 1 (per tensor) or cols (per column).
 * scale = max|w| / 127 (1 when the group is all zeros, as onnxruntime does), q = round(w / scale) in [-127, 127].
 */
export function quantizeSymmetricInt8(values: Float32Array, cols: number, perColumn: boolean): { q: Int8Array; scales: Float32Array } {
  const groups = perColumn ? cols : 1;
  const absMax = new Float32Array(groups);
  for (let i = 0; i < values.length; i++) {
    const g = perColumn ? i % cols : 0;
    const a = Math.abs(values[i]);
    if (a > absMax[g]) absMax[g] = a;
  }
  const scales = absMax.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = roundHalfEven(values[i] / scales[perColumn ? i % cols : 0]);
    q[i] = v > 127 ? 127 : v < -127 ? -127 : v;
  }
  return { q, scales };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

type GraphReport = Omit<QuantizeReport, 'onnxBytesBefore' | 'onnxBytesAfter'>;

/** Work done so far, in bytes of float weights read (total: all initializer bytes of the fp32 model). */
export interface QuantizeProgress {
  done: number;
  total: number;
}

/** Rewrites a decoded model in place (see the file comment), yielding progress after each weight it quantizes. */
function* quantizeGraph(model: IModelProto, options: Required<QuantizeOptions>): Generator<QuantizeProgress, GraphReport> {
  const graph = model.graph;
  if (!graph) throw new Error('the ONNX file has no graph');
  const nodes = graph.node ?? [];
  const initializers = graph.initializer ?? [];

  const alreadyQuantized = [...new Set(nodes.map((n) => n.opType ?? '').filter((op) => QUANTIZED_OPS.has(op)))];
  const meta = (model.metadataProps ?? []).find((p) => p.key === QUANTIZATION_METADATA_KEY);
  if (alreadyQuantized.length > 0 || meta) {
    throw new AlreadyQuantizedError(`the model is already quantized (${meta ? `${QUANTIZATION_METADATA_KEY} = ${meta.value}` : `it has ${alreadyQuantized.join(', ')} nodes`})`);
  }
  const opset = opsetOf(model);
  if (opset < MIN_OPSET) throw new Error(`the model uses opset ${opset}; quantization needs opset ${MIN_OPSET} or later (DynamicQuantizeLinear)`);

  const weightBytesBefore = initializers.reduce((s, t) => s + tensorBytes(t), 0);
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const byName = new Map<string, ITensorProto>();
  for (const t of initializers) if (t.name && !graphInputs.has(t.name)) byName.set(t.name, t);

  const tensorNames = new Set<string>([...graphInputs, ...initializers.map((t) => t.name ?? '')]);
  for (const n of nodes) for (const o of n.output ?? []) tensorNames.add(o);
  const nodeNames = new Set(nodes.map((n) => n.name ?? ''));
  const fresh = (base: string, taken: Set<string>): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const newTensor = (base: string) => fresh(base, tensorNames);
  const newNode = (base: string) => fresh(base, nodeNames);

  const added: ITensorProto[] = [];
  const addInit = (base: string, dataType: number, dims: number[], data: ArrayBufferView): string => {
    const name = newTensor(base);
    added.push({ name, dataType, dims, rawData: bytesOf(data) });
    return name;
  };
  const isFloatInit = (name: string | undefined, rank?: number): ITensorProto | undefined => {
    const t = name === undefined ? undefined : byName.get(name);
    if (!t || t.dataType !== DT.FLOAT) return undefined;
    return rank === undefined || dimsOf(t).length === rank ? t : undefined;
  };

  interface QuantizedWeight { q: string; scale: string; zeroPoint: string }
  const weightCache = new Map<string, QuantizedWeight>();
  let weightBytesRead = 0;
  const quantizeWeight = (t: ITensorProto, perColumn: boolean): QuantizedWeight => {
    const key = `${t.name}|${perColumn}`;
    const known = weightCache.get(key);
    if (known) return known;
    weightBytesRead += tensorBytes(t);
    const dims = dimsOf(t);
    const cols = dims.length === 2 ? dims[1] : 1;
    const { q, scales } = quantizeSymmetricInt8(floatValues(t), cols, perColumn);
    const paramDims = perColumn ? [cols] : [];
    const made = {
      q: addInit(`${t.name}_quantized`, DT.INT8, dims, q),
      scale: addInit(`${t.name}_scale`, DT.FLOAT, paramDims, scales),
      zeroPoint: addInit(`${t.name}_zero_point`, DT.INT8, paramDims, new Int8Array(scales.length)),
    };
    weightCache.set(key, made);
    return made;
  };

  /** One DynamicQuantizeLinear per activation, shared by every MatMul that reads it (as quantize_dynamic does). */
  const activationCache = new Map<string, { q: string; scale: string; zeroPoint: string }>();

  const attr = { to: { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT } };
  const out: INodeProto[] = [];
  let matmuls = 0;
  let matmulsKeptFloat = 0;
  let gathers = 0;
  const keptFloat: Record<string, number> = {};

  const sharedActivation = (a: string): { q: string; scale: string; zeroPoint: string } => {
    let act = activationCache.get(a);
    if (!act) {
      act = { q: newTensor(`${a}_quantized`), scale: newTensor(`${a}_scale`), zeroPoint: newTensor(`${a}_zero_point`) };
      out.push({ name: newNode(`${a}_QuantizeLinear`), opType: 'DynamicQuantizeLinear', input: [a], output: [act.q, act.scale, act.zeroPoint] });
      activationCache.set(a, act);
    }
    return act;
  };
  const perColumn = options.granularity === 'per-column';
  let usesContrib = false;
  const quantizedOps: Record<string, number> = {};
  const counted = (op: string) => {
    quantizedOps[op] = (quantizedOps[op] ?? 0) + 1;
    matmuls++;
  };

  for (const node of nodes) {
    const [a, b] = node.input ?? [];
    const isDefaultDomain = !node.domain || node.domain === 'ai.onnx';
    const gemmWeight = isDefaultDomain && node.opType === 'Gemm' && isPlainGemm(node) ? isFloatInit(b, 2) : undefined;
    if (gemmWeight && dimsOf(gemmWeight)[1] >= MIN_GEMM_COLUMNS) {
      // Gemm (the lean graph's dense layers): MatMulIntegerToFloat with C as its bias when C is a constant vector,
      // else (a residual stream) an Add after it
      const act = sharedActivation(a);
      const w = quantizeWeight(gemmWeight, perColumn);
      const c = node.input?.[2];
      const y = node.output?.[0] ?? '';
      const base = node.name || `${y}_Gemm`;
      const constBias = c !== undefined && c !== '' && isFloatInit(c, 1) !== undefined;
      const product = c && !constBias ? newTensor(`${y}_product`) : y;
      out.push({
        name: newNode(`${base}_quant`), opType: 'MatMulIntegerToFloat', domain: CONTRIB_DOMAIN,
        input: [act.q, w.q, act.scale, w.scale, act.zeroPoint, w.zeroPoint, ...(constBias ? [c] : [])], output: [product],
      });
      if (product !== y) out.push({ name: newNode(`${base}_residual`), opType: 'Add', input: [product, c ?? ''], output: [y] });
      usesContrib = true;
      counted('Gemm');
      yield { done: weightBytesRead, total: weightBytesBefore };
      continue;
    }
    const attentionWeight = node.domain === CONTRIB_DOMAIN && node.opType === 'Attention' && isQuantizableAttention(node) ? isFloatInit(b, 2) : undefined;
    if (attentionWeight) {
      // Attention -> QAttention: the same projection with int8 weights on the quantized input. QAttention has no
      // mask_filter_value: a masked position gets -10000 instead of float32's min; both vanish in the softmax
      const act = sharedActivation(a);
      const w = quantizeWeight(attentionWeight, perColumn);
      const [, , bias, mask] = node.input ?? [];
      out.push({
        name: newNode(`${node.name || 'Attention'}_quant`), opType: 'QAttention', domain: CONTRIB_DOMAIN,
        input: [act.q, w.q, bias ?? '', act.scale, w.scale, mask ?? '', act.zeroPoint, w.zeroPoint], output: node.output ?? [],
        attribute: (node.attribute ?? []).filter((at) => at.name === 'num_heads' || at.name === 'unidirectional' || at.name === 'scale'),
      });
      counted('Attention');
      yield { done: weightBytesRead, total: weightBytesBefore };
      continue;
    }
    if (isDefaultDomain && node.opType === 'MatMul') {
      const weight = isFloatInit(b, 2);
      if (!weight) {
        matmulsKeptFloat++;
        out.push(node);
        continue;
      }
      const base = node.name || `${node.output?.[0] ?? 'MatMul'}_MatMul`;
      const act = sharedActivation(a);
      const w = quantizeWeight(weight, perColumn);
      const y = node.output?.[0] ?? '';
      const integer = newTensor(`${y}_output_quantized`);
      const asFloat = newTensor(`${integer}_cast_output`);
      const scales = newTensor(`${base}_quant_scales_mul:0`);
      out.push(
        { name: newNode(`${base}_quant`), opType: 'MatMulInteger', input: [act.q, w.q, act.zeroPoint, w.zeroPoint], output: [integer] },
        { name: newNode(`${integer}_cast`), opType: 'Cast', input: [integer], output: [asFloat], attribute: [attr.to] },
        { name: newNode(`${base}_quant_scales_mul`), opType: 'Mul', input: [act.scale, w.scale], output: [scales] },
        { name: newNode(`${base}_quant_output_scale_mul`), opType: 'Mul', input: [asFloat, scales], output: [y] },
      );
      counted('MatMul');
      yield { done: weightBytesRead, total: weightBytesBefore };
      continue;
    }
    if (isDefaultDomain && node.opType === 'Gather' && options.embeddings === 'int8' && isFloatInit(a)) {
      const table = isFloatInit(a) as ITensorProto;
      const w = quantizeWeight(table, false);
      const y = node.output?.[0] ?? '';
      const gathered = newTensor(`${y}_quantized`);
      const base = node.name || `${y}_Gather`;
      out.push(
        { ...node, name: newNode(`${base}_quant`), input: [w.q, ...(node.input ?? []).slice(1)], output: [gathered] },
        { name: newNode(`${gathered}_DequantizeLinear`), opType: 'DequantizeLinear', input: [gathered, w.scale, w.zeroPoint], output: [y] },
      );
      gathers++;
      yield { done: weightBytesRead, total: weightBytesBefore };
      continue;
    }
    if (isDefaultDomain && ['Gemm', 'Conv', 'Gather'].includes(node.opType ?? '') && isFloatInit(node.opType === 'Gather' ? a : b)) {
      keptFloat[node.opType ?? ''] = (keptFloat[node.opType ?? ''] ?? 0) + 1;
    }
    out.push(node);
  }
  if (matmuls === 0) throw new Error('the model has no MatMul, Gemm or Attention with a constant float weight to quantize');

  // Drop the float initializers nothing reads any more.
  const used = new Set<string>();
  for (const n of out) for (const i of n.input ?? []) used.add(i);
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  graph.node = out;
  if (usesContrib && !(model.opsetImport ?? []).some((o) => o.domain === CONTRIB_DOMAIN)) {
    model.opsetImport = [...(model.opsetImport ?? []), { domain: CONTRIB_DOMAIN, version: 1 }];
  }
  graph.initializer = [...initializers.filter((t) => !byName.has(t.name ?? '') || used.has(t.name ?? '')), ...added];
  const weightBytesAfter = graph.initializer.reduce((s, t) => s + tensorBytes(t), 0);

  const description = {
    method: 'dynamic int8 (onnxruntime quantize_dynamic, QOperator: DynamicQuantizeLinear + MatMulInteger; Gemm: MatMulIntegerToFloat; Attention: QAttention)',
    quantizedOps,
    weights: `int8 symmetric ${options.granularity}`,
    activations: 'uint8 asymmetric, per tensor, at run time',
    embeddings: options.embeddings === 'int8' ? 'int8 symmetric per-tensor + DequantizeLinear' : 'fp32',
    matmuls,
    gathers,
  };
  model.metadataProps = [...(model.metadataProps ?? []), { key: QUANTIZATION_METADATA_KEY, value: JSON.stringify(description) }];
  return { matmuls, quantizedOps, matmulsKeptFloat, gathers, keptFloat, weightBytesBefore, weightBytesAfter };
}

function decodeModel(bytes: Uint8Array): IModelProto {
  if (!LITTLE_ENDIAN) throw new Error('quantization needs a little-endian platform (ONNX raw_data is little-endian)');
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`not a valid ONNX file: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function quantizeSteps(bytes: Uint8Array, options: QuantizeOptions): { model: IModelProto; steps: Generator<QuantizeProgress, GraphReport> } {
  const model = decodeModel(bytes);
  return { model, steps: quantizeGraph(model, { granularity: options.granularity ?? 'per-column', embeddings: options.embeddings ?? 'int8' }) };
}

function encodeModel(model: IModelProto, report: GraphReport, bytesBefore: number): QuantizedOnnx {
  const written = onnx.ModelProto.encode(model).finish();
  return { bytes: written, report: { ...report, onnxBytesBefore: bytesBefore, onnxBytesAfter: written.length } };
}

export interface QuantizedOnnx {
  bytes: Uint8Array;
  report: QuantizeReport;
}

/** Quantizes ONNX model bytes; throws AlreadyQuantizedError for a model that is quantized already. */
export function quantizeOnnx(bytes: Uint8Array, options: QuantizeOptions = {}): QuantizedOnnx {
  const { model, steps } = quantizeSteps(bytes, options);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return encodeModel(model, step.value, bytes.length);
}

export interface QuantizeAsyncOptions extends QuantizeOptions {
  signal?: AbortSignal;
  onProgress?: (progress: QuantizeProgress) => void;
  /** yield to the event loop after about this much work (default 50 ms; one weight is never split) */
  sliceMs?: number;
}

/** quantizeOnnx in slices: yields to the event loop every sliceMs, reports progress, stops when signal aborts. */
export async function quantizeOnnxAsync(bytes: Uint8Array, options: QuantizeAsyncOptions = {}): Promise<QuantizedOnnx> {
  const sliceMs = options.sliceMs ?? 50;
  const pause = async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    options.signal?.throwIfAborted();
  };
  options.signal?.throwIfAborted();
  const { model, steps } = quantizeSteps(bytes, options);
  let sliceStart = performance.now();
  let step = steps.next();
  while (!step.done) {
    if (performance.now() - sliceStart >= sliceMs) {
      options.onProgress?.(step.value);
      await pause();
      sliceStart = performance.now();
    }
    step = steps.next();
  }
  await pause();
  const result = encodeModel(model, step.value, bytes.length);
  options.onProgress?.({ done: step.value.weightBytesBefore, total: step.value.weightBytesBefore });
  return result;
}
