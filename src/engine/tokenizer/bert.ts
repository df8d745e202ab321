/**
 * BERT WordPiece tokenizer with character offsets: Google BERT's `FullTokenizer` / Hugging Face
 * `BertTokenizer`, as a pipeline of stages:
 *
 *   splitWords (clean text, whitespace, CJK)  ->  WordNormalizer (lowercase, strip accents)
 *   ->  splitPunctuation  ->  WordPiece  ->  encode (adds [CLS]/[SEP], segment ids, truncation)
 *
 * Every token carries the [start, end) span, in UTF-16 units, of the original input it came from.
 */
import { WordNormalizer } from './normalizer.js';
import { splitPunctuation, splitWords } from './pretokenizer.js';
import { WordPiece } from './wordpiece.js';
import type { Vocab } from './vocab.js';

export interface Token {
  /** Vocabulary id. */
  id: number;
  /** The vocabulary piece ("##" continuation prefix included; the unknown token for unknown words). */
  text: string;
  /** Span [start, end) in the original string (JS UTF-16 indices); -1/-1 for special tokens. */
  start: number;
  end: number;
}

export interface BertTokenizerOptions {
  doLowerCase: boolean;
  /** Default: `doLowerCase` (as Hugging Face's BertTokenizer with strip_accents=None). */
  stripAccents?: boolean;
  /** Put each CJK ideograph in a word of its own (default true). */
  tokenizeChineseChars?: boolean;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
  /** Words longer than this many code points become the unknown token (default 100, as Hugging Face; Google's reference uses 200). */
  maxInputCharsPerWord?: number;
  /** Size of the word -> pieces memo (default 50,000 words; 0 disables it). */
  cacheSize?: number;
}

/** Model inputs for one text or a pair. */
export interface Encoding {
  inputIds: number[];
  segmentIds: number[];
  /** Aligned with `inputIds`; special tokens have start = end = -1. */
  tokens: Token[];
}

/** Receives tokens one by one, without allocating a Token object. */
export type TokenVisitor = (id: number, text: string, start: number, end: number) => void;

export class BertTokenizer {
  readonly vocab: Vocab;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number;
  readonly unkToken: string;
  readonly clsToken: string;
  readonly sepToken: string;
  readonly padToken: string;
  readonly maskToken: string;
  readonly doLowerCase: boolean;
  readonly stripAccents: boolean;
  readonly tokenizeChineseChars: boolean;
  private readonly normalizer: WordNormalizer;
  private readonly wordPiece: WordPiece;

