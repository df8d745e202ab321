/**
 * Builds a random-weight MobileBERT ONNX model with the operator structure of PyTorch's ONNX export (opset 14) of
 * Hugging Face's MobileBertForQuestionAnswering / MobileBertForSequenceClassification
 * (transformers/models/mobilebert/modeling_mobilebert.py), module for module. Browser-safe: no Node imports.
 *
 * Full-size QA graph (google/mobilebert-uncased): MatMul 410, Relu 96, Softmax 24, Div 24, Mul 194, Add 725 and
 * 24,582,914 parameters, the same as the real export. Every counted op maps to one PyTorch op:
 *   MatMul = 15 Linear + 2 attention products per layer, + embedding_transformation + qa_outputs;
 *   Mul    = 8 NoNorm per layer + the embeddings' NoNorm + the attention-mask scaling;
 *   Add    = Linear biases (362) + NoNorm biases (193) + residuals (6/layer) + mask adds (24) + 2 embedding sums.
 * Where this graph differs from the real export (none of it changes the numbers computed):
 *   - Reshape targets are constants using ONNX's "0 = copy this dim" ([0, 0, heads, head_size]) instead of the
 *     exporter's Shape/Gather/Unsqueeze/Concat chains, and the sequence length for position_ids comes from one
 *     Shape + Gather; so Shape/Gather/Unsqueeze/Concat/Constant counts are lower than the export's.
 *   - The key's two transposes (transpose_for_scores, then .transpose(-1, -2)) are one Transpose [0, 2, 3, 1]
 *     (the exporter's peephole pass fuses them the same way).
 *   - The classifier (2-D input) is a Gemm like the export's, but with transB = 0 and its weight [in, out], so
 *     every Linear weight in this file has the same layout (the export keeps PyTorch's [out, in] with transB = 1).
 *   - Initializers keep the PyTorch parameter names, also for MatMul weights (the exporter renames transposed
 *     weights "onnx::MatMul_NNN"), and constants are named const_N.
 *
 * LAYOUT: every Linear weight is stored [in_features, out_features], i.e. TRANSPOSED relative to PyTorch's
 * nn.Linear.weight [out, in]; the model's metadata says so (lens.linear_weight_layout = in_out). Embedding
 * tables keep PyTorch's layout [num_embeddings, dim].
 */
import { archOf, assertSupported, hfArchitecture } from './mobilebert-config.js';
import type { MobileBertConfig, ModelTask } from './mobilebert-config.js';
import { GraphBuilder } from './onnx-graph.js';
import type { ParamInit, WeightSource } from './onnx-graph.js';
import { fillNormal } from './prng.js';

export interface BuiltModel {
  bytes: Uint8Array;
  parameterCount: number;
  opCounts: Record<string, number>;
}

export const OPSET_VERSION = 14;
export const IR_VERSION = 8;
export const LINEAR_WEIGHT_LAYOUT = 'in_out';

/** torch.finfo(torch.float32).min: what HF's get_extended_attention_mask multiplies (1 - mask) by. */
const FLOAT32_MIN = -3.4028234663852886e38;
/** "To the end" bound for an open slice like x[:, 1:] (the exporter writes INT64_MAX; any bound >= S works). */
const SLICE_TO_END = Number.MAX_SAFE_INTEGER;

/** HF-style init: normal(0, initializer_range) for Linear/Embedding weights, zeros for biases, ones for norm scales. */
function seededWeights(seed: number, std: number): WeightSource {
  return {
    tensor(name: string, dims: readonly number[], init: ParamInit): Float32Array {
      const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
      if (init === 'ones') data.fill(1);
      else if (init === 'normal') fillNormal(data, std, seed, name);
      return data;
    },
  };
}

interface Inputs {
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string;
}

/** nn.Embedding lookup: Gather on the table. paddingIdx's row is zero, as HF initialises it. */
function embedding(b: GraphBuilder, name: string, ids: string, rows: number, dim: number, paddingIdx?: number): string {
  const table = b.param(`${name}.weight`, [rows, dim], 'normal', (data) => {
    if (paddingIdx !== undefined) data.fill(0, paddingIdx * dim, (paddingIdx + 1) * dim);
  });
  return b.op('Gather', name, [table, ids], { axis: 0 });
}

