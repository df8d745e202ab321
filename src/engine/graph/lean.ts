/**
 * The lean inference graph: the same function as the graphs of mobilebert.ts / bert.ts (transformers' modules, module
 * for module), rebuilt for onnxruntime's WebAssembly CPU kernels with fewer, larger nodes. The default of every build
 * (GraphVariant.lean: buildGraph, buildGraphAsync, buildOnnxFromCheckpoint*); lean: false builds the export-shaped
 * graphs byte for byte as before. int8: src/engine/quantize.ts (Gemm -> MatMulIntegerToFloat, Attention -> QAttention).
 *
 * DESIGN NOTE
 *
 * Every rewrite is exact algebra; only float rounding differs (weights are folded in float64 and rounded to float32
 * once). tests/lean-graph.test.ts holds it to PyTorch's logits within 1e-4 on every reference fixture (max diff seen
 * 1.9e-6) and to today's graph on random models of every config switch.
 *
 * MobileBERT (NoNorm): the token stream is kept 2-D [batch * sequence, width] so a dense layer is one Gemm (bias or
 * residual as its C input), and each residual stream is carried as an affine view of the tensor actually computed:
 * value = scale ⊙ (tensor + offset), per channel, known at build time (Stream below).
 *  - Folded, no residual between (bottleneck input, shared query/key bottleneck): NoNorm(x·W + b) = x·(W·g) + (b·g +
 *    beta): weight columns times g, bias times g plus beta. No node left.
 *  - Folded, residual between: NoNorm(x·W + b + r) with r = s ⊙ (t + c) is s·g ⊙ (t' + c') where t' = x·(W / s) + t
 *    (ONE Gemm, the residual as C) and c' = c + b/s + beta/(s·g). The r·g Mul is not kept: it becomes the stream's
 *    new scale, and whoever reads the stream folds scale into its weight rows and offset into its bias (dense
 *    layers, the attention projections, the heads). So every NoNorm Mul and Add and every bias Add disappear. The
 *    scale is a running product of NoNorm weights along a residual chain; where it would leave [2^-32, 2^32], or a
 *    weight is 0 (not invertible), one Mul re-bases the stream to scale 1: that Mul is what is kept, not folded
 *    (never for NoNorm weights near 1; tested with weights near 0 and exactly 0).
 *  - Merged projections: value reads the layer input; query and key read the shared bottleneck, itself a (folded)
 *    dense layer of the layer input. Composing the two linear maps (W_shared · W_q in float64) puts all three on the
 *    layer input, so the attention is ONE com.microsoft Attention node: weights [512, 384] (q | k | v), the mask as a
 *    [batch, sequence] int32 raw mask with mask_filter_value = float32 min, as transformers adds it. Cost: 512x256
 *    instead of 512x128 + 128x256 multiply-adds for query/key (~+3% of a window's work, measured ~+8 ms of ~290 ms
 *    at 128 tokens); the alternative without composing (a Gemm for the bottleneck, one for q|k, Split, Reshapes,
 *    MultiHeadAttention) measured no faster within noise and costs ~5 more nodes a layer.
 *  - relu is Max(x, 0), not Relu: onnxruntime fuses Gemm + Relu into FusedGemm, whose activation pass made the
 *    feed-forward layers ~60% slower (full-size model, onnxruntime-web 1.30, profiled); Max is not fused.
 *  - Embeddings: trigram input + embedding_transformation is a width-3 Conv along the sequence (no Slice/Pad/Concat);
 *    position rows are a Slice of the table (no id Gather).
 *  - MobileBERT with normalization_type layer_norm: SkipLayerNormalization (residual + bias + LayerNorm in one node)
 *    and LayerNormalization (opset 17); query/key and value on different tensors go through MultiHeadAttention.
 * BERT: 3-D stream; embeddings as Gathers + one SkipLayerNormalization (not EmbedLayerNormalization, whose word table
 *   quantize.ts could not store int8), Attention, MatMul +
 *   SkipLayerNormalization after the attention and the feed-forward, MatMul + BiasGelu (erf gelu) or FastGelu (tanh
 *   forms): 7 nodes a layer.
 *
 * onnxruntime-web 1.30 WebAssembly (a one-node session per op in Node, 1 thread): kernels exist for Attention,
 * MultiHeadAttention, SkipLayerNormalization (2-D and 3-D), SkipSimplifiedLayerNormalization, EmbedLayerNormalization,
 * LayerNormalization (opset 17), Gelu, BiasGelu, FastGelu, QuickGelu, FusedMatMul, FusedGemm, MatMulIntegerToFloat,
 * DynamicQuantizeMatMul, QAttention, QGemm, MatMulNBits; none for BiasAdd. Used: Attention, MultiHeadAttention,
 * SkipLayerNormalization, BiasGelu, FastGelu, QuickGelu.
 *
 * Measured (bench/lean-graph.ts, full-size MobileBERT QA, random weights, onnxruntime-web 1.30 in Node, 1 thread,
 * the two graphs interleaved, this 2-core shared machine, 2026-12-07), fp32:
 *   nodes after onnxruntime's optimisation: today 1,659 (int8: 1,354), lean 449 (a third of 1,354 is 451)
 *   session creation: today 2,749 ms, lean 343 ms (median of 5)
 *   per window, 128 tokens: today 290 ms, lean 295 ms; 384 tokens: today 1,120 ms, lean 1,165 ms (median of 40;
 *   within this machine's noise, the composition above is the cost that is real)
 *   graph build in Node: ~1.3 s lean vs ~0.35 s today (weights already read), most of it the q/k composition.
 * BERT (minilm-l12-h384 QA): 355 -> 93 nodes, session 362 -> 170 ms, per window 443 -> 429 ms (128 tokens).
 */
