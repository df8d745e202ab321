/**
 * MobileBERT as PyTorch's ONNX export (opset 14) of transformers' MobileBertForQuestionAnswering /
 * MobileBertForSequenceClassification writes it (transformers/models/mobilebert/modeling_mobilebert.py), module
 * for module, for every config switch that file honours: trigram input, bottlenecks (shared key/query, attention
 * through the bottleneck, none), any number of stacked feed-forward networks, NoNorm or LayerNorm, the activation,
 * the pooler's classifier_activation.
 *
 * Full-size QA graph (google/mobilebert-uncased): MatMul 410, Relu 96, Softmax 24, Div 24, Mul 194, Add 725 and
 * 24,582,914 parameters, the same as the real export. Where this graph differs from the export (none of it
 * changes the numbers computed): Reshape targets are constants using ONNX's "0 = copy this dim"; the key's two
 * transposes are one; Gemm weights are [in, out] with transB = 0 like every Linear weight here; initializers keep
 * the state_dict names (the exporter renames transposed weights "onnx::MatMul_NNN").
 */
import type { MobileBertConfig, ModelSpec, NormalizationType } from './config.js';
import * as L from './layers.js';
import type { GraphBuilder } from './onnx-graph.js';

type MobileBertSpec = Extract<ModelSpec, { modelType: 'mobilebert' }>;

/** nn.LayerNorm's default eps: the two MobileBERT norms built without eps=config.layer_norm_eps use it. */
export const TORCH_LAYER_NORM_EPS = 1e-5;

/** NORM2FN[normalization_type](size, eps): NoNorm ignores eps. */
function norm(b: GraphBuilder, type: NormalizationType, name: string, x: string, size: number, eps: number): string {
  return type === 'no_norm' ? b.noNorm(name, x, size) : b.layerNorm(name, x, size, eps);
}

/**
 * MobileBertEmbeddings: trigram input (each token sees [next, self, previous] embeddings, zero-padded at the ends)
 * -> embedding_transformation to hidden_size, + position + token type embeddings, then the norm.
 */
function embeddings(b: GraphBuilder, cfg: MobileBertConfig, x: L.Inputs): string {
  const p = 'mobilebert.embeddings';
  let inputsEmbeds = L.embedding(b, `${p}.word_embeddings`, x.inputIds, cfg.vocabSize, cfg.embeddingSize, cfg.padTokenId);
  const width = cfg.trigramInput ? 3 * cfg.embeddingSize : cfg.embeddingSize;
  if (cfg.trigramInput) {
    const zero = b.constFloat([0], []);
    const axis1 = b.constInt64([1]);
    // pad(inputs_embeds[:, 1:], [0, 0, 0, 1, 0, 0]): the next token's embedding, zero after the last token.
    const next = b.op('Slice', `${p}.trigram_next`, [inputsEmbeds, b.constInt64([1]), b.constInt64([L.SLICE_TO_END]), axis1]);
    const nextPadded = b.op('Pad', `${p}.trigram_next`, [next, b.constInt64([0, 0, 0, 0, 1, 0]), zero]);
    // pad(inputs_embeds[:, :-1], [0, 0, 1, 0, 0, 0]): the previous token's embedding, zero before the first.
    const prev = b.op('Slice', `${p}.trigram_prev`, [inputsEmbeds, b.constInt64([0]), b.constInt64([-1]), axis1]);
    const prevPadded = b.op('Pad', `${p}.trigram_prev`, [prev, b.constInt64([0, 1, 0, 0, 0, 0]), zero]);
    inputsEmbeds = b.op('Concat', `${p}.trigram`, [nextPadded, inputsEmbeds, prevPadded], { axis: 2 });
  }
  if (cfg.trigramInput || cfg.embeddingSize !== cfg.hiddenSize) {
    inputsEmbeds = b.linear(`${p}.embedding_transformation`, inputsEmbeds, width, cfg.hiddenSize);
  } else {
    // The module always has it; forward skips it when there is nothing to transform.
    b.unusedParam(`${p}.embedding_transformation.weight`, [cfg.hiddenSize, width], 'normal');
    b.unusedParam(`${p}.embedding_transformation.bias`, [cfg.hiddenSize], 'zeros');
  }
  const positions = L.positionEmbeddings(b, p, x.inputIds, cfg.maxPositionEmbeddings, cfg.hiddenSize);
  const tokenTypes = L.embedding(b, `${p}.token_type_embeddings`, x.tokenTypeIds, cfg.typeVocabSize, cfg.hiddenSize);
  const sum = b.op('Add', p, [b.op('Add', p, [inputsEmbeds, positions]), tokenTypes]);
  return norm(b, cfg.normalizationType, `${p}.LayerNorm`, sum, cfg.hiddenSize, TORCH_LAYER_NORM_EPS);
}

/** BottleneckLayer: dense hidden -> intra_bottleneck, then the norm. */
function bottleneckLayer(b: GraphBuilder, cfg: MobileBertConfig, name: string, h: string): string {
  const dense = b.linear(`${name}.dense`, h, cfg.hiddenSize, cfg.intraBottleneckSize);
  return norm(b, cfg.normalizationType, `${name}.LayerNorm`, dense, cfg.intraBottleneckSize, cfg.layerNormEps);
}

