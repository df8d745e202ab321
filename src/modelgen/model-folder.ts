/**
 * Writes a random-weight model as a Hugging Face style folder (Node only):
 *   config.json, tokenizer_config.json, special_tokens_map.json, vocab.txt, and either onnx/model.onnx (the layout
 *   of Hub repositories such as Xenova/mobilebert-uncased-mnli) or model.safetensors (most fine-tunes on the Hub),
 * so the same loading code serves both.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PYTORCH_FILE, SAFETENSORS_FILE } from '../shared/model-files.js';
import type { ModelTask } from './mobilebert-config.js';
import { presetConfigJson, randomCheckpoint, randomModel, randomPytorchCheckpoint } from './random-model.js';
import type { GraphKind } from '../engine/graph/index.js';
import { bertUncasedVocabLines } from './vocab-from-npm.js';

export const DEFAULT_SEED = 42;

export type ModelFormat = 'onnx' | 'safetensors' | 'pytorch';
export const MODEL_FORMATS: readonly ModelFormat[] = ['onnx', 'safetensors', 'pytorch'];

export interface MakeModelOptions {
  /** a preset name (ARCH_NAMES in random-model.ts) */
  arch: string;
  task: ModelTask;
  outDir: string;
  seed?: number;
  /** onnx (default): onnx/model.onnx; safetensors / pytorch: a checkpoint folder as the Hub ships fine-tunes (no ONNX) */
  format?: ModelFormat;
  /** the ONNX graph: lean (default) or shaped as PyTorch's exporter writes it (GraphVariant) */
  graph?: GraphKind;
}

const SPECIAL_TOKENS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
} as const;

export function tokenizerConfigJson(cfg: { maxPositionEmbeddings: number }, tokenizerClass = 'MobileBertTokenizer'): Record<string, unknown> {
  return {
    tokenizer_class: tokenizerClass,
    do_lower_case: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    model_max_length: cfg.maxPositionEmbeddings,
    clean_up_tokenization_spaces: true,
    ...SPECIAL_TOKENS,
  };
}

export function specialTokensMapJson(): Record<string, string> {
  return { ...SPECIAL_TOKENS };
}

/**
 * The Hugging Face fast-tokenizer file (tokenizer.json) for an uncased WordPiece vocab, as Xenova/* repos ship
 * it instead of vocab.txt: BERT normaliser and pre-tokenizer, WordPiece model, and BERT's [CLS]/[SEP] template
 * (which transformers.js needs).
 */
export function tokenizerJson(vocabLines: readonly string[]): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  vocabLines.forEach((token, id) => {
    vocab[token] = id;
  });
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const special = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0), seq('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export async function makeModelFolder(
  opts: MakeModelOptions,
): Promise<{ dir: string; parameterCount: number; modelFile: string; modelBytes: number }> {
  const config = presetConfigJson(opts.arch, opts.task);
  const dir = path.resolve(opts.outDir);
  const seed = opts.seed ?? DEFAULT_SEED;
  const vocab = await bertUncasedVocabLines();
  if (vocab.length !== config.vocab_size) throw new Error(`vocab has ${vocab.length} entries, config ${String(config.vocab_size)}`);
  const tokenizerClass = config.model_type === 'bert' ? 'BertTokenizer' : 'MobileBertTokenizer';
  const positions = { maxPositionEmbeddings: config.max_position_embeddings as number };

  const model = randomModel(config, seed, { lean: opts.graph !== 'exported' });
  const [modelFile, modelBytes] =
    opts.format === 'safetensors' ? [SAFETENSORS_FILE, randomCheckpoint(config, seed)] : opts.format === 'pytorch' ? [PYTORCH_FILE, randomPytorchCheckpoint(config, seed)] : ['onnx/model.onnx', model.bytes];
  await mkdir(path.join(dir, path.dirname(modelFile)), { recursive: true });
  await writeFile(path.join(dir, 'config.json'), jsonText(config));
  await writeFile(path.join(dir, 'tokenizer_config.json'), jsonText(tokenizerConfigJson(positions, tokenizerClass)));
  await writeFile(path.join(dir, 'special_tokens_map.json'), jsonText(specialTokensMapJson()));
  await writeFile(path.join(dir, 'vocab.txt'), `${vocab.join('\n')}\n`);
  await writeFile(path.join(dir, modelFile), modelBytes);
  return { dir, parameterCount: model.parameterCount, modelFile, modelBytes: modelBytes.length };
}