import type { Activation, BertConfig, Head, MobileBertConfig, ModelSpec } from './config.js';
import * as L from './layers.js';
import { TORCH_LAYER_NORM_EPS } from './mobilebert.js';
import type { Attrs, GraphBuilder } from './onnx-graph.js';

/** LayerNormalization is an ONNX operator from opset 17 on. */
export const LEAN_OPSET_VERSION = 17;

const INT32 = 6;
/** A stream's scale is re-based (one Mul) rather than leave this range: far from float32's limits either way. */
const MAX_SCALE_LOG2 = 32;

/**
 * A float tensor of the model, [tokens, width] (or [batch, sequence, width]), held as scale ⊙ (t + offset) per
 * channel over the tensor `t` the graph computes. undefined scale / offset: 1 / 0.
 */
interface Stream {
  readonly t: string;
  readonly width: number;
  readonly scale?: Float64Array;
  readonly offset?: Float64Array;
}

/** x · w + bias, not emitted yet (it may still be folded, composed or merged). w is [inF, outF], row-major. */
interface Dense {
  readonly x: string;
  readonly inF: number;
  readonly outF: number;
  readonly w: Float64Array;
  readonly bias: Float64Array;
}

/** An nn.Linear's parameters, w transposed to [inF, outF]. */
interface Linear {
  readonly inF: number;
  readonly outF: number;
  readonly w: Float64Array;
  readonly bias: Float64Array;
}

const plain = (t: string, width: number): Stream => ({ t, width });

function isSafeScale(s: Float64Array): boolean {
  return s.every((v) => Number.isFinite(v) && v !== 0 && Math.abs(Math.log2(Math.abs(v))) <= MAX_SCALE_LOG2);
}

/** The graph-writing side: folding arithmetic (float64) and the nodes it leaves. */
class Lean {
  private shape3?: string;
  private shapeOfIds?: string;
  readonly mask: string;

  /** rank2: the token stream is [batch * sequence, width] (Gemm everywhere); else [batch, sequence, width]. */
  constructor(
    readonly b: GraphBuilder,
    readonly x: L.Inputs,
    private readonly rank2: boolean,
  ) {
    // the attention mask as Attention/MultiHeadAttention take it: raw 0/1, int32, [batch, sequence]
    this.mask = b.op('Cast', 'attention_mask', [x.attentionMask], { to: INT32 });
  }

  // ---- parameters ----

  vector(name: string, size: number, init: 'ones' | 'zeros'): Float64Array {
    return Float64Array.from(this.b.read(name, [size], init));
  }

