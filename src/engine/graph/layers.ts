// The pieces MobileBERT and BERT share, each written as PyTorch's exporter (opset 14) writes the transformers
// module it names, so both builders produce the graphs users would get from torch.onnx.export.
import type { Activation, Head } from './config.js';
import type { GraphBuilder } from './onnx-graph.js';

/** torch.finfo(torch.float32).min: what transformers' get_extended_attention_mask multiplies (1 - mask) by. */
export const FLOAT32_MIN = -3.4028234663852886e38;
/** "To the end" bound for an open slice like x[:, 1:] (the exporter writes INT64_MAX; any bound >= S works). */
export const SLICE_TO_END = Number.MAX_SAFE_INTEGER;

export interface Inputs {
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string;
}

/** The three int64 [batch, sequence] inputs every Hugging Face BERT export has. */
export function modelInputs(b: GraphBuilder): Inputs {
  const dims = ['batch_size', 'sequence_length'];
  return {
    inputIds: b.input('input_ids', 'int64', dims),
    attentionMask: b.input('attention_mask', 'int64', dims),
    tokenTypeIds: b.input('token_type_ids', 'int64', dims),
  };
}

/** nn.Embedding lookup: Gather on the table. paddingIdx: the row transformers initialises to zero. */
export function embedding(b: GraphBuilder, name: string, ids: string, rows: number, dim: number, paddingIdx?: number): string {
  const table = b.param(`${name}.weight`, [rows, dim], paddingIdx === undefined ? 'normal' : { normalWithZeroRow: paddingIdx });
  return b.op('Gather', name, [table, ids], { axis: 0 });
}

/** position_ids = self.position_ids[:, :seq_length] (a non-persistent buffer, not a parameter), embedded. */
export function positionEmbeddings(b: GraphBuilder, name: string, inputIds: string, maxPositions: number, dim: number): string {
  const buffer = b.constInt64(Array.from({ length: maxPositions }, (_, i) => i), [1, maxPositions]);
  const shape = b.op('Shape', `${name}.seq_length`, [inputIds]);
  const seqLen = b.op('Gather', `${name}.seq_length`, [shape, b.constInt64([1])], { axis: 0 });
  const positionIds = b.op('Slice', `${name}.position_ids`, [buffer, b.constInt64([0]), seqLen, b.constInt64([1])]);
  return embedding(b, `${name}.position_embeddings`, positionIds, maxPositions, dim);
}

/** get_extended_attention_mask: (1.0 - mask[:, None, None, :].float()) * finfo(float32).min, shape [B, 1, 1, S]. */
export function extendedAttentionMask(b: GraphBuilder, prefix: string, attentionMask: string): string {
  const p = `${prefix}.extended_attention_mask`;
  const m1 = b.op('Unsqueeze', p, [attentionMask, b.constInt64([1])]);
  const m2 = b.op('Unsqueeze', p, [m1, b.constInt64([2])]);
  const asFloat = b.op('Cast', p, [m2], { to: 1 /* FLOAT */ });
  const inverted = b.op('Sub', p, [b.constFloat([1], []), asFloat]);
  return b.op('Mul', p, [inverted, b.constFloat([FLOAT32_MIN], [])]);
}

/**
 * The self-attention of both models (query/key/value Linear layers, scaled dot product, additive mask, softmax):
 * returns the context layer [B, S, allHead]. q/k/v are the inputs to the three Linears with their widths.
 */