/**
 * MobileBertEmbeddings: trigram input (each token sees [next, self, previous] 128-wide embeddings, zero-padded at
 * the ends) -> embedding_transformation to hidden_size, + position + token type embeddings, then NoNorm.
 */
function embeddings(b: GraphBuilder, cfg: MobileBertConfig, x: Inputs): string {
  const p = 'mobilebert.embeddings';
  let inputsEmbeds = embedding(b, `${p}.word_embeddings`, x.inputIds, cfg.vocabSize, cfg.embeddingSize, cfg.padTokenId);
  let width = cfg.embeddingSize;
  if (cfg.trigramInput) {
    const zero = b.constFloat([0], []);
    const axis1 = b.constInt64([1]);
    const toEnd = b.constInt64([SLICE_TO_END]);
    // pad(inputs_embeds[:, 1:], [0, 0, 0, 1, 0, 0]): the next token's embedding, zero after the last token.
    const next = b.op('Slice', `${p}.trigram_next`, [inputsEmbeds, b.constInt64([1]), toEnd, axis1]);
    const nextPadded = b.op('Pad', `${p}.trigram_next`, [next, b.constInt64([0, 0, 0, 0, 1, 0]), zero]);
    // pad(inputs_embeds[:, :-1], [0, 0, 1, 0, 0, 0]): the previous token's embedding, zero before the first.
    const prev = b.op('Slice', `${p}.trigram_prev`, [inputsEmbeds, b.constInt64([0]), b.constInt64([-1]), axis1]);
    const prevPadded = b.op('Pad', `${p}.trigram_prev`, [prev, b.constInt64([0, 1, 0, 0, 0, 0]), zero]);
    inputsEmbeds = b.op('Concat', `${p}.trigram`, [nextPadded, inputsEmbeds, prevPadded], { axis: 2 });
    width = 3 * cfg.embeddingSize;
  }
  if (cfg.trigramInput || cfg.embeddingSize !== cfg.hiddenSize) {
    inputsEmbeds = b.linear(`${p}.embedding_transformation`, inputsEmbeds, width, cfg.hiddenSize);
  }
  // position_ids = self.position_ids[:, :seq_length] (a non-persistent buffer, not a parameter).
  const positionIdsBuffer = b.constInt64(
    Array.from({ length: cfg.maxPositionEmbeddings }, (_, i) => i),
    [1, cfg.maxPositionEmbeddings],
  );
  const shape = b.op('Shape', `${p}.seq_length`, [x.inputIds]);
  const seqLen = b.op('Gather', `${p}.seq_length`, [shape, b.constInt64([1])], { axis: 0 });
  const zero1d = b.constInt64([0]);
  const positionIds = b.op('Slice', `${p}.position_ids`, [positionIdsBuffer, zero1d, seqLen, b.constInt64([1])]);
  const positionTable = cfg.maxPositionEmbeddings;
  const positionEmbeds = embedding(b, `${p}.position_embeddings`, positionIds, positionTable, cfg.hiddenSize);
  const tokenTypeEmbeds = embedding(b, `${p}.token_type_embeddings`, x.tokenTypeIds, cfg.typeVocabSize, cfg.hiddenSize);
  const sum = b.op('Add', p, [b.op('Add', p, [inputsEmbeds, positionEmbeds]), tokenTypeEmbeds]);
  return b.noNorm(`${p}.LayerNorm`, sum, cfg.hiddenSize);
}

/** get_extended_attention_mask: (1.0 - mask[:, None, None, :].float()) * finfo(float32).min, shape [B, 1, 1, S]. */
function extendedAttentionMask(b: GraphBuilder, attentionMask: string): string {
  const p = 'mobilebert.extended_attention_mask';
  const m1 = b.op('Unsqueeze', p, [attentionMask, b.constInt64([1])]);
  const m2 = b.op('Unsqueeze', p, [m1, b.constInt64([2])]);
  const asFloat = b.op('Cast', p, [m2], { to: 1 /* FLOAT */ });
  const inverted = b.op('Sub', p, [b.constFloat([1], []), asFloat]);
  return b.op('Mul', p, [inverted, b.constFloat([FLOAT32_MIN], [])]);
}