  linear(name: string, inF: number, outF: number): Linear {
    const sd = this.b.read(`${name}.weight`, [outF, inF], 'normal');
    const w = new Float64Array(inF * outF);
    for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) w[i * outF + o] = sd[o * inF + i];
    return { inF, outF, w, bias: this.vector(`${name}.bias`, outF, 'zeros') };
  }

  /** Reads the parameters of a module the forward pass never uses, so they are counted and checked as today. */
  unused(name: string, inF: number, outF: number, norm?: string): void {
    this.b.unusedParam(`${name}.weight`, [outF, inF], 'normal');
    this.b.unusedParam(`${name}.bias`, [outF], 'zeros');
    if (norm === undefined) return;
    this.b.unusedParam(`${norm}.weight`, [outF], 'ones');
    this.b.unusedParam(`${norm}.bias`, [outF], 'zeros');
  }

  // ---- algebra (no nodes) ----

  /** lin applied to a stream: its scale folds into the weight rows, its offset into the bias. */
  dense(s: Stream, lin: Linear): Dense {
    if (s.width !== lin.inF) throw new Error(`lean graph: ${lin.inF}-wide layer on a ${s.width}-wide stream`);
    const { inF, outF } = lin;
    const w = new Float64Array(lin.w);
    const bias = new Float64Array(lin.bias);
    for (let i = 0; i < inF; i++) {
      const scale = s.scale?.[i] ?? 1;
      const shift = scale * (s.offset?.[i] ?? 0);
      const row = i * outF;
      for (let o = 0; o < outF; o++) {
        if (shift !== 0) bias[o] += shift * lin.w[row + o];
        w[row + o] *= scale;
      }
    }
    return { x: s.t, inF, outF, w, bias };
  }

  /** lin(d(x)) as one map of x: w = d.w · lin.w, bias = d.bias · lin.w + lin.bias. */
  compose(d: Dense, lin: Linear): Dense {
    if (d.outF !== lin.inF) throw new Error(`lean graph: cannot compose ${d.outF} -> ${lin.inF}`);
    const { inF } = d;
    const mid = d.outF;
    const outF = lin.outF;
    const a = d.w;
    const bw = lin.w;
    const w = new Float64Array(inF * outF);
    // row i of the product accumulates a[i, k] * row k of lin.w, four k at a time: this loop is most of the
    // build (2 x 512 x 128 x 128 multiply-adds a full-size layer), and unrolled it runs ~2.5x faster in V8
    for (let i = 0; i < inF; i++) {
      const r = i * outF;
      const ar = i * mid;
      let k = 0;
      for (; k + 4 <= mid; k += 4) {
        const a0 = a[ar + k];
        const a1 = a[ar + k + 1];
        const a2 = a[ar + k + 2];
        const a3 = a[ar + k + 3];
        const l0 = k * outF;
        const l1 = l0 + outF;
        const l2 = l1 + outF;
        const l3 = l2 + outF;
        for (let o = 0; o < outF; o++) w[r + o] += a0 * bw[l0 + o] + a1 * bw[l1 + o] + a2 * bw[l2 + o] + a3 * bw[l3 + o];
      }
      for (; k < mid; k++) {
        const aik = a[ar + k];
        const l0 = k * outF;
        for (let o = 0; o < outF; o++) w[r + o] += aik * bw[l0 + o];
      }
    }
    const bias = new Float64Array(lin.bias);
    for (let k = 0; k < mid; k++) for (let o = 0; o < outF; o++) bias[o] += d.bias[k] * bw[k * outF + o];
    return { x: d.x, inF, outF, w, bias };
  }

  /** NoNorm right after a dense layer: scale into the weight columns, shift into the bias. */
  foldNoNorm(d: Dense, g: Float64Array, beta: Float64Array): Dense {
    const w = new Float64Array(d.w);
    for (let i = 0; i < d.inF; i++) for (let o = 0; o < d.outF; o++) w[i * d.outF + o] *= g[o];
    return { ...d, w, bias: d.bias.map((v, o) => v * g[o] + beta[o]) };
  }

  /** Dense layers of the same input as one, their outputs side by side. */
  concat(ds: readonly Dense[]): Dense {
    const { x, inF } = ds[0];
    if (ds.some((d) => d.x !== x || d.inF !== inF)) throw new Error('lean graph: merged projections must read the same input');
    const outF = ds.reduce((n, d) => n + d.outF, 0);
    const w = new Float64Array(inF * outF);
    const bias = new Float64Array(outF);
    let at = 0;
    for (const d of ds) {
      for (let i = 0; i < inF; i++) w.set(d.w.subarray(i * d.outF, (i + 1) * d.outF), i * outF + at);
      bias.set(d.bias, at);
      at += d.outF;
    }
    return { x, inF, outF, w, bias };
  }

  // ---- nodes ----

  private weight(name: string, d: Dense, divideColumnsBy?: Float64Array): string {
    const { inF, outF } = d;
    const w = Float32Array.from(d.w);
    if (divideColumnsBy) {
      const src = d.w;
      for (let i = 0; i < inF; i++) for (let o = 0; o < outF; o++) w[i * outF + o] = src[i * outF + o] / divideColumnsBy[o];
    }
    return this.b.initializer(`${name}.weight`, [inF, outF], w);
  }

  private biasOf(name: string, values: Float64Array): string {
    return this.b.initializer(`${name}.bias`, [values.length], Float32Array.from(values));
  }

  /** x · w without the bias (the bias goes elsewhere: a fused op's bias input, a stream's offset). */
  matmul(d: Dense, name: string): string {
    return this.b.op('MatMul', name, [d.x, this.weight(name, d)]);
  }

  /** x · w + bias as one Gemm (x must be 2-D). */
  gemm(d: Dense, name: string, outputName?: string): string {
    return this.b.op('Gemm', name, [d.x, this.weight(name, d), this.biasOf(name, d.bias)], {}, outputName);
  }

  /** x · w + bias: one Gemm in the 2-D layout, MatMul + Add in the 3-D one. */
  emit(d: Dense, name: string): string {
    if (this.rank2) return this.gemm(d, name);
    return this.b.op('Add', name, [this.matmul(d, name), this.biasOf(name, d.bias)]);
  }

  /**
   * d + r as a stream with r's scale: t' = x · (w / scale) + r.t (Gemm with r as C, or MatMul + Add), and d's bias
   * joins the offset.
   */
  addResidual(d: Dense, r: Stream, name: string): Stream {
    if (d.outF !== r.width) throw new Error(`lean graph: ${d.outF}-wide layer added to a ${r.width}-wide stream`);
    const w = this.weight(name, d, r.scale);
    const t = this.rank2 ? this.b.op('Gemm', name, [d.x, w, r.t]) : this.b.op('Add', name, [this.b.op('MatMul', name, [d.x, w]), r.t]);
    const offset = d.bias.map((v, o) => v / (r.scale?.[o] ?? 1) + (r.offset?.[o] ?? 0));
    return { t, width: r.width, scale: r.scale, offset };
  }

  /** NoNorm on a stream: a new scale and offset, or (scale out of range, a zero weight) one Mul that re-bases it. */
  noNorm(s: Stream, g: Float64Array, beta: Float64Array, name: string): Stream {
    const scale = g.map((v, o) => v * (s.scale?.[o] ?? 1));
    if (isSafeScale(scale)) return { t: s.t, width: s.width, scale, offset: beta.map((v, o) => (s.offset?.[o] ?? 0) + v / scale[o]) };
    const t = this.b.op('Mul', name, [s.t, this.b.initializer(`${name}.scale`, [s.width], Float32Array.from(scale))]);
    return { t, width: s.width, offset: beta.map((v, o) => (s.offset?.[o] ?? 0) * scale[o] + v) };
  }

  /** The stream's scale multiplied in (offset kept): what ops that need a plain skip input get. */
  unscaled(s: Stream, name: string): Stream {
    if (!s.scale) return s;
    const t = this.b.op('Mul', name, [s.t, this.b.initializer(`${name}.scale`, [s.width], Float32Array.from(s.scale))]);
    return { t, width: s.width, offset: s.offset?.map((v, o) => v * (s.scale?.[o] ?? 1)) };
  }

  /** The stream's actual values as a tensor. */
  materialize(s: Stream, name: string): string {
    const u = this.unscaled(s, name);
    if (!u.offset || u.offset.every((v) => v === 0)) return u.t;
    return this.b.op('Add', name, [u.t, this.biasOf(`${name}.offset`, u.offset)]);
  }

  /** LayerNorm over the last axis of d + r (+ d's bias): MatMul then SkipLayerNormalization. */
  skipLayerNorm(d: Dense, r: Stream, normName: string, name: string, eps: number): Stream {
    const skip = this.unscaled(r, `${name}.skip`);
    const bias = d.bias.map((v, o) => v + (skip.offset?.[o] ?? 0));
    const gamma = this.b.param(`${normName}.weight`, [d.outF], 'ones');
    const beta = this.b.param(`${normName}.bias`, [d.outF], 'zeros');
    const t = this.b.contrib('SkipLayerNormalization', name, [this.matmul(d, name), skip.t, gamma, beta, this.biasOf(name, bias)], { epsilon: { float: eps } });
    return plain(t, d.outF);
  }

  /** LayerNormalization (opset 17) of a tensor. */
  layerNorm(t: string, width: number, normName: string, eps: number): Stream {
    const gamma = this.b.param(`${normName}.weight`, [width], 'ones');
    const beta = this.b.param(`${normName}.bias`, [width], 'zeros');
    return plain(this.b.op('LayerNormalization', normName, [t, gamma, beta], { axis: -1, epsilon: { float: eps } }), width);
  }

  /** The activation of a dense layer's output, fused with its bias where onnxruntime has the kernel. */
  activate(d: Dense, name: string, act: Activation): Stream {
    const width = d.outF;
    switch (act) {
      case 'gelu':
        return plain(this.b.contrib('BiasGelu', name, [this.matmul(d, name), this.biasOf(name, d.bias)]), width);
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast':
        // 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))): FastGelu's formula exactly (gelu_fast writes it factored)
        return plain(this.b.contrib('FastGelu', name, [this.matmul(d, name), this.biasOf(name, d.bias)]), width);
      case 'quick_gelu':
        return plain(this.b.contrib('QuickGelu', name, [this.emit(d, name)], { alpha: { float: 1.702 } }), width);
      case 'relu':
        // max(x, 0), not Relu: onnxruntime fuses Gemm + Relu into FusedGemm, whose activation pass made the
        // full-size model's feed-forward layers ~60% slower in onnxruntime-web 1.30 (measured); Max is not fused
        return plain(this.b.op('Max', name, [this.emit(d, name), this.b.constFloat([0], [])]), width);
      default:
        return plain(L.activation(this.b, name, this.emit(d, name), act), width);
    }
  }

  /** Concat(Shape(input_ids), [-1]): [batch, sequence, -1], to see a 2-D token tensor as 3-D. */
  private tokens3d(): string {
    this.shape3 ??= this.b.op('Concat', 'tokens_3d', [this.idsShape(), this.b.constInt64([-1])], { axis: 0 });
    return this.shape3;
  }

  idsShape(): string {
    this.shapeOfIds ??= this.b.op('Shape', 'input_shape', [this.x.inputIds]);
    return this.shapeOfIds;
  }

  to3d(t: string, name: string): string {
    return this.rank2 ? this.b.op('Reshape', name, [t, this.tokens3d()]) : t;
  }

  to2d(t: string, width: number, name: string): string {
    return this.rank2 ? this.b.op('Reshape', name, [t, this.b.constInt64([-1, width])]) : t;
  }

  /**
   * Scaled dot-product self-attention with the additive padding mask, from the three projections: one Attention
   * node when they read the same tensor (weights merged [in, q + k + v]), else MultiHeadAttention on the projected
   * tensors. Returns the context [tokens, allHead] in the stream's layout.
   */
  attention(p: string, q: Dense, k: Dense, v: Dense, heads: number): string {
    const allHead = q.outF;
    const attrs = { num_heads: heads, mask_filter_value: { float: L.FLOAT32_MIN } };
    let context: string;
    if (q.x === k.x && k.x === v.x) {
      const qkv = this.concat([q, k, v]);
      const sizes: Attrs = v.outF === allHead && k.outF === allHead ? {} : { qkv_hidden_sizes: [q.outF, k.outF, v.outF] };
      const input = this.to3d(q.x, `${p}.input`);
      context = this.b.contrib('Attention', p, [input, this.weight(`${p}.qkv`, qkv), this.biasOf(`${p}.qkv`, qkv.bias), this.mask], { ...attrs, ...sizes });
    } else {
      // one MatMul per distinct input (merged where two share one), biases into the op's bias input
      const projected = new Map<string, string[]>();
      for (const group of [...new Set([q.x, k.x, v.x])]) {
        const members = [q, k, v].filter((d) => d.x === group);
        const merged = this.concat(members);
        const name = `${p}.${members.map((d) => 'qkv'[[q, k, v].indexOf(d)]).join('')}`;
        const out = this.to3d(this.matmul(merged, name), `${name}.3d`);
        const parts = members.length === 1 ? [out] : this.b.opN('Split', name, [out, this.b.constInt64(members.map((d) => d.outF))], { axis: -1 }, members.map(() => undefined));
        projected.set(group, parts);
      }
      const take = (d: Dense): string => {
        const parts = projected.get(d.x) ?? [];
        const members = [q, k, v].filter((m) => m.x === d.x);
        return parts[members.indexOf(d)];
      };
      const bias = Float64Array.from([...q.bias, ...k.bias, ...v.bias]);
      context = this.b.contrib('MultiHeadAttention', p, [take(q), take(k), take(v), this.biasOf(p, bias), this.mask], attrs);
    }
    return this.to2d(context, allHead, `${p}.context`);
  }
}

