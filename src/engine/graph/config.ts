// A Hugging Face config.json read into the architecture a graph builder needs: which model family (MobileBERT or
// BERT), every size and switch the transformers implementation honours, and which head (`architectures`).
// Defaults are transformers' own (MobileBertConfig / BertConfig), so a config.json that omits a field means
// what it means to transformers. Anything the builders cannot reproduce exactly is refused here, by name.

/** The activations transformers' ACT2FN maps these names to; each has an exact ONNX form in layers.ts. */
export const ACTIVATIONS = ['relu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'silu', 'swish', 'tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export type NormalizationType = 'no_norm' | 'layer_norm';

/** The task head on top of the encoder: qa_outputs (start/end logits) or pooler + classifier (logits). */
export type Head = { kind: 'qa' } | { kind: 'classify'; numLabels: number };

/** transformers' MobileBertConfig, camelCase; trueHiddenSize derived as transformers derives it. */
export interface MobileBertConfig {
  readonly vocabSize: number;
  /** Width of the word-embedding table (before the trigram concat and embedding_transformation). */
  readonly embeddingSize: number;
  /** Width of the residual stream between layers ("inter-block" width, 512 for MobileBERT). */
  readonly hiddenSize: number;
  readonly intraBottleneckSize: number;
  /** Width inside a block: intraBottleneckSize when useBottleneck, else hiddenSize. */
  readonly trueHiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly numFeedforwardNetworks: number;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly normalizationType: NormalizationType;
  readonly hiddenAct: Activation;
  readonly trigramInput: boolean;
  readonly useBottleneck: boolean;
  readonly useBottleneckAttention: boolean;
  readonly keyQuerySharedBottleneck: boolean;
  /** false (google/mobilebert-uncased): the pooler just takes token 0 (no dense + tanh). */
  readonly classifierActivation: boolean;
  readonly initializerRange: number;
  readonly layerNormEps: number;
  readonly hiddenDropoutProb: number;
  readonly attentionProbsDropoutProb: number;
  readonly padTokenId: number;
}

/** transformers' BertConfig (absolute position embeddings), camelCase. */
export interface BertConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly hiddenAct: Activation;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly initializerRange: number;
  readonly padTokenId: number;
}

export type ModelSpec =
  | { readonly modelType: 'mobilebert'; readonly architecture: string; readonly config: MobileBertConfig; readonly head: Head }
  | { readonly modelType: 'bert'; readonly architecture: string; readonly config: BertConfig; readonly head: Head };

/** The `architectures` values Lens builds, by model_type and head. */
export const SUPPORTED_ARCHITECTURES: Readonly<Record<string, { modelType: ModelSpec['modelType']; head: Head['kind'] }>> = {
  MobileBertForQuestionAnswering: { modelType: 'mobilebert', head: 'qa' },
  MobileBertForSequenceClassification: { modelType: 'mobilebert', head: 'classify' },
  BertForQuestionAnswering: { modelType: 'bert', head: 'qa' },
  BertForSequenceClassification: { modelType: 'bert', head: 'classify' },
};

/** Reads typed fields with transformers' defaults, collecting every problem so one error names them all. */
class Fields {
  readonly problems: string[] = [];
  constructor(private readonly json: Record<string, unknown>) {}