/** Bottleneck.forward: returns [query_tensor, key_tensor, value_tensor, layer_input]. */
function bottleneck(b: GraphBuilder, cfg: MobileBertConfig, p: string, h: string): [string, string, string, string] {
  const size = cfg.intraBottleneckSize;
  const bottleneckLayer = (name: string): string =>
    b.noNorm(`${name}.LayerNorm`, b.linear(`${name}.dense`, h, cfg.hiddenSize, size), size);
  const layerInput = bottleneckLayer(`${p}.bottleneck.input`);
  if (cfg.useBottleneckAttention) return [layerInput, layerInput, layerInput, layerInput];
  if (cfg.keyQuerySharedBottleneck) {
    const shared = bottleneckLayer(`${p}.bottleneck.attention`);
    return [shared, shared, h, layerInput];
  }
  return [h, h, h, layerInput];
}

/** MobileBertSelfAttention: returns the context layer [B, S, true_hidden_size]. */
function selfAttention(
  b: GraphBuilder,
  cfg: MobileBertConfig,
  p: string,
  [q, k, v]: [string, string, string],
  mask: string,
): string {
  const heads = cfg.numAttentionHeads;
  const headSize = cfg.trueHiddenSize / heads;
  const valueIn = cfg.useBottleneckAttention ? cfg.trueHiddenSize : cfg.hiddenSize;
  const splitHeads = b.constInt64([0, 0, heads, headSize]);
  const toScores = (name: string, t: string, perm: number[]): string =>
    b.op('Transpose', name, [b.op('Reshape', name, [t, splitHeads])], { perm });

  const query = toScores(`${p}.query`, b.linear(`${p}.query`, q, cfg.trueHiddenSize, cfg.trueHiddenSize), [0, 2, 1, 3]);
  // key_layer.transpose(-1, -2) folded into transpose_for_scores: [B, heads, head_size, S].
  const keyT = toScores(`${p}.key`, b.linear(`${p}.key`, k, cfg.trueHiddenSize, cfg.trueHiddenSize), [0, 2, 3, 1]);
  const value = toScores(`${p}.value`, b.linear(`${p}.value`, v, valueIn, cfg.trueHiddenSize), [0, 2, 1, 3]);

  const scores = b.op('MatMul', `${p}.scores`, [query, keyT]);
  const scaled = b.op('Div', `${p}.scores`, [scores, b.constFloat([Math.sqrt(headSize)], [])]);
  const masked = b.op('Add', `${p}.scores`, [scaled, mask]);
  const probs = b.op('Softmax', p, [masked], { axis: -1 });
  const context = b.op('MatMul', `${p}.context`, [probs, value]);
  const merged = b.op('Transpose', `${p}.context`, [context], { perm: [0, 2, 1, 3] });
  return b.op('Reshape', `${p}.context`, [merged, b.constInt64([0, 0, cfg.trueHiddenSize])]);
}

/** dense -> (+ residual) -> NoNorm, the shape of SelfOutput, FFNOutput, MobileBertOutput and OutputBottleneck. */
function denseResidualNorm(b: GraphBuilder, p: string, x: string, residual: string, inF: number, outF: number): string {
  const y = b.linear(`${p}.dense`, x, inF, outF);
  return b.noNorm(`${p}.LayerNorm`, b.op('Add', p, [y, residual]), outF);
}

/** MobileBertIntermediate: dense + ReLU. */
function intermediate(b: GraphBuilder, cfg: MobileBertConfig, p: string, x: string): string {
  return b.op('Relu', p, [b.linear(`${p}.dense`, x, cfg.trueHiddenSize, cfg.intermediateSize)]);
}

/** MobileBertLayer.forward. */
function encoderLayer(b: GraphBuilder, cfg: MobileBertConfig, i: number, h: string, mask: string): string {
  const p = `mobilebert.encoder.layer.${i}`;
  const [q, k, v, layerInput] = bottleneck(b, cfg, p, h);
  const context = selfAttention(b, cfg, `${p}.attention.self`, [q, k, v], mask);
  const t = cfg.trueHiddenSize;
  let attentionOutput = denseResidualNorm(b, `${p}.attention.output`, context, layerInput, t, t);
  for (let f = 0; f < cfg.numFeedforwardNetworks - 1; f++) {
    const ffn = `${p}.ffn.${f}`;
    const inner = intermediate(b, cfg, `${ffn}.intermediate`, attentionOutput);
    attentionOutput = denseResidualNorm(b, `${ffn}.output`, inner, attentionOutput, cfg.intermediateSize, t);
  }
  const inner = intermediate(b, cfg, `${p}.intermediate`, attentionOutput);
  const out = denseResidualNorm(b, `${p}.output`, inner, attentionOutput, cfg.intermediateSize, t);
  return denseResidualNorm(b, `${p}.output.bottleneck`, out, h, t, cfg.hiddenSize);
}