type MobileBertSpec = Extract<ModelSpec, { modelType: 'mobilebert' }>;
type BertSpec = Extract<ModelSpec, { modelType: 'bert' }>;

/** QA head: qa_outputs on the sequence output, start/end taken from the last axis. */
function qaHead(m: Lean, h: Stream): void {
  const logits = m.to3d(m.emit(m.dense(h, m.linear('qa_outputs', h.width, 2)), 'qa_outputs'), 'qa_outputs.3d');
  m.b.op('Gather', 'start_logits', [logits, m.b.constInt64([0], [])], { axis: 2 }, 'start_logits');
  m.b.op('Gather', 'end_logits', [logits, m.b.constInt64([1], [])], { axis: 2 }, 'end_logits');
  m.b.output('start_logits', 'float32', ['batch_size', 'sequence_length']);
  m.b.output('end_logits', 'float32', ['batch_size', 'sequence_length']);
}

/** Token 0 of the sequence output (its scale and offset are the stream's, per channel). */
function firstToken(m: Lean, h: Stream, p: string): Stream {
  const first = m.b.op('Gather', p, [m.to3d(h.t, `${p}.3d`), m.b.constInt64([0], [])], { axis: 1 });
  return { ...h, t: first };
}

// the pooled token is [batch, width] in either layout: one Gemm each
function classifierHead(m: Lean, pooled: Stream, head: Extract<Head, { kind: 'classify' }>): void {
  m.gemm(m.dense(pooled, m.linear('classifier', pooled.width, head.numLabels)), 'classifier', 'logits');
  m.b.output('logits', 'float32', ['batch_size', head.numLabels]);
}

