/**
 * A tiny ONNX graph builder on top of onnx-proto (protobufjs). No Node or DOM API: the extension builds graphs in
 * its background, the CLI in Node.
 *
 * Tensors are referred to by name (string). Parameters are asked of a WeightSource by their PyTorch state_dict
 * name and shape (nn.Linear weights [out, in]), so the same graph is filled from a checkpoint or with random
 * values. Weights go into TensorProto.raw_data straight from Float32Array views, so a 100 MB model never becomes
 * a JS array of numbers.
 */
import onnxPkg from 'onnx-proto';
import type * as OnnxTypes from 'onnx-proto';

const { onnx } = onnxPkg;
type INodeProto = OnnxTypes.onnx.INodeProto;
type ITensorProto = OnnxTypes.onnx.ITensorProto;
type IValueInfoProto = OnnxTypes.onnx.IValueInfoProto;
type IAttributeProto = OnnxTypes.onnx.IAttributeProto;

// raw_data is little-endian by the ONNX spec; typed arrays use the platform's order.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type ElemType = 'float32' | 'int64';
/** A dimension: a fixed size, or a symbolic name (dim_param) such as "batch_size". */
export type Dim = number | string;
/** Attribute values: an integer (INT), a float (FLOAT), a list of integers (INTS) or a string (STRING). */
export type AttrValue = number | readonly number[] | string | { float: number };
export type Attrs = Readonly<Record<string, AttrValue>>;

/**
 * How transformers initialises a parameter (its _init_weights): normal for Linear/Embedding weights (an embedding's
 * padding row zero), zeros for biases, ones for norm scales. Only random weight sources use it.
 */
export type ParamInit = 'normal' | 'zeros' | 'ones' | { normalWithZeroRow: number };

/** Supplies parameter values in the state_dict's layout; the builder asks once per parameter, in graph order. */
export interface WeightSource {
  tensor(name: string, dims: readonly number[], init: ParamInit): Float32Array;
}

export interface ModelOptions {
  graphName: string;
  opsetVersion: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata: Readonly<Record<string, string>>;
}