  constructor(vocab: Vocab, options: BertTokenizerOptions) {
    this.vocab = vocab;
    this.doLowerCase = options.doLowerCase;
    this.stripAccents = options.stripAccents ?? options.doLowerCase;
    this.tokenizeChineseChars = options.tokenizeChineseChars ?? true;
    this.unkToken = options.unkToken ?? '[UNK]';
    this.clsToken = options.clsToken ?? '[CLS]';
    this.sepToken = options.sepToken ?? '[SEP]';
    this.padToken = options.padToken ?? '[PAD]';
    this.maskToken = options.maskToken ?? '[MASK]';
    const special = (name: string, token: string): number => {
      const id = vocab.id(token);
      if (id === undefined) {
        throw new Error(`BertTokenizer: the vocabulary has no ${name} token ${JSON.stringify(token)} (vocabulary of ${vocab.size} entries)`);
      }
      return id;
    };
    this.unkId = special('unknown', this.unkToken);
    this.clsId = special('CLS', this.clsToken);
    this.sepId = special('SEP', this.sepToken);
    this.padId = special('padding', this.padToken);
    this.maskId = special('mask', this.maskToken);
    const maxChars = options.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(maxChars) || maxChars < 1) {
      throw new Error(`BertTokenizer: maxInputCharsPerWord must be a positive integer, got ${maxChars}`);
    }
    this.normalizer = new WordNormalizer({ lowercase: this.doLowerCase, stripAccents: this.stripAccents });
    this.wordPiece = new WordPiece(vocab, {
      unkToken: this.unkToken,
      maxInputCharsPerWord: maxChars,
      cacheSize: options.cacheSize,
    });
  }

  /** WordPiece tokens of `text`, with their spans in `text`. */
  tokenize(text: string): Token[] {
    const out: Token[] = [];
    this.tokenizeTo(text, (id, piece, start, end) => {
      out.push({ id, text: piece, start, end });
    });
    return out;
  }

  /** Token ids of `text` only. */
  tokenizeToIds(text: string): number[] {
    const out: number[] = [];
    this.tokenizeTo(text, (id) => {
      out.push(id);
    });
    return out;
  }

  /** Streams the tokens of `text` to `visit`, in order (the allocation-free form of `tokenize`). */
  tokenizeTo(text: string, visit: TokenVisitor): void {
    const normalizer = this.normalizer;
    const wordPiece = this.wordPiece;
    splitWords(text, this.tokenizeChineseChars, (word, wordStart, starts, ends, ascii) => {
      if (ascii) {
        // ASCII: normalisation is at most a lowercase, which keeps every offset.
        const norm = normalizer.normalizeAscii(word);
        splitPunctuation(norm, true, (a, b) => {
          const pieces = wordPiece.tokenize(a === 0 && b === norm.length ? norm : norm.slice(a, b));
          for (const p of pieces) {
            if (starts === null || ends === null) {
              visit(p.id, p.text, wordStart + a + p.start, wordStart + a + p.end);
            } else {
              visit(p.id, p.text, starts[a + p.start], ends[a + p.end - 1]);
            }
          }
        });
        return;
      }
      let ws = starts;
      let we = ends;
      if (ws === null || we === null) {
        // A contiguous slice: unit k of the word is unit wordStart + k of the text.
        ws = new Array<number>(word.length);
        we = new Array<number>(word.length);
        for (let k = 0; k < word.length; k++) {
          ws[k] = wordStart + k;
          we[k] = wordStart + k + 1;
        }
      }
      const norm = normalizer.normalize(word, ws, we);
      const ntext = norm.text;
      splitPunctuation(ntext, false, (a, b) => {
        const pieces = wordPiece.tokenize(a === 0 && b === ntext.length ? ntext : ntext.slice(a, b));
        for (const p of pieces) visit(p.id, p.text, norm.starts[a + p.start], norm.ends[a + p.end - 1]);
      });
    });
  }

  /**
   * Model inputs `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]` with segment ids 0 for the first part and 1 for
   * the second. With `maxLength`, the texts are truncated 'longest_first' (one token at a time from the
   * longer one, the second on ties), as Hugging Face and BERT's `_truncate_seq_pair` do.
   */
  encode(a: string, b?: string, maxLength?: number): Encoding {
    let ta = this.tokenize(a);
    let tb = b === undefined ? undefined : this.tokenize(b);
    if (maxLength !== undefined) {
      const specials = tb === undefined ? 2 : 3;
      if (!Number.isInteger(maxLength) || maxLength < specials) {
        throw new Error(`BertTokenizer.encode: maxLength must be an integer >= ${specials} (room for the special tokens), got ${maxLength}`);
      }
      const budget = maxLength - specials;
      if (tb === undefined) {
        if (ta.length > budget) ta = ta.slice(0, budget);
      } else {
        let la = ta.length;
        let lb = tb.length;
        while (la + lb > budget) {
          if (la > lb) la--;
          else lb--;
        }
        ta = ta.slice(0, la);
        tb = tb.slice(0, lb);
      }
    }
    const cls: Token = { id: this.clsId, text: this.clsToken, start: -1, end: -1 };
    const sep = (): Token => ({ id: this.sepId, text: this.sepToken, start: -1, end: -1 });
    const tokens: Token[] = [cls, ...ta, sep()];
    const segmentIds: number[] = new Array<number>(tokens.length).fill(0);
    if (tb !== undefined) {
      tokens.push(...tb, sep());
      for (let i = 0; i < tb.length + 1; i++) segmentIds.push(1);
    }
    return { inputIds: tokens.map((t) => t.id), segmentIds, tokens };
  }
}
