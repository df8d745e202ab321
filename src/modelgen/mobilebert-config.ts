/**
 * MobileBERT architecture configs, mirroring Hugging Face's `MobileBertConfig` (camelCase here, snake_case in
 * config.json). Browser-safe: no Node imports.
 */

export type Arch = 'mobilebert' | 'tiny';

export type ModelTask = { kind: 'qa' } | { kind: 'classify'; labels: string[] };

export interface MobileBertConfig {
  readonly vocabSize: number;
  /** Width of the word-embedding table (before the trigram concat and embedding_transformation). */
  readonly embeddingSize: number;
  /** Width of the residual stream between layers ("inter-block" width, 512 for MobileBERT). */
  readonly hiddenSize: number;
  readonly intraBottleneckSize: number;
  /** Width inside a block: intraBottleneckSize when useBottleneck, else hiddenSize (as HF derives it). */
  readonly trueHiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly numFeedforwardNetworks: number;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly normalizationType: 'no_norm';
  readonly hiddenAct: 'relu';
  readonly trigramInput: boolean;
  readonly useBottleneck: boolean;
  readonly useBottleneckAttention: boolean;
  readonly keyQuerySharedBottleneck: boolean;
  /** google/mobilebert-uncased sets false: the pooler just takes token 0 (no dense + tanh). */
  readonly classifierActivation: boolean;
  readonly initializerRange: number;
  readonly layerNormEps: number;
  readonly hiddenDropoutProb: number;
  readonly attentionProbsDropoutProb: number;
  readonly padTokenId: number;
}

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

/** A Hugging Face config.json for this config and task (keys in the order transformers writes them: sorted). */
export function hfConfigJson(cfg: MobileBertConfig, task: ModelTask): Record<string, unknown> {
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
  if (task.kind === 'classify') {
    const id2label: Record<string, string> = {};
    const label2id: Record<string, number> = {};
    task.labels.forEach((label, i) => {
      id2label[String(i)] = label;
      label2id[label] = i;
    });
    fields.id2label = id2label;
    fields.label2id = label2id;
    fields.problem_type = 'single_label_classification';
  }
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Throws on configs this generator does not build (it follows MobileBERT's own choices only). */
export function assertSupported(cfg: MobileBertConfig, task: ModelTask): void {
  const problems: string[] = [];
  if (!cfg.useBottleneck) problems.push('useBottleneck must be true');
  if (cfg.useBottleneck && cfg.trueHiddenSize !== cfg.intraBottleneckSize) {
    problems.push('trueHiddenSize must equal intraBottleneckSize when useBottleneck');
  }
  if (!cfg.useBottleneckAttention && !cfg.keyQuerySharedBottleneck && cfg.hiddenSize !== cfg.trueHiddenSize) {
    // HF's query/key are Linear(true_hidden_size, ...) but would get the hidden_size-wide layer input.
    problems.push('keyQuerySharedBottleneck=false needs useBottleneckAttention or hiddenSize == trueHiddenSize');
  }
  if (cfg.trueHiddenSize % cfg.numAttentionHeads !== 0) problems.push('trueHiddenSize % numAttentionHeads != 0');
  if (cfg.numFeedforwardNetworks < 1) problems.push('numFeedforwardNetworks must be >= 1');
  if (cfg.padTokenId < 0 || cfg.padTokenId >= cfg.vocabSize) problems.push('padTokenId out of range');
  if (task.kind === 'classify') {
    if (task.labels.length < 1) problems.push('classify needs at least one label');
    if (new Set(task.labels).size !== task.labels.length) problems.push('labels must be distinct');
  }
  if (problems.length > 0) throw new Error(`unsupported MobileBERT config: ${problems.join('; ')}`);
}