function tanhPooler(m: Lean, first: Stream, p: string): Stream {
  return plain(m.b.op('Tanh', p, [m.gemm(m.dense(first, m.linear(`${p}.dense`, first.width, first.width)), `${p}.dense`)]), first.width);
}

// ---- MobileBERT ----

/** A dense layer then its norm, no residual between: NoNorm folds into the layer; LayerNorm is a node. */
function denseNorm(m: Lean, cfg: MobileBertConfig, d: Dense, p: string, eps: number): Dense | Stream {
  if (cfg.normalizationType === 'no_norm') return m.foldNoNorm(d, m.vector(`${p}.LayerNorm.weight`, d.outF, 'ones'), m.vector(`${p}.LayerNorm.bias`, d.outF, 'zeros'));
  return m.layerNorm(m.emit(d, `${p}.dense`), d.outF, `${p}.LayerNorm`, eps);
}

/** dense -> + residual -> norm (SelfOutput, FFNOutput, MobileBertOutput, OutputBottleneck). */
function denseResidualNorm(m: Lean, cfg: MobileBertConfig, d: Dense, residual: Stream, p: string, eps: number): Stream {
  if (cfg.normalizationType === 'layer_norm') return m.skipLayerNorm(d, residual, `${p}.LayerNorm`, p, eps);
  const sum = m.addResidual(d, residual, `${p}.dense`);
  return m.noNorm(sum, m.vector(`${p}.LayerNorm.weight`, d.outF, 'ones'), m.vector(`${p}.LayerNorm.bias`, d.outF, 'zeros'), `${p}.LayerNorm`);
}