export function selfAttention(
  b: GraphBuilder,
  p: string,
  inputs: { q: string; k: string; v: string; qkWidth: number; vWidth: number },
  heads: number,
  allHead: number,
  mask: string,
): string {
  const headSize = allHead / heads;
  const splitHeads = b.constInt64([0, 0, heads, headSize]);
  const toScores = (name: string, t: string, perm: number[]): string =>
    b.op('Transpose', name, [b.op('Reshape', name, [t, splitHeads])], { perm });

  const query = toScores(`${p}.query`, b.linear(`${p}.query`, inputs.q, inputs.qkWidth, allHead), [0, 2, 1, 3]);
  // key_layer.transpose(-1, -2) folded into transpose_for_scores: [B, heads, head_size, S].
  const keyT = toScores(`${p}.key`, b.linear(`${p}.key`, inputs.k, inputs.qkWidth, allHead), [0, 2, 3, 1]);
  const value = toScores(`${p}.value`, b.linear(`${p}.value`, inputs.v, inputs.vWidth, allHead), [0, 2, 1, 3]);

  const scores = b.op('MatMul', `${p}.scores`, [query, keyT]);
  const scaled = b.op('Div', `${p}.scores`, [scores, b.constFloat([Math.sqrt(headSize)], [])]);
  const masked = b.op('Add', `${p}.scores`, [scaled, mask]);
  const probs = b.op('Softmax', p, [masked], { axis: -1 });
  const context = b.op('MatMul', `${p}.context`, [probs, value]);
  const merged = b.op('Transpose', `${p}.context`, [context], { perm: [0, 2, 1, 3] });
  return b.op('Reshape', `${p}.context`, [merged, b.constInt64([0, 0, allHead])]);
}

/** transformers' ACT2FN[name], as the exporter writes each (onnxruntime fuses the gelu forms into one kernel). */
export function activation(b: GraphBuilder, p: string, x: string, act: Activation): string {
  const c = (v: number) => b.constFloat([v], []);
  switch (act) {
    case 'relu':
      return b.op('Relu', p, [x]);
    case 'tanh':
      return b.op('Tanh', p, [x]);
    case 'silu':
    case 'swish':
      return b.op('Mul', p, [x, b.op('Sigmoid', p, [x])]);
    case 'quick_gelu':
      return b.op('Mul', p, [x, b.op('Sigmoid', p, [b.op('Mul', p, [x, c(1.702)])])]);
    case 'gelu': {
      // erf form: x * 0.5 * (1 + erf(x / sqrt(2)))
      const erf = b.op('Erf', p, [b.op('Div', p, [x, c(Math.SQRT2)])]);
      return b.op('Mul', p, [b.op('Mul', p, [x, b.op('Add', p, [erf, c(1)])]), c(0.5)]);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // tanh form: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
      const cube = b.op('Mul', p, [b.op('Mul', p, [x, x]), x]);
      const inner = b.op('Mul', p, [b.op('Add', p, [x, b.op('Mul', p, [cube, c(0.044715)])]), c(Math.sqrt(2 / Math.PI))]);
      const t = b.op('Add', p, [b.op('Tanh', p, [inner]), c(1)]);
      return b.op('Mul', p, [b.op('Mul', p, [x, c(0.5)]), t]);
    }
  }
}

/** *ForQuestionAnswering head: qa_outputs, split into start/end, squeeze the last axis. */
export function qaHead(b: GraphBuilder, sequenceOutput: string, hiddenSize: number): void {
  const logits = b.linear('qa_outputs', sequenceOutput, hiddenSize, 2);
  const [start, end] = b.opN('Split', 'qa_outputs', [logits, b.constInt64([1, 1])], { axis: -1 }, [undefined, undefined]);
  const lastAxis = b.constInt64([-1]);
  b.op('Squeeze', 'start_logits', [start, lastAxis], {}, 'start_logits');
  b.op('Squeeze', 'end_logits', [end, lastAxis], {}, 'end_logits');
  b.output('start_logits', 'float32', ['batch_size', 'sequence_length']);
  b.output('end_logits', 'float32', ['batch_size', 'sequence_length']);
}

/** The pooled token ([CLS], position 0) of the sequence output: [B, hidden]. */
export function firstToken(b: GraphBuilder, p: string, sequenceOutput: string): string {
  return b.op('Gather', p, [sequenceOutput, b.constInt64([0], [])], { axis: 1 });
}

/** Pooler dense + tanh (BertPooler; MobileBertPooler when classifier_activation). */
export function tanhPooler(b: GraphBuilder, p: string, first: string, hiddenSize: number): string {
  return b.op('Tanh', p, [b.gemm(`${p}.dense`, first, hiddenSize, hiddenSize)]);
}

/** *ForSequenceClassification's classifier on the pooled output: logits [B, labels]. */
export function classifier(b: GraphBuilder, pooled: string, hiddenSize: number, head: Extract<Head, { kind: 'classify' }>): void {
  b.gemm('classifier', pooled, hiddenSize, head.numLabels, 'logits');
  b.output('logits', 'float32', ['batch_size', head.numLabels]);
}
