/** BERT WordPiece tokenizer with character offsets. */
export { Vocab } from './vocab.js';
export { BertTokenizer } from './bert.js';
export type { BertTokenizerOptions, Encoding, Token, TokenVisitor } from './bert.js';
export { WordNormalizer, stripAccents } from './normalizer.js';
export type { AlignedText, NormalizerOptions } from './normalizer.js';
export { splitPunctuation, splitWords } from './pretokenizer.js';
export type { WordVisitor } from './pretokenizer.js';
export { WordPiece } from './wordpiece.js';
export type { Piece, WordPieceOptions } from './wordpiece.js';