  int(key: string, fallback: number, min = 1): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.problems.push(`"${key}" must be an integer >= ${min} (got ${JSON.stringify(v)})`);
      return fallback;
    }
    return v;
  }

  float(key: string, fallback: number): number {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.problems.push(`"${key}" must be a number (got ${JSON.stringify(v)})`);
      return fallback;
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'boolean') {
      this.problems.push(`"${key}" must be true or false (got ${JSON.stringify(v)})`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.json[key] ?? fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.problems.push(`"${key}" ${JSON.stringify(v)} is not supported (supported: ${allowed.join(', ')})`);
      return fallback;
    }
    return v as T;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mobileBertConfig(f: Fields): MobileBertConfig {
  const useBottleneck = f.bool('use_bottleneck', true);
  const hiddenSize = f.int('hidden_size', 512);
  const intraBottleneckSize = f.int('intra_bottleneck_size', 128);
  return {
    vocabSize: f.int('vocab_size', 30522),
    embeddingSize: f.int('embedding_size', 128),
    hiddenSize,
    intraBottleneckSize,
    // MobileBertConfig.__init__ derives it; a stored "true_hidden_size" is ignored, as transformers ignores it.
    trueHiddenSize: useBottleneck ? intraBottleneckSize : hiddenSize,
    intermediateSize: f.int('intermediate_size', 512),
    numHiddenLayers: f.int('num_hidden_layers', 24),
    numAttentionHeads: f.int('num_attention_heads', 4),
    numFeedforwardNetworks: f.int('num_feedforward_networks', 4),
    maxPositionEmbeddings: f.int('max_position_embeddings', 512),
    typeVocabSize: f.int('type_vocab_size', 2),
    normalizationType: f.oneOf<NormalizationType>('normalization_type', 'no_norm', ['no_norm', 'layer_norm']),
    hiddenAct: f.oneOf<Activation>('hidden_act', 'relu', ACTIVATIONS),
    trigramInput: f.bool('trigram_input', true),
    useBottleneck,
    useBottleneckAttention: f.bool('use_bottleneck_attention', false),
    keyQuerySharedBottleneck: f.bool('key_query_shared_bottleneck', true),
    classifierActivation: f.bool('classifier_activation', true),
    initializerRange: f.float('initializer_range', 0.02),
    layerNormEps: f.float('layer_norm_eps', 1e-12),
    hiddenDropoutProb: f.float('hidden_dropout_prob', 0.0),
    attentionProbsDropoutProb: f.float('attention_probs_dropout_prob', 0.1),
    padTokenId: f.int('pad_token_id', 0, 0),
  };
}

function bertConfig(f: Fields, json: Record<string, unknown>): BertConfig {
  const position = json.position_embedding_type ?? 'absolute';
  if (position !== 'absolute') f.problems.push(`"position_embedding_type" ${JSON.stringify(position)} is not supported (only "absolute")`);
  return {
    vocabSize: f.int('vocab_size', 30522),
    hiddenSize: f.int('hidden_size', 768),
    numHiddenLayers: f.int('num_hidden_layers', 12),
    numAttentionHeads: f.int('num_attention_heads', 12),
    intermediateSize: f.int('intermediate_size', 3072),
    hiddenAct: f.oneOf<Activation>('hidden_act', 'gelu', ACTIVATIONS),
    maxPositionEmbeddings: f.int('max_position_embeddings', 512),
    typeVocabSize: f.int('type_vocab_size', 2),
    layerNormEps: f.float('layer_norm_eps', 1e-12),
    initializerRange: f.float('initializer_range', 0.02),
    padTokenId: f.int('pad_token_id', 0, 0),
  };
}

/** Checks a MobileBERT config for what transformers itself could not run or the builder does not reproduce. */
export function mobileBertProblems(cfg: MobileBertConfig): string[] {
  const problems: string[] = [];
  if (cfg.trueHiddenSize % cfg.numAttentionHeads !== 0) problems.push(`true hidden size ${cfg.trueHiddenSize} is not divisible by num_attention_heads ${cfg.numAttentionHeads}`);
  if (cfg.useBottleneck && !cfg.useBottleneckAttention && !cfg.keyQuerySharedBottleneck && cfg.hiddenSize !== cfg.trueHiddenSize) {
    // transformers' query/key are Linear(true_hidden_size, ...) but would get the hidden_size-wide layer input.
    problems.push('key_query_shared_bottleneck=false with use_bottleneck_attention=false needs hidden_size == intra_bottleneck_size');
  }
  if (cfg.padTokenId >= cfg.vocabSize) problems.push(`pad_token_id ${cfg.padTokenId} is outside the vocabulary (${cfg.vocabSize})`);
  return problems;
}

export function bertProblems(cfg: BertConfig): string[] {
  const problems: string[] = [];
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) problems.push(`hidden_size ${cfg.hiddenSize} is not divisible by num_attention_heads ${cfg.numAttentionHeads}`);
  if (cfg.padTokenId >= cfg.vocabSize) problems.push(`pad_token_id ${cfg.padTokenId} is outside the vocabulary (${cfg.vocabSize})`);
  return problems;
}

/** Number of labels as transformers counts them: id2label's size, else num_labels, else 2. */
function numLabels(json: Record<string, unknown>): number {
  if (isRecord(json.id2label)) return Object.keys(json.id2label).length;
  if (typeof json.num_labels === 'number' && Number.isSafeInteger(json.num_labels) && json.num_labels > 0) return json.num_labels;
  return 2;
}

/**
 * The model a config.json describes, or an Error naming what is unsupported. `name` is for messages (the folder
 * or repo).
 */
export function parseModelSpec(json: unknown, name = 'the model'): ModelSpec {
  const where = `config.json of ${name}`;
  if (!isRecord(json)) throw new Error(`${where} is not a JSON object`);
  const known = Object.keys(SUPPORTED_ARCHITECTURES).join(', ');
  const listed = Array.isArray(json.architectures) ? json.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (listed.length === 0) throw new Error(`${where} names no "architectures"; Lens builds ${known}`);
  const architecture = listed.find((a) => a in SUPPORTED_ARCHITECTURES);
  if (!architecture) throw new Error(`${where}: architecture ${listed.join(', ')} is not supported; Lens builds ${known}`);
  const { modelType, head: headKind } = SUPPORTED_ARCHITECTURES[architecture];
  if (json.model_type !== undefined && json.model_type !== modelType) {
    throw new Error(`${where}: model_type "${String(json.model_type)}" does not match the architecture ${architecture} (model_type "${modelType}")`);
  }
  const f = new Fields(json);
  const head: Head = headKind === 'qa' ? { kind: 'qa' } : { kind: 'classify', numLabels: numLabels(json) };
  if (modelType === 'mobilebert') {
    const config = mobileBertConfig(f);
    const problems = [...f.problems, ...mobileBertProblems(config)];
    if (problems.length > 0) throw new Error(`${where} cannot be built: ${problems.join('; ')}`);
    return { modelType, architecture, config, head };
  }
  const config = bertConfig(f, json);
  const problems = [...f.problems, ...bertProblems(config)];
  if (problems.length > 0) throw new Error(`${where} cannot be built: ${problems.join('; ')}`);
  return { modelType, architecture, config, head };
}