/** MobileBertForQuestionAnswering head: qa_outputs, split into start/end, squeeze the last axis. */
function qaHead(b: GraphBuilder, cfg: MobileBertConfig, sequenceOutput: string): void {
  const logits = b.linear('qa_outputs', sequenceOutput, cfg.hiddenSize, 2);
  const splitSizes = b.constInt64([1, 1]);
  const [start, end] = b.opN('Split', 'qa_outputs', [logits, splitSizes], { axis: -1 }, [undefined, undefined]);
  const lastAxis = b.constInt64([-1]);
  b.op('Squeeze', 'start_logits', [start, lastAxis], {}, 'start_logits');
  b.op('Squeeze', 'end_logits', [end, lastAxis], {}, 'end_logits');
  b.output('start_logits', 'float32', ['batch_size', 'sequence_length']);
  b.output('end_logits', 'float32', ['batch_size', 'sequence_length']);
}

/** MobileBertForSequenceClassification head: pooler (token 0; dense + tanh if classifier_activation), classifier. */
function classifyHead(b: GraphBuilder, cfg: MobileBertConfig, sequenceOutput: string, numLabels: number): void {
  let pooled = b.op('Gather', 'mobilebert.pooler', [sequenceOutput, b.constInt64([0], [])], { axis: 1 });
  if (cfg.classifierActivation) {
    const dense = b.gemm('mobilebert.pooler.dense', pooled, cfg.hiddenSize, cfg.hiddenSize);
    pooled = b.op('Tanh', 'mobilebert.pooler', [dense]);
  }
  b.gemm('classifier', pooled, cfg.hiddenSize, numLabels, 'logits');
  b.output('logits', 'float32', ['batch_size', numLabels]);
}

function metadata(cfg: MobileBertConfig, task: ModelTask, seed: number): Record<string, string> {
  return {
    'lens.generator': 'mobilebert-lens modelgen',
    'lens.arch': archOf(cfg) ?? 'custom',
    'lens.hf_architecture': hfArchitecture(task),
    'lens.task': task.kind,
    ...(task.kind === 'classify' ? { 'lens.labels': JSON.stringify(task.labels) } : {}),
    'lens.seed': String(seed),
    'lens.init': `hf: normal(0, ${cfg.initializerRange}) weights, zero biases, NoNorm ones/zeros, padding row zero`,
    'lens.linear_weight_layout': LINEAR_WEIGHT_LAYOUT,
    'lens.config': JSON.stringify(cfg),
  };
}

export function buildMobileBertOnnx(cfg: MobileBertConfig, task: ModelTask, seed: number): BuiltModel {
  assertSupported(cfg, task);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be a uint32, got ${seed}`);
  const b = new GraphBuilder(seededWeights(seed, cfg.initializerRange));
  const dims = ['batch_size', 'sequence_length'];
  const x: Inputs = {
    inputIds: b.input('input_ids', 'int64', dims),
    attentionMask: b.input('attention_mask', 'int64', dims),
    tokenTypeIds: b.input('token_type_ids', 'int64', dims),
  };
  const mask = extendedAttentionMask(b, x.attentionMask);
  let h = embeddings(b, cfg, x);
  for (let i = 0; i < cfg.numHiddenLayers; i++) h = encoderLayer(b, cfg, i, h, mask);
  if (task.kind === 'qa') qaHead(b, cfg, h);
  else classifyHead(b, cfg, h, task.labels.length);

  const bytes = b.encodeModel({
    graphName: hfArchitecture(task),
    opsetVersion: OPSET_VERSION,
    irVersion: IR_VERSION,
    producerName: 'mobilebert-lens',
    producerVersion: '1',
    docString: `Random-weight ${hfArchitecture(task)} (seed ${seed}); Linear weights are [in, out].`,
    metadata: metadata(cfg, task, seed),
  });
  return { bytes, parameterCount: b.parameterCount, opCounts: b.opCounts() };
}