const isDense = (v: Dense | Stream): v is Dense => 'w' in v;

/** A projection of a source that may still be a dense layer (composed) or a stream (read). */
function project(m: Lean, src: Dense | Stream, lin: Linear): Dense {
  return isDense(src) ? m.compose(src, lin) : m.dense(src, lin);
}

function asStream(m: Lean, v: Dense | Stream, name: string): Stream {
  return isDense(v) ? plain(m.emit(v, name), v.outF) : v;
}

function mobileBertEmbeddings(m: Lean, cfg: MobileBertConfig): Stream {
  const { b, x } = m;
  const p = 'mobilebert.embeddings';
  const H = cfg.hiddenSize;
  const E = cfg.embeddingSize;
  const words = L.embedding(b, `${p}.word_embeddings`, x.inputIds, cfg.vocabSize, E, cfg.padTokenId);
  const width = cfg.trigramInput ? 3 * E : E;
  // position rows 0..S-1 are the table's first S rows: a Slice, no id Gather
  const positionTable = b.param(`${p}.position_embeddings.weight`, [cfg.maxPositionEmbeddings, H], 'normal');
  const seqLen = b.op('Gather', `${p}.seq_length`, [m.idsShape(), b.constInt64([1])], { axis: 0 });
  const positions = b.op('Slice', `${p}.position_embeddings`, [positionTable, b.constInt64([0]), seqLen, b.constInt64([0])]);
  const tokenTypes = L.embedding(b, `${p}.token_type_embeddings`, x.tokenTypeIds, cfg.typeVocabSize, H);
  const positionAndType = b.op('Add', p, [tokenTypes, positions]);
  let sum: Stream;
  if (cfg.trigramInput) {
    // embedding_transformation(concat(next, self, previous), zero-padded at the ends) is a convolution of
    // width 3 along the sequence: tap 0 reads token i-1 (the "previous" columns), tap 1 token i, tap 2 token i+1
    const lin = m.linear(`${p}.embedding_transformation`, width, H);
    const kernel = new Float32Array(H * E * 3);
    const tapColumns = [2 * E, E, 0];
    for (let o = 0; o < H; o++) {
      for (let e = 0; e < E; e++) for (let k = 0; k < 3; k++) kernel[(o * E + e) * 3 + k] = lin.w[(tapColumns[k] + e) * H + o];
    }
    const channelsFirst = b.op('Transpose', `${p}.trigram`, [words], { perm: [0, 2, 1] });
    const conv = b.op('Conv', `${p}.embedding_transformation`, [channelsFirst, b.initializer(`${p}.embedding_transformation.kernel`, [H, E, 3], kernel)], { kernel_shape: [3], pads: [1, 1] });
    const transformed = b.op('Transpose', `${p}.embedding_transformation`, [conv], { perm: [0, 2, 1] });
    sum = { t: m.to2d(b.op('Add', p, [transformed, positionAndType]), H, `${p}.2d`), width: H, offset: lin.bias };
  } else if (E !== H) {
    const d = m.dense(plain(m.to2d(words, width, `${p}.words.2d`), width), m.linear(`${p}.embedding_transformation`, width, H));
    sum = m.addResidual(d, plain(m.to2d(positionAndType, H, `${p}.2d`), H), `${p}.embedding_transformation`);
  } else {
    m.unused(`${p}.embedding_transformation`, width, H);
    sum = plain(m.to2d(b.op('Add', p, [words, positionAndType]), H, `${p}.2d`), H);
  }
  if (cfg.normalizationType === 'no_norm') return m.noNorm(sum, m.vector(`${p}.LayerNorm.weight`, H, 'ones'), m.vector(`${p}.LayerNorm.bias`, H, 'zeros'), `${p}.LayerNorm`);
  return m.layerNorm(m.materialize(sum, `${p}.sum`), H, `${p}.LayerNorm`, TORCH_LAYER_NORM_EPS);
}

