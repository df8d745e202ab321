// A model is a folder in the Hugging Face layout. This module reads what the pipelines need from its files
// (config.json, tokenizer files, an ONNX file) through a ModelSource, so the same code loads a folder on disk
// (CLI), files in the extension package, Cache Storage or a download.
import { BertTokenizer, Vocab, type BertTokenizerOptions } from './tokenizer/index.js';
import { ModelSession, initRuntime, type RuntimeOptions, type SessionLike, errorMessage } from './runtime.js';
import { buildOnnxFromCheckpointSync } from './graph/index.js';
import { readCheckpoint } from './checkpoint.js';

export interface ModelSource {
  /** a short name for messages, e.g. the folder path or hub repo */
  readonly name: string;
  /** the file's bytes, or undefined when the model has no such file */
  read(path: string): Promise<Uint8Array | undefined>;
}

export type TaskKind = 'qa' | 'classify';
import { CHECKPOINT_FILES, ONNX_FILES, type OnnxVariant } from '../shared/model-files.js';

export { ONNX_FILES, type OnnxVariant };

export interface ModelConfig {
  modelType: string;
  architectures: string[];
  /** labels by class id, from id2label */
  labels: string[] | undefined;
  maxPositions: number;
}

/** The steps of a load, in order, as they complete (a diagnostic hook: where a cold start goes). */
export type LoadStep = 'runtime' | 'onnx-read' | 'tokenizer' | 'session';

export interface LoadOptions extends RuntimeOptions {
  /** which ONNX file to use; default: fp32, falling back to quantized when that is all there is */
  variant?: OnnxVariant;
  onStep?: (step: LoadStep) => void;
  /** creates the session from the ONNX bytes instead of ModelSession.create here (e.g. a host's pool of Web Workers) */
  createSession?: (bytes: Uint8Array) => Promise<SessionLike>;
}

export class LensModel {
  private constructor(
    readonly name: string,
    readonly config: ModelConfig,
    readonly tokenizer: BertTokenizer,
    readonly session: SessionLike,
    readonly onnxFile: string,
    readonly task: TaskKind,
  ) {}

