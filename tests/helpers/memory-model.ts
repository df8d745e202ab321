// Tiny random-weight models held in memory as a ModelSource: the engine's loading path without disk.
import type { ModelSource } from '../../src/engine/model.js';
import { ARCHS, hfConfigJson, type ModelTask } from '../../src/modelgen/mobilebert-config.js';
import { buildMobileBertOnnx } from '../../src/modelgen/random-model.js';
import { specialTokensMapJson, tokenizerConfigJson } from '../../src/modelgen/model-folder.js';
import { uncasedVocabText } from './vocab.js';

export type Files = Map<string, Uint8Array>;

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export async function tinyModelFiles(task: ModelTask, seed = 7): Promise<Files> {
  const cfg = ARCHS.tiny;
  return new Map([
    ['config.json', json(hfConfigJson(cfg, task))],
    ['tokenizer_config.json', json(tokenizerConfigJson(cfg))],
    ['special_tokens_map.json', json(specialTokensMapJson())],
    ['vocab.txt', new TextEncoder().encode(await uncasedVocabText())],
    ['onnx/model.onnx', buildMobileBertOnnx(cfg, task, seed).bytes],
  ]);
}

export function memorySource(files: Files, name = 'memory-model'): ModelSource {
  return { name, read: async (path) => files.get(path) };
}
