/**
 * The MobileBERT configurations `lens model make` builds (random weights), and their config.json as transformers
 * writes it. The config type and the graph builder are the engine's (src/engine/graph), which reads the same
 * config.json back. Browser-safe: no Node imports.
 */
import type { MobileBertConfig } from '../engine/graph/index.js';

export type { MobileBertConfig };
export type Arch = 'mobilebert' | 'tiny';

export type ModelTask = { kind: 'qa' } | { kind: 'classify'; labels: string[] };

/** google/mobilebert-uncased, field for field. */
const MOBILEBERT_UNCASED: MobileBertConfig = {
  vocabSize: 30522,
  embeddingSize: 128,
  hiddenSize: 512,
  intraBottleneckSize: 128,
  trueHiddenSize: 128,
  intermediateSize: 512,
  numHiddenLayers: 24,
  numAttentionHeads: 4,
  numFeedforwardNetworks: 4,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  normalizationType: 'no_norm',
  hiddenAct: 'relu',
  trigramInput: true,
  useBottleneck: true,
  useBottleneckAttention: false,
  keyQuerySharedBottleneck: true,
  classifierActivation: false,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  hiddenDropoutProb: 0.0,
  attentionProbsDropoutProb: 0.1,
  padTokenId: 0,
};

/**
 * Same graph with small widths and 2 layers, for fast tests. The vocabulary stays the real 30,522 entries so the
 * model accepts the ids of the real uncased tokenizer.
 */
const TINY: MobileBertConfig = {
  ...MOBILEBERT_UNCASED,
  embeddingSize: 32,
  hiddenSize: 64,
  intraBottleneckSize: 32,
  trueHiddenSize: 32,
  intermediateSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
};

export const ARCHS: Record<Arch, MobileBertConfig> = {
  mobilebert: MOBILEBERT_UNCASED,
  tiny: TINY,
};

export function isArch(name: string): name is Arch {
  return Object.prototype.hasOwnProperty.call(ARCHS, name);
}

/** The Arch whose config equals cfg field for field, or undefined for a custom config. */
export function archOf(cfg: MobileBertConfig): Arch | undefined {
  const wanted = JSON.stringify(cfg);
  return (Object.keys(ARCHS) as Arch[]).find((a) => JSON.stringify(ARCHS[a]) === wanted);
}

export function hfArchitecture(task: ModelTask): string {
  return task.kind === 'qa' ? 'MobileBertForQuestionAnswering' : 'MobileBertForSequenceClassification';
}

/** Labels of a classifier to make: at least one, all distinct. */
export function checkLabels(task: ModelTask): void {
  if (task.kind !== 'classify') return;
  if (task.labels.length < 1) throw new Error('a classifier needs at least one label');
  if (new Set(task.labels).size !== task.labels.length) throw new Error(`labels must be distinct (got ${task.labels.join(', ')})`);
}

/** id2label / label2id as transformers writes them. */
export function labelMaps(labels: readonly string[]): { id2label: Record<string, string>; label2id: Record<string, number> } {
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  labels.forEach((label, i) => {
    id2label[String(i)] = label;
    label2id[label] = i;
  });
  return { id2label, label2id };
}

/** Keys in the order transformers writes them: sorted. */
export function sortedKeys(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A Hugging Face config.json for this config and task (keys in the order transformers writes them: sorted). */
export function hfConfigJson(cfg: MobileBertConfig, task: ModelTask): Record<string, unknown> {
  checkLabels(task);
  const fields: Record<string, unknown> = {
    architectures: [hfArchitecture(task)],
    attention_probs_dropout_prob: cfg.attentionProbsDropoutProb,
    classifier_activation: cfg.classifierActivation,
    classifier_dropout: null,
    embedding_size: cfg.embeddingSize,
    hidden_act: cfg.hiddenAct,
    hidden_dropout_prob: cfg.hiddenDropoutProb,
    hidden_size: cfg.hiddenSize,
    initializer_range: cfg.initializerRange,
    intermediate_size: cfg.intermediateSize,
    intra_bottleneck_size: cfg.intraBottleneckSize,
    key_query_shared_bottleneck: cfg.keyQuerySharedBottleneck,
    layer_norm_eps: cfg.layerNormEps,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    model_type: 'mobilebert',
    normalization_type: cfg.normalizationType,
    num_attention_heads: cfg.numAttentionHeads,
    num_feedforward_networks: cfg.numFeedforwardNetworks,
    num_hidden_layers: cfg.numHiddenLayers,
    pad_token_id: cfg.padTokenId,
    torch_dtype: 'float32',
    trigram_input: cfg.trigramInput,
    true_hidden_size: cfg.trueHiddenSize,
    type_vocab_size: cfg.typeVocabSize,
    use_bottleneck: cfg.useBottleneck,
    use_bottleneck_attention: cfg.useBottleneckAttention,
    vocab_size: cfg.vocabSize,
  };
  if (task.kind === 'classify') Object.assign(fields, labelMaps(task.labels), { problem_type: 'single_label_classification' });
  return sortedKeys(fields);
}
