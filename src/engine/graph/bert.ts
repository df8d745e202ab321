/**
 * BERT as PyTorch's ONNX export (opset 14) of transformers' BertForQuestionAnswering /
 * BertForSequenceClassification writes it (transformers/models/bert/modeling_bert.py, eager attention, absolute
 * positions): the family of the compact BERTs (TinyBERT, MiniLM, XtremeDistil) and their fine-tunes.
 */
import type { BertConfig, ModelSpec } from './config.js';
import * as L from './layers.js';
import type { GraphBuilder } from './onnx-graph.js';

type BertSpec = Extract<ModelSpec, { modelType: 'bert' }>;

/** BertEmbeddings: word + position + token type, LayerNorm. */
function embeddings(b: GraphBuilder, cfg: BertConfig, x: L.Inputs): string {
  const p = 'bert.embeddings';
  const words = L.embedding(b, `${p}.word_embeddings`, x.inputIds, cfg.vocabSize, cfg.hiddenSize, cfg.padTokenId);
  const tokenTypes = L.embedding(b, `${p}.token_type_embeddings`, x.tokenTypeIds, cfg.typeVocabSize, cfg.hiddenSize);
  const positions = L.positionEmbeddings(b, p, x.inputIds, cfg.maxPositionEmbeddings, cfg.hiddenSize);
  // inputs_embeds + token_type_embeddings, then + position_embeddings: transformers' order of the sums.
  const sum = b.op('Add', p, [b.op('Add', p, [words, tokenTypes]), positions]);
  return b.layerNorm(`${p}.LayerNorm`, sum, cfg.hiddenSize, cfg.layerNormEps);
}

/** BertLayer: attention (+ BertSelfOutput), BertIntermediate, BertOutput. */
function encoderLayer(b: GraphBuilder, cfg: BertConfig, i: number, h: string, mask: string): string {
  const p = `bert.encoder.layer.${i}`;
  const H = cfg.hiddenSize;
  const context = L.selfAttention(b, `${p}.attention.self`, { q: h, k: h, v: h, qkWidth: H, vWidth: H }, cfg.numAttentionHeads, H, mask);
  const selfOut = b.linear(`${p}.attention.output.dense`, context, H, H);
  const attention = b.layerNorm(`${p}.attention.output.LayerNorm`, b.op('Add', `${p}.attention.output`, [selfOut, h]), H, cfg.layerNormEps);
  const inner = L.activation(b, `${p}.intermediate`, b.linear(`${p}.intermediate.dense`, attention, H, cfg.intermediateSize), cfg.hiddenAct);
  const out = b.linear(`${p}.output.dense`, inner, cfg.intermediateSize, H);
  return b.layerNorm(`${p}.output.LayerNorm`, b.op('Add', `${p}.output`, [out, attention]), H, cfg.layerNormEps);
}

/** The whole model, one layer per step (the caller may yield to the event loop between steps). */
export function* bertGraph(b: GraphBuilder, spec: BertSpec): Generator<void, void, void> {
  const cfg = spec.config;
  const x = L.modelInputs(b);
  const mask = L.extendedAttentionMask(b, 'bert', x.attentionMask);
  let h = embeddings(b, cfg, x);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    yield;
    h = encoderLayer(b, cfg, i, h, mask);
  }
  if (spec.head.kind === 'qa') {
    // BertForQuestionAnswering is built with add_pooling_layer=False: no pooler weights.
    L.qaHead(b, h, cfg.hiddenSize);
    return;
  }
  const pooled = L.tanhPooler(b, 'bert.pooler', L.firstToken(b, 'bert.pooler', h), cfg.hiddenSize);
  L.classifier(b, pooled, cfg.hiddenSize, spec.head);
}
