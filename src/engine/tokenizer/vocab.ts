/** A WordPiece vocabulary: token <-> id. */
export class Vocab {
  private readonly ids: Map<string, number>;
  private readonly tokens: Array<string | undefined>;

  private constructor(ids: Map<string, number>, tokens: Array<string | undefined>) {
    this.ids = ids;
    this.tokens = tokens;
  }

  /**
   * From a BERT `vocab.txt`: one token per line, id = line index. Accepts \n or \r\n line ends and a
   * trailing newline. Each line is trimmed of surrounding whitespace, as `load_vocab` does; when a token
   * repeats, its id is the last line it is on (Python's dict assignment), while `token(id)` still gives the
   * text of every line.
   */
  static fromVocabTxt(text: string): Vocab {
    if (typeof text !== 'string') throw new TypeError('Vocab.fromVocabTxt: expected the text of a vocab.txt file');
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
    if (lines.length === 0) throw new Error('Vocab.fromVocabTxt: the vocabulary is empty');
    const ids = new Map<string, number>();
    const tokens: string[] = new Array<string>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const token = lines[i].trim();
      tokens[i] = token;
      ids.set(token, i);
    }
    return new Vocab(ids, tokens);
  }

  /**
   * From a Hugging Face `tokenizer.json` (already parsed): reads the WordPiece `model.vocab` map
   * (token -> id). Ids must be distinct non-negative integers; `size` is the largest id + 1.
   */
  static fromTokenizerJson(json: unknown): Vocab {
    const where = 'Vocab.fromTokenizerJson';
    if (!isRecord(json)) throw new Error(`${where}: expected a JSON object (the parsed tokenizer.json)`);
    const model = json['model'];
    if (!isRecord(model)) throw new Error(`${where}: missing "model" object`);
    const type = model['type'];
    if (type !== undefined && type !== 'WordPiece') {
      throw new Error(`${where}: model.type is ${JSON.stringify(type)}, expected "WordPiece"`);
    }
    const vocab = model['vocab'];
    if (!isRecord(vocab)) {
      throw new Error(`${where}: "model.vocab" must be an object mapping token -> id`);
    }
    const ids = new Map<string, number>();
    const tokens: Array<string | undefined> = [];
    for (const [token, id] of Object.entries(vocab)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new Error(`${where}: id of token ${JSON.stringify(token)} is ${JSON.stringify(id)}, expected an integer >= 0`);
      }
      const other = tokens[id];
      if (other !== undefined) {
        throw new Error(`${where}: tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} share id ${id}`);
      }
      tokens[id] = token;
      ids.set(token, id);
    }
    if (ids.size === 0) throw new Error(`${where}: "model.vocab" is empty`);
    return new Vocab(ids, tokens);
  }

  /** The id of a token, or undefined when it is not in the vocabulary. */
  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** The token with this id, or undefined. */
  token(id: number): string | undefined {
    return this.tokens[id];
  }

  /** Number of id slots (the model's vocabulary size). */
  get size(): number {
    return this.tokens.length;
  }

  /** Every (token, id) pair, for building derived lookup tables. */
  entries(): IterableIterator<[string, number]> {
    return this.ids.entries();
  }

  /** The token -> id map itself (read-only view), for hot lookup loops. */
  asMap(): ReadonlyMap<string, number> {
    return this.ids;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