/** Bottleneck.forward (or its absence): [query_tensor, key_tensor, value_tensor, layer_input]. */
function bottleneck(b: GraphBuilder, cfg: MobileBertConfig, p: string, h: string): [string, string, string, string] {
  if (!cfg.useBottleneck) return [h, h, h, h];
  const layerInput = bottleneckLayer(b, cfg, `${p}.bottleneck.input`, h);
  if (cfg.useBottleneckAttention) {
    if (cfg.keyQuerySharedBottleneck) {
      // Bottleneck.__init__ makes self.attention whenever key_query_shared_bottleneck, even where forward skips it.
      const a = `${p}.bottleneck.attention`;
      b.unusedParam(`${a}.dense.weight`, [cfg.intraBottleneckSize, cfg.hiddenSize], 'normal');
      b.unusedParam(`${a}.dense.bias`, [cfg.intraBottleneckSize], 'zeros');
      b.unusedParam(`${a}.LayerNorm.weight`, [cfg.intraBottleneckSize], 'ones');
      b.unusedParam(`${a}.LayerNorm.bias`, [cfg.intraBottleneckSize], 'zeros');
    }
    return [layerInput, layerInput, layerInput, layerInput];
  }
  if (cfg.keyQuerySharedBottleneck) {
    const shared = bottleneckLayer(b, cfg, `${p}.bottleneck.attention`, h);
    return [shared, shared, h, layerInput];
  }
  return [h, h, h, layerInput];
}

/** dense -> (+ residual) -> norm: SelfOutput, FFNOutput, MobileBertOutput and OutputBottleneck. */
function denseResidualNorm(b: GraphBuilder, cfg: MobileBertConfig, p: string, x: string, residual: string, inF: number, outF: number, eps: number): string {
  const y = b.linear(`${p}.dense`, x, inF, outF);
  return norm(b, cfg.normalizationType, `${p}.LayerNorm`, b.op('Add', p, [y, residual]), outF, eps);
}

/** MobileBertIntermediate: dense + the activation. */
function intermediate(b: GraphBuilder, cfg: MobileBertConfig, p: string, x: string): string {
  return L.activation(b, p, b.linear(`${p}.dense`, x, cfg.trueHiddenSize, cfg.intermediateSize), cfg.hiddenAct);
}

/** MobileBertLayer.forward. */
function encoderLayer(b: GraphBuilder, cfg: MobileBertConfig, i: number, h: string, mask: string): string {
  const p = `mobilebert.encoder.layer.${i}`;
  const t = cfg.trueHiddenSize;
  const eps = cfg.layerNormEps;
  const [q, k, v, layerInput] = bottleneck(b, cfg, p, h);
  const qkWidth = t;
  const vWidth = cfg.useBottleneckAttention ? t : cfg.hiddenSize;
  const context = L.selfAttention(b, `${p}.attention.self`, { q, k, v, qkWidth, vWidth }, cfg.numAttentionHeads, t, mask);
  let attentionOutput = denseResidualNorm(b, cfg, `${p}.attention.output`, context, layerInput, t, t, eps);
  for (let f = 0; f < cfg.numFeedforwardNetworks - 1; f++) {
    const ffn = `${p}.ffn.${f}`;
    const inner = intermediate(b, cfg, `${ffn}.intermediate`, attentionOutput);
    attentionOutput = denseResidualNorm(b, cfg, `${ffn}.output`, inner, attentionOutput, cfg.intermediateSize, t, eps);
  }
  const inner = intermediate(b, cfg, `${p}.intermediate`, attentionOutput);
  // MobileBertOutput's own norm is built without eps=layer_norm_eps (torch's default applies).
  const out = denseResidualNorm(b, cfg, `${p}.output`, inner, attentionOutput, cfg.intermediateSize, t, TORCH_LAYER_NORM_EPS);
  if (!cfg.useBottleneck) return out;
  return denseResidualNorm(b, cfg, `${p}.output.bottleneck`, out, h, t, cfg.hiddenSize, eps);
}

/** The whole model, one layer per step (the caller may yield to the event loop between steps). */
export function* mobileBertGraph(b: GraphBuilder, spec: MobileBertSpec): Generator<void, void, void> {
  const cfg = spec.config;
  const x = L.modelInputs(b);
  const mask = L.extendedAttentionMask(b, 'mobilebert', x.attentionMask);
  let h = embeddings(b, cfg, x);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    yield;
    h = encoderLayer(b, cfg, i, h, mask);
  }
  if (spec.head.kind === 'qa') {
    L.qaHead(b, h, cfg.hiddenSize);
    return;
  }
  // MobilePooler: token 0, through dense + tanh only when classifier_activation.
  const first = L.firstToken(b, 'mobilebert.pooler', h);
  const pooled = cfg.classifierActivation ? L.tanhPooler(b, 'mobilebert.pooler', first, cfg.hiddenSize) : first;
  L.classifier(b, pooled, cfg.hiddenSize, spec.head);
}
