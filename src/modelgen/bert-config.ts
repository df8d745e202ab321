/**
 * BERT configurations `lens model make` builds (random weights): the compact BERTs that compete with MobileBERT,
 * at their published sizes, and a tiny one for tests; with their config.json as transformers writes it.
 * Browser-safe: no Node imports.
 */
import type { BertConfig } from '../engine/graph/index.js';
import { checkLabels, labelMaps, sortedKeys, type ModelTask } from './mobilebert-config.js';

export type BertArch = 'bert-tiny' | 'xtremedistil-l6-h256' | 'tinybert-4l-312' | 'minilm-l12-h384';

const BERT_BASE_UNCASED: BertConfig = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  initializerRange: 0.02,
  padTokenId: 0,
};

export const BERT_ARCHS: Record<BertArch, BertConfig> = {
  /** google/bert_uncased_L-2_H-128_A-2 ("BERT-Tiny"), the base of VMware/bert-tiny-mrqa; also fast in tests */
  'bert-tiny': { ...BERT_BASE_UNCASED, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512 },
  /** microsoft/xtremedistil-l6-h256-uncased */
  'xtremedistil-l6-h256': { ...BERT_BASE_UNCASED, hiddenSize: 256, numHiddenLayers: 6, numAttentionHeads: 8, intermediateSize: 1024 },
  /** huawei-noah/TinyBERT_General_4L_312D */
  'tinybert-4l-312': { ...BERT_BASE_UNCASED, hiddenSize: 312, numHiddenLayers: 4, numAttentionHeads: 12, intermediateSize: 1200 },
  /** microsoft/MiniLM-L12-H384-uncased */
  'minilm-l12-h384': { ...BERT_BASE_UNCASED, hiddenSize: 384, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 1536 },
};

export function isBertArch(name: string): name is BertArch {
  return Object.prototype.hasOwnProperty.call(BERT_ARCHS, name);
}

export function bertArchitecture(task: ModelTask): string {
  return task.kind === 'qa' ? 'BertForQuestionAnswering' : 'BertForSequenceClassification';
}

/** A Hugging Face config.json for a BERT config and task. */
export function bertConfigJson(cfg: BertConfig, task: ModelTask): Record<string, unknown> {
  checkLabels(task);
  const fields: Record<string, unknown> = {
    architectures: [bertArchitecture(task)],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: cfg.hiddenAct,
    hidden_dropout_prob: 0.1,
    hidden_size: cfg.hiddenSize,
    initializer_range: cfg.initializerRange,
    intermediate_size: cfg.intermediateSize,
    layer_norm_eps: cfg.layerNormEps,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    model_type: 'bert',
    num_attention_heads: cfg.numAttentionHeads,
    num_hidden_layers: cfg.numHiddenLayers,
    pad_token_id: cfg.padTokenId,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    type_vocab_size: cfg.typeVocabSize,
    vocab_size: cfg.vocabSize,
  };
  if (task.kind === 'classify') Object.assign(fields, labelMaps(task.labels), { problem_type: 'single_label_classification' });
  return sortedKeys(fields);
}