const ELEM_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** onnxruntime's contrib operator domain (Attention, SkipLayerNormalization, ...): only the lean graph uses it. */
export const CONTRIB_DOMAIN = 'com.microsoft';

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function toAttribute(name: string, value: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'object' && 'float' in value) return { name, type: T.FLOAT, f: value.float };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: only integer attributes are supported`);
    return { name, type: T.INT, i: value };
  }
  return { name, type: T.INTS, ints: [...value] };
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly tensorNames = new Set<string>();
  /** Constant initializers deduplicated by content, as the PyTorch exporter does. */
  private readonly constants = new Map<string, string>();
  private paramCount = 0;
  /** whether a node of CONTRIB_DOMAIN was added (the model then imports that domain) */
  private usesContrib = false;
  /** Every parameter asked for, in graph order, with its state_dict shape. */
  readonly params: Array<{ name: string; shape: number[] }> = [];

  /** weights: undefined to record the parameters' names and shapes only (initializers left empty). */
  constructor(private readonly weights: WeightSource | undefined) {
    if (!LITTLE_ENDIAN) throw new Error('GraphBuilder needs a little-endian platform (ONNX raw_data is little-endian)');
  }

  /** Number of trainable parameters (float initializers made by param()), constants excluded. */
  get parameterCount(): number {
    return this.paramCount;
  }

  get initializerNames(): string[] {
    return this.initializers.map((t) => t.name ?? '');
  }

  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.claimTensor(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares an existing tensor (made with an explicit output name) as a graph output. */
  output(name: string, type: ElemType, dims: readonly Dim[]): void {
    if (!this.tensorNames.has(name)) throw new Error(`graph output ${name} is not produced by any node`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A trainable float32 parameter named and shaped as in the PyTorch state dict. */
  param(name: string, dims: readonly number[], init: ParamInit): string {
    const data = this.fetch(name, dims, init);
    this.addInitializer(name, 'float32', dims, data ? bytesOf(data) : new Uint8Array(0));
    return name;
  }

  /**
   * A parameter the module has but its forward pass never uses (e.g. MobileBERT's embedding_transformation when
   * there is nothing to transform): read, so a checkpoint is checked against the full state dict, but not stored.
   */
  unusedParam(name: string, dims: readonly number[], init: ParamInit): void {
    this.fetch(name, dims, init);
  }

  /**
   * nn.Linear's weight [out, in] from the source, stored TRANSPOSED as [in, out] under the same name: the
   * layout PyTorch's exporter folds into MatMul initializers, so the graph is one MatMul per Linear.
   */
  private linearWeight(name: string, inFeatures: number, outFeatures: number): string {
    const w = this.fetch(name, [outFeatures, inFeatures], 'normal');
    if (!w) {
      this.addInitializer(name, 'float32', [inFeatures, outFeatures], new Uint8Array(0));
      return name;
    }
    const t = new Float32Array(w.length);
    for (let o = 0; o < outFeatures; o++) {
      const row = o * inFeatures;
      for (let i = 0; i < inFeatures; i++) t[i * outFeatures + o] = w[row + i];
    }
    this.addInitializer(name, 'float32', [inFeatures, outFeatures], bytesOf(t));
    return name;
  }

  /**
   * A parameter's values in the state_dict's layout, counted and recorded like param() but not stored: the lean
   * graph folds parameters into others and stores the results with initializer().
   */
  read(name: string, dims: readonly number[], init: ParamInit): Float32Array {
    const data = this.fetch(name, dims, init);
    if (!data) throw new Error(`param ${name}: the lean graph needs weights (no WeightSource given)`);
    return data;
  }

  /** A float32 initializer of computed values (e.g. a folded weight), not counted as a parameter. */
  initializer(name: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    this.addInitializer(name, 'float32', dims, bytesOf(data));
    return name;
  }

  private fetch(name: string, dims: readonly number[], init: ParamInit): Float32Array | undefined {
    const size = dims.reduce((a, b) => a * b, 1);
    this.paramCount += size;
    this.params.push({ name, shape: [...dims] });
    if (!this.weights) return undefined;
    const data = this.weights.tensor(name, dims, init);
    if (data.length !== size) throw new Error(`param ${name}: got ${data.length} values for dims [${dims}]`);
    return data;
  }

  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('int64', dims, bytesOf(BigInt64Array.from(values, (v) => BigInt(v))), values);
  }

  constFloat(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('float32', dims, bytesOf(Float32Array.from(values)), values);
  }

  /** One node with one output; returns the output's name (`outputName`, or derived from the node name). */
  op(opType: string, name: string, inputs: readonly string[], attrs: Attrs = {}, outputName?: string): string {
    return this.opN(opType, name, inputs, attrs, [outputName])[0];
  }

  /** One node with several outputs; `outputNames[i]` undefined => a name derived from the node's. */
  opN(
    opType: string,
    name: string,
    inputs: readonly string[],
    attrs: Attrs,
    outputNames: readonly (string | undefined)[],
  ): string[] {
    return this.node('', opType, name, inputs, attrs, outputNames);
  }

  /** One node of onnxruntime's contrib domain (com.microsoft) with one output. */
  contrib(opType: string, name: string, inputs: readonly string[], attrs: Attrs = {}, outputName?: string): string {
    return this.contribN(opType, name, inputs, attrs, [outputName])[0];
  }

  /** One contrib node with several outputs (as opN). */
  contribN(opType: string, name: string, inputs: readonly string[], attrs: Attrs, outputNames: readonly (string | undefined)[]): string[] {
    this.usesContrib = true;
    return this.node(CONTRIB_DOMAIN, opType, name, inputs, attrs, outputNames);
  }

  private node(
    domain: string,
    opType: string,
    name: string,
    inputs: readonly string[],
    attrs: Attrs,
    outputNames: readonly (string | undefined)[],
  ): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.tensorNames.has(i)) throw new Error(`${opType} ${name}: unknown input tensor ${i}`);
    }
    const nodeName = this.uniqueNodeName(`${name}/${opType}`);
    const outs = outputNames.map((o, i) => o ?? `${nodeName}_output_${i}`);
    outs.forEach((o) => this.claimTensor(o));
    this.nodes.push({
      name: nodeName,
      opType,
      // set only for contrib nodes, so graphs without them encode as they always did
      ...(domain ? { domain } : {}),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return outs;
  }

  /**
   * nn.Linear applied to a tensor of rank >= 3, as PyTorch exports it: MatMul with the weight stored
   * TRANSPOSED as [in, out] (the exporter folds the transpose into the initializer), then Add of the bias.
   * Initializers: `${name}.weight` [in, out] and `${name}.bias` [out].
   */
  linear(name: string, x: string, inFeatures: number, outFeatures: number): string {
    const w = this.linearWeight(`${name}.weight`, inFeatures, outFeatures);
    const b = this.param(`${name}.bias`, [outFeatures], 'zeros');
    const y = this.op('MatMul', name, [x, w]);
    return this.op('Add', name, [y, b]);
  }

  /** nn.Linear on a 2-D input: PyTorch exports it as one Gemm. Weight kept [in, out] like linear() (transB = 0). */
  gemm(name: string, x: string, inFeatures: number, outFeatures: number, outputName?: string): string {
    const w = this.linearWeight(`${name}.weight`, inFeatures, outFeatures);
    const b = this.param(`${name}.bias`, [outFeatures], 'zeros');
    return this.op('Gemm', name, [x, w, b], {}, outputName);
  }

  /** MobileBERT's NoNorm: x * weight + bias (elementwise, no statistics). */
  noNorm(name: string, x: string, size: number): string {
    const w = this.param(`${name}.weight`, [size], 'ones');
    const b = this.param(`${name}.bias`, [size], 'zeros');
    return this.op('Add', name, [this.op('Mul', name, [x, w]), b]);
  }

  /**
   * nn.LayerNorm over the last axis, in the decomposed form PyTorch exports at opset 14 (onnxruntime fuses it
   * back into one LayerNormalization kernel): (x - mean) / sqrt(var + eps) * weight + bias.
   */
  layerNorm(name: string, x: string, size: number, eps: number): string {
    const w = this.param(`${name}.weight`, [size], 'ones');
    const b = this.param(`${name}.bias`, [size], 'zeros');
    const mean = this.op('ReduceMean', name, [x], { axes: [-1], keepdims: 1 });
    const centred = this.op('Sub', name, [x, mean]);
    const squared = this.op('Pow', name, [centred, this.constFloat([2], [])]);
    const variance = this.op('ReduceMean', name, [squared], { axes: [-1], keepdims: 1 });
    const std = this.op('Sqrt', name, [this.op('Add', name, [variance, this.constFloat([eps], [])])]);
    const normed = this.op('Div', name, [centred, std]);
    return this.op('Add', name, [this.op('Mul', name, [normed, w]), b]);
  }

  encodeModel(opts: ModelOptions): Uint8Array {
    const model: OnnxTypes.onnx.IModelProto = {
      irVersion: opts.irVersion,
      opsetImport: [{ domain: '', version: opts.opsetVersion }, ...(this.usesContrib ? [{ domain: CONTRIB_DOMAIN, version: 1 }] : [])],
      producerName: opts.producerName,
      producerVersion: opts.producerVersion,
      docString: opts.docString ?? '',
      graph: {
        name: opts.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    };
    return onnx.ModelProto.encode(model).finish();
  }

  private constant(type: ElemType, dims: readonly number[], raw: Uint8Array, values: readonly number[]): string {
    const key = `${type}[${dims.join(',')}]:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = `const_${this.constants.size}`;
    this.constants.set(key, name);
    this.addInitializer(name, type, dims, raw);
    return name;
  }

  private addInitializer(name: string, type: ElemType, dims: readonly number[], raw: Uint8Array): void {
    this.claimTensor(name);
    this.initializers.push({ name, dims: [...dims], dataType: ELEM_TYPE[type], rawData: raw });
  }

  private claimTensor(name: string): void {
    if (this.tensorNames.has(name)) throw new Error(`tensor name used twice: ${name}`);
    this.tensorNames.add(name);
  }

  private uniqueNodeName(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }
}