function mobileBertLayer(m: Lean, cfg: MobileBertConfig, i: number, h: Stream): Stream {
  const p = `mobilebert.encoder.layer.${i}`;
  const t = cfg.trueHiddenSize;
  const H = cfg.hiddenSize;
  const eps = cfg.layerNormEps;
  let layerInput: Dense | Stream = h;
  let qk: Dense | Stream = h;
  let v: Dense | Stream = h;
  if (cfg.useBottleneck) {
    const intra = cfg.intraBottleneckSize;
    layerInput = denseNorm(m, cfg, m.dense(h, m.linear(`${p}.bottleneck.input.dense`, H, intra)), `${p}.bottleneck.input`, eps);
    if (cfg.useBottleneckAttention) {
      if (cfg.keyQuerySharedBottleneck) m.unused(`${p}.bottleneck.attention.dense`, H, intra, `${p}.bottleneck.attention.LayerNorm`);
      qk = layerInput;
      v = layerInput;
    } else if (cfg.keyQuerySharedBottleneck) {
      qk = denseNorm(m, cfg, m.dense(h, m.linear(`${p}.bottleneck.attention.dense`, H, intra)), `${p}.bottleneck.attention`, eps);
    }
  }
  const a = `${p}.attention.self`;
  const qkWidth = t;
  const vWidth = cfg.useBottleneckAttention ? t : H;
  const query = project(m, qk, m.linear(`${a}.query`, qkWidth, t));
  const key = project(m, qk, m.linear(`${a}.key`, qkWidth, t));
  const value = project(m, v, m.linear(`${a}.value`, vWidth, t));
  const context = plain(m.attention(a, query, key, value, cfg.numAttentionHeads), t);
  const residual = asStream(m, layerInput, `${p}.bottleneck.input.dense`);
  let out = denseResidualNorm(m, cfg, m.dense(context, m.linear(`${p}.attention.output.dense`, t, t)), residual, `${p}.attention.output`, eps);
  const ffn = (f: string, eps2: number): void => {
    const inner = m.activate(m.dense(out, m.linear(`${f}.intermediate.dense`, t, cfg.intermediateSize)), `${f}.intermediate.dense`, cfg.hiddenAct);
    out = denseResidualNorm(m, cfg, m.dense(inner, m.linear(`${f}.output.dense`, cfg.intermediateSize, t)), out, `${f}.output`, eps2);
  };
  for (let f = 0; f < cfg.numFeedforwardNetworks - 1; f++) ffn(`${p}.ffn.${f}`, eps);
  // MobileBertOutput's norm takes torch's default eps, as in mobilebert.ts
  ffn(p, TORCH_LAYER_NORM_EPS);
  if (!cfg.useBottleneck) return out;
  return denseResidualNorm(m, cfg, m.dense(out, m.linear(`${p}.output.bottleneck.dense`, t, H)), h, `${p}.output.bottleneck`, eps);
}