  static async load(source: ModelSource, options: LoadOptions = {}): Promise<LensModel> {
    // the WebAssembly runtime starts (compiles, starts its threads) while the files are read
    // (the default WebAssembly build only: another build, e.g. WebGPU's, starts in ModelSession.create)
    const usesDefaultRuntime = !options.createSession && options.ort === undefined && (options.executionProvider ?? 'wasm') === 'wasm';
    const runtime = (usesDefaultRuntime ? initRuntime(options) : Promise.resolve()).then(() => options.onStep?.('runtime'));
    runtime.catch(() => undefined);
    const configJson = await readJson(source, 'config.json', true);
    const config = parseConfig(configJson, source.name);
    // the ONNX file is read (I/O, off this thread for Cache Storage) while the vocabulary is parsed (CPU)
    const onnx = readOnnx(source, options.variant, configJson).then((read) => {
      options.onStep?.('onnx-read');
      return read;
    });
    onnx.catch(() => undefined);
    const tokenizer = await loadTokenizer(source);
    options.onStep?.('tokenizer');
    const { path, bytes } = await onnx;
    // a failed start is retried (and reported) by ModelSession.create
    await runtime.catch(() => undefined);
    const session = await (options.createSession ? options.createSession(bytes) : ModelSession.create(bytes, options));
    options.onStep?.('session');
    try {
      const task = detectTask(session, source.name);
      if (!session.hasInput('input_ids')) throw new Error(`model ${source.name} has no "input_ids" input (inputs: ${session.inputs.map((i) => i.name).join(', ')})`);
      if (task === 'classify' && !config.labels) throw new Error(`model ${source.name} has a "logits" output but no id2label in config.json`);
      return new LensModel(source.name, config, tokenizer, session, path, task);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Refuses, with a clear message, a model that cannot do the task asked of it. */
  require(task: TaskKind): void {
    if (this.task === task) return;
    const what = { qa: 'question answering (start_logits/end_logits outputs)', classify: 'classification (a logits output and id2label)' };
    throw new Error(`model ${this.name} is a ${this.task === 'qa' ? 'question-answering' : 'classification'} model, not one for ${what[task]}`);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function detectTask(session: SessionLike, name: string): TaskKind {
  const outs = session.outputNames;
  if (outs.includes('start_logits') && outs.includes('end_logits')) return 'qa';
  if (outs.includes('logits')) return 'classify';
  throw new Error(`model ${name} has outputs [${outs.join(', ')}]: neither start_logits/end_logits (question answering) nor logits (classification)`);
}

/**
 * The model's ONNX bytes: its ONNX file, or else the graph built from its config.json and its checkpoint
 * (most fine-tunes on the Hub ship no ONNX): model.safetensors, or pytorch_model.bin read as data (never unpickled).
 */
async function readOnnx(source: ModelSource, variant: OnnxVariant | undefined, configJson: unknown): Promise<{ path: string; bytes: Uint8Array }> {
  const candidates = variant ? ONNX_FILES[variant] : [...ONNX_FILES.fp32, ...ONNX_FILES.quantized];
  for (const path of candidates) {
    const bytes = await source.read(path);
    if (bytes) return { path, bytes };
  }
  const checkpoint = await readCheckpoint((path) => source.read(path), source.name);
  if (checkpoint) return { path: checkpoint.path, bytes: buildOnnxFromCheckpointSync(configJson, checkpoint.tensors, source.name).bytes };
  throw new Error(`model ${source.name} has no ONNX file (looked for ${candidates.join(', ')}) and no checkpoint (${CHECKPOINT_FILES.join(', ')})`);
}

async function readJson(source: ModelSource, path: string, required: boolean): Promise<unknown> {
  const bytes = await source.read(path);
  if (!bytes) {
    if (required) throw new Error(`model ${source.name} has no ${path}`);
    return undefined;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch (err) {
    throw new Error(`${path} of model ${source.name} is not valid JSON: ${errorMessage(err)}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseConfig(json: unknown, name: string): ModelConfig {
  if (!isRecord(json)) throw new Error(`config.json of model ${name} is not a JSON object`);
  const maxPositions = typeof json.max_position_embeddings === 'number' ? json.max_position_embeddings : 512;
  const architectures = Array.isArray(json.architectures) ? json.architectures.filter((a): a is string => typeof a === 'string') : [];
  let labels: string[] | undefined;
  if (isRecord(json.id2label)) {
    const entries = Object.entries(json.id2label);
    labels = new Array<string>(entries.length);
    for (const [id, label] of entries) {
      const index = Number(id);
      if (!Number.isInteger(index) || index < 0 || index >= entries.length || typeof label !== 'string') {
        throw new Error(`config.json of model ${name}: id2label must map the ids 0..${entries.length - 1} to names (bad entry "${id}")`);
      }
      labels[index] = label;
    }
  }
  return { modelType: typeof json.model_type === 'string' ? json.model_type : 'unknown', architectures, labels, maxPositions };
}

/** A special token in tokenizer_config.json is either a string or an AddedToken object with `content`. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

async function loadTokenizer(source: ModelSource): Promise<BertTokenizer> {
  const tokConfig = await readJson(source, 'tokenizer_config.json', false);
  const specialMap = await readJson(source, 'special_tokens_map.json', false);
  const options: BertTokenizerOptions = { doLowerCase: true };
  for (const cfg of [specialMap, tokConfig]) {
    if (!isRecord(cfg)) continue;
    options.unkToken = tokenString(cfg.unk_token) ?? options.unkToken;
    options.clsToken = tokenString(cfg.cls_token) ?? options.clsToken;
    options.sepToken = tokenString(cfg.sep_token) ?? options.sepToken;
    options.padToken = tokenString(cfg.pad_token) ?? options.padToken;
    options.maskToken = tokenString(cfg.mask_token) ?? options.maskToken;
  }
  if (isRecord(tokConfig)) {
    if (typeof tokConfig.do_lower_case === 'boolean') options.doLowerCase = tokConfig.do_lower_case;
    if (typeof tokConfig.strip_accents === 'boolean') options.stripAccents = tokConfig.strip_accents;
    if (typeof tokConfig.tokenize_chinese_chars === 'boolean') options.tokenizeChineseChars = tokConfig.tokenize_chinese_chars;
  }

  // The fast tokenizer file wins when present, as in Hugging Face's AutoTokenizer.
  const tokenizerJson = await readJson(source, 'tokenizer.json', false);
  if (tokenizerJson !== undefined) {
    if (!isRecord(tokenizerJson)) throw new Error(`tokenizer.json of model ${source.name} is not a JSON object`);
    const normalizer = tokenizerJson.normalizer;
    if (isRecord(normalizer) && normalizer.type === 'BertNormalizer') {
      if (typeof normalizer.lowercase === 'boolean') options.doLowerCase = normalizer.lowercase;
      if (typeof normalizer.strip_accents === 'boolean') options.stripAccents = normalizer.strip_accents;
      if (typeof normalizer.handle_chinese_chars === 'boolean') options.tokenizeChineseChars = normalizer.handle_chinese_chars;
    }
    const model = tokenizerJson.model;
    if (isRecord(model)) {
      if (typeof model.unk_token === 'string') options.unkToken = model.unk_token;
      if (typeof model.max_input_chars_per_word === 'number') options.maxInputCharsPerWord = model.max_input_chars_per_word;
    }
    return new BertTokenizer(Vocab.fromTokenizerJson(tokenizerJson), options);
  }
  const vocabTxt = await source.read('vocab.txt');
  if (!vocabTxt) throw new Error(`model ${source.name} has neither vocab.txt nor tokenizer.json`);
  return new BertTokenizer(Vocab.fromVocabTxt(new TextDecoder().decode(vocabTxt)), options);
}