export function* leanMobileBertGraph(b: GraphBuilder, spec: MobileBertSpec): Generator<void, void, void> {
  const cfg = spec.config;
  const m = new Lean(b, L.modelInputs(b), true);
  let h = mobileBertEmbeddings(m, cfg);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    yield;
    h = mobileBertLayer(m, cfg, i, h);
  }
  if (spec.head.kind === 'qa') return qaHead(m, h);
  const first = firstToken(m, h, 'mobilebert.pooler');
  classifierHead(m, cfg.classifierActivation ? tanhPooler(m, first, 'mobilebert.pooler') : first, spec.head);
}

// ---- BERT ----

function bertLayer(m: Lean, cfg: BertConfig, i: number, h: Stream): Stream {
  const p = `bert.encoder.layer.${i}`;
  const H = cfg.hiddenSize;
  const a = `${p}.attention.self`;
  const [q, k, v] = ['query', 'key', 'value'].map((n) => m.dense(h, m.linear(`${a}.${n}`, H, H)));
  const context = plain(m.attention(a, q, k, v, cfg.numAttentionHeads), H);
  const attention = m.skipLayerNorm(m.dense(context, m.linear(`${p}.attention.output.dense`, H, H)), h, `${p}.attention.output.LayerNorm`, `${p}.attention.output`, cfg.layerNormEps);
  const inner = m.activate(m.dense(attention, m.linear(`${p}.intermediate.dense`, H, cfg.intermediateSize)), `${p}.intermediate.dense`, cfg.hiddenAct);
  return m.skipLayerNorm(m.dense(inner, m.linear(`${p}.output.dense`, cfg.intermediateSize, H)), attention, `${p}.output.LayerNorm`, `${p}.output`, cfg.layerNormEps);
}

export function* leanBertGraph(b: GraphBuilder, spec: BertSpec): Generator<void, void, void> {
  const cfg = spec.config;
  const x = L.modelInputs(b);
  const m = new Lean(b, x, false);
  const p = 'bert.embeddings';
  const H = cfg.hiddenSize;
  // word + (position 0..S-1 + token type), then LayerNorm: SkipLayerNormalization. Not EmbedLayerNormalization: the
  // word table (most of a compact BERT's bytes) must stay a plain Gather, which quantize.ts stores int8
  const words = L.embedding(b, `${p}.word_embeddings`, x.inputIds, cfg.vocabSize, H, cfg.padTokenId);
  const positionTable = b.param(`${p}.position_embeddings.weight`, [cfg.maxPositionEmbeddings, H], 'normal');
  const seqLen = b.op('Gather', `${p}.seq_length`, [m.idsShape(), b.constInt64([1])], { axis: 0 });
  const positions = b.op('Slice', `${p}.position_embeddings`, [positionTable, b.constInt64([0]), seqLen, b.constInt64([0])]);
  const tokenTypes = L.embedding(b, `${p}.token_type_embeddings`, x.tokenTypeIds, cfg.typeVocabSize, H);
  const positionAndType = b.op('Add', p, [tokenTypes, positions]);
  const gamma = b.param(`${p}.LayerNorm.weight`, [H], 'ones');
  const beta = b.param(`${p}.LayerNorm.bias`, [H], 'zeros');
  const embedded = b.contrib('SkipLayerNormalization', `${p}.LayerNorm`, [words, positionAndType, gamma, beta], { epsilon: { float: cfg.layerNormEps } });
  let h = plain(embedded, H);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    yield;
    h = bertLayer(m, cfg, i, h);
  }
  if (spec.head.kind === 'qa') return qaHead(m, h);
  classifierHead(m, tanhPooler(m, firstToken(m, h, 'bert.pooler'), 'bert.pooler'), spec.head);
}

export function leanGraph(b: GraphBuilder, spec: ModelSpec): Generator<void, void, void> {
  return spec.modelType === 'mobilebert' ? leanMobileBertGraph(b, spec) : leanBertGraph(b, spec);
}
