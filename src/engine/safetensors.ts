/**
 * safetensors (https://github.com/huggingface/safetensors) reader and writer: 8 bytes little-endian u64 header length N,
 * N bytes of UTF-8 JSON { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } },
 * then the tensor data. Validation follows the reference implementation: header at most 100 MB and starting with '{',
 * each tensor's byte span matching dtype x shape, spans tiling the data section exactly (no gap, no overlap), and the
 * file ending where the data does. Browser-safe: no Node API.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** absolute byte offset in the file */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  dtype?: 'F32' | 'F16' | 'BF16';
}

const DTYPE_SIZE: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Valid in the format but not read here (named so the error says "unsupported" rather than "unknown"). */
const OTHER_DTYPES = new Set(['U16', 'U32', 'U64', 'C64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4']);
/** The reference implementation's MAX_HEADER_SIZE. */
const MAX_HEADER = 100_000_000;
const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Header {
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  /** bytes of tensor data the header describes (the data section starts at 8 + N) */
  dataLength: number;
}

const fail = (message: string): never => {
  throw new SafetensorsError(message);
};

/** Checks the 8-byte prefix; fileLength is undefined when reading a stream of unknown length. */
function headerLength(prefix: Uint8Array, fileLength: number | undefined, name: string): number {
  if (!LITTLE_ENDIAN) fail('safetensors needs a little-endian platform');
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  // A pickle, zip or HTML page read as a length is a huge number: say what the file is not, not just "too big".
  if (fileLength !== undefined && n + 8n > BigInt(fileLength)) fail(`${name} is not a safetensors file: header length ${n} is larger than the file (${fileLength} bytes)`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${name} is not a safetensors file: header length ${n} is not a safe integer`);
  if (n > BigInt(MAX_HEADER)) fail(`${name}: header length ${n} is over the ${MAX_HEADER}-byte limit`);
  return Number(n);
}

const isIndexKey = (k: string) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;

/** JSON.parse lists integer-like keys ("0", "12") first; this recovers the written order of a (valid) header's keys. */
function writtenKeyOrder(text: string): string[] {
  const keys = new Set<string>();
  const colon = /\s*:/y;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      colon.lastIndex = j + 1;
      if (depth === 1 && colon.test(text)) keys.add(JSON.parse(text.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return [...keys];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parseHeader(bytes: Uint8Array, n: number, name: string): Header {
  if (n === 0 || bytes[8] !== 0x7b) fail(`${name}: the header does not start with '{'`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    fail(`${name}: the header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(json)) return fail(`${name}: the header is not a JSON object`);
  const meta = json[METADATA_KEY] ?? {};
  if (!isObject(meta) || Object.values(meta).some((v) => typeof v !== 'string')) fail(`${name}: __metadata__ must map strings to strings`);
  // fromEntries, not Object.assign: a "__proto__" key stays a plain key.
  const metadata = Object.fromEntries(Object.entries(meta)) as Record<string, string>;
  let keys = Object.keys(json);
  if (keys.some(isIndexKey)) keys = writtenKeyOrder(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const key of keys) {
    if (key === METADATA_KEY) continue;
    const t = json[key];
    const what = `${name}: tensor ${JSON.stringify(key)}`;
    if (!isObject(t)) return fail(`${what} is not an object`);
    const { dtype, shape, data_offsets: offsets } = t;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, dtype)) {
      const known = Object.keys(DTYPE_SIZE).join(', ');
      fail(OTHER_DTYPES.has(dtype as string) ? `${what} has dtype ${dtype}, which this reader does not support (it reads ${known})` : `${what} has unknown dtype ${JSON.stringify(dtype)} (known: ${known})`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${what} has an invalid shape ${JSON.stringify(shape)} (dimensions must be non-negative integers)`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      return fail(`${what} has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 <= begin <= end)`);
    }
    const size = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_SIZE[dtype as SafetensorsDtype];
    const [begin, end] = offsets as number[];
    if (size !== end - begin) fail(`${what} has dtype ${dtype} and shape [${shape.join(',')}] (${size} bytes) but data_offsets span ${end - begin} bytes`);
    tensors.set(key, { name: key, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: 8 + n + begin, end: 8 + n + end });
  }
  // The spans, in data order, must follow one another exactly from 0 (as the reference implementation requires).
  let at = 8 + n;
  let previous: SafetensorsTensorInfo | undefined;
  for (const t of [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    const where = `tensor ${JSON.stringify(t.name)} begins at data offset ${t.begin - 8 - n}`;
    const prior = previous ? `tensor ${JSON.stringify(previous.name)} ends at ${at - 8 - n}` : 'the data section begins at 0';
    if (t.begin > at) fail(`${name}: data_offsets leave a gap: ${where} but ${prior}`);
    if (t.begin < at) fail(`${name}: data_offsets overlap: ${where} but ${prior}`);
    at = t.end;
    previous = t;
  }
  return { tensors, metadata, dataLength: at - 8 - n };
}

/** The file must end exactly where the header's data does. */
function checkLength(name: string, n: number, header: Header, fileLength: number, kind = 'the file has'): void {
  const have = fileLength - 8 - n;
  if (have < header.dataLength) fail(`${name} is truncated: the header says ${header.dataLength} bytes of tensor data, ${kind} ${have}`);
  if (have > header.dataLength) fail(`${name} is longer than its header says: the header says ${header.dataLength} bytes of tensor data, ${kind} ${have}`);
}

let f16Table: Float32Array | undefined;
/** All 65536 half-precision values, built once: widening is then one table lookup per element. */
export function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  f16Table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    f16Table[h] = e === 0 ? sign * m * 2 ** -24 : e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  return f16Table;
}

/** A typed view of [begin, end) when aligned for it, else of an aligned copy. */
function viewAs<T>(bytes: Uint8Array, begin: number, end: number, size: number, make: (b: ArrayBufferLike, offset: number, length: number) => T): T {
  const offset = bytes.byteOffset + begin;
  if (offset % size === 0) return make(bytes.buffer, offset, (end - begin) / size);
  const copy = bytes.slice(begin, end);
  return make(copy.buffer, 0, (end - begin) / size);
}

export class SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  readonly bytes: Uint8Array;
  readonly #name: string;
  readonly #tensors: Map<string, SafetensorsTensorInfo>;

  private constructor(bytes: Uint8Array, header: Header, name: string) {
    this.bytes = bytes;
    this.metadata = Object.freeze(header.metadata);
    this.#tensors = header.tensors;
    this.#name = name;
  }

  /** Parses and validates a whole file held in memory (no copy of the data). Throws SafetensorsError. */
  static parse(bytes: Uint8Array, name = 'model.safetensors'): SafetensorsFile {
    if (bytes.length < 8) fail(`${name} is not a safetensors file: it has ${bytes.length} bytes, fewer than the 8-byte header length`);
    const n = headerLength(bytes, bytes.length, name);
    const header = parseHeader(bytes, n, name);
    checkLength(name, n, header, bytes.length);
    return new SafetensorsFile(bytes, header, name);
  }

  /**
   * Reads from a stream: the 8-byte length and the header first (validated), then ONE buffer of the file's exact size,
   * filled chunk by chunk. total: the expected byte length if known (e.g. Content-Length); a stream that ends early or
   * runs long is refused. onProgress(done, total) after each chunk once the size is known.
   */
  static async fromStream(
    stream: ReadableStream<Uint8Array>,
    options: { name?: string; total?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
  ): Promise<SafetensorsFile> {
    const { name = 'model.safetensors', total, onProgress, signal } = options;
    signal?.throwIfAborted();
    const reader = stream.getReader();
    // Cancelling the reader settles a pending read, so an abort does not wait for the next chunk.
    const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // The buffer grows twice: 8 bytes -> 8 + N (header) -> the whole file; only the small prefix is ever copied.
      let target = new Uint8Array(8);
      let filled = 0;
      let n = -1;
      let header: Header | undefined;
      const advance = () => {
        while (filled === target.length && !header) {
          if (n < 0) {
            n = headerLength(target, total, name);
          } else {
            header = parseHeader(target, n, name);
            if (total !== undefined) checkLength(name, n, header, total, 'the download has');
          }
          const next = new Uint8Array(header ? 8 + n + header.dataLength : 8 + n);
          next.set(target);
          target = next;
        }
      };
      for (;;) {
        const { done, value } = await reader.read();
        signal?.throwIfAborted();
        if (done) break;
        // A chunk may finish the length, the header and start the data all at once.
        for (let chunk = value; chunk.length > 0; ) {
          if (header && filled === target.length) fail(`${name} is longer than its header says: the stream has more than ${filled} bytes`);
          const take = Math.min(chunk.length, target.length - filled);
          target.set(chunk.subarray(0, take), filled);
          filled += take;
          chunk = chunk.subarray(take);
          advance();
        }
        if (header) onProgress?.(filled, target.length);
      }
      if (!header) return fail(`${name} is truncated: the stream ended after ${filled} bytes, inside the ${n < 0 ? 'header length' : 'header'}`);
      checkLength(name, n, header, filled, 'the stream has');
      return new SafetensorsFile(target, header, name);
    } catch (err) {
      void reader.cancel(err).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      reader.releaseLock();
    }
  }

  /** Tensor names in header order. */
  names(): string[] {
    return [...this.#tensors.keys()];
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const t = this.#tensors.get(name);
    if (!t) return fail(`${this.#name} has no tensor ${JSON.stringify(name)}`);
    return { ...t, shape: [...t.shape] };
  }

  /** The tensor as float32: F32 a view when 4-byte aligned (else a copy); F16, BF16 and F64 widened into a new array. */
  float32(name: string): Float32Array {
    const { dtype, begin, end } = this.info(name);
    const bytes = this.bytes;
    switch (dtype) {
      case 'F32':
        return viewAs(bytes, begin, end, 4, (b, o, l) => new Float32Array(b, o, l));
      case 'F64':
        return new Float32Array(viewAs(bytes, begin, end, 8, (b, o, l) => new Float64Array(b, o, l)));
      case 'F16': {
        const half = viewAs(bytes, begin, end, 2, (b, o, l) => new Uint16Array(b, o, l));
        const table = halfTable();
        const out = new Float32Array(half.length);
        for (let i = 0; i < half.length; i++) out[i] = table[half[i]];
        return out;
      }
      case 'BF16': {
        // bfloat16 is the top half of a float32.
        const half = viewAs(bytes, begin, end, 2, (b, o, l) => new Uint16Array(b, o, l));
        const out = new Uint32Array(half.length);
        for (let i = 0; i < half.length; i++) out[i] = half[i] << 16;
        return new Float32Array(out.buffer);
      }
      default:
        return fail(`${this.#name}: tensor ${JSON.stringify(name)} has dtype ${dtype}; float32() reads only F32, F16, BF16 and F64 tensors`);
    }
  }
}

/** float32 bits -> float16 bits, rounded to nearest even (overflow to Infinity, NaN kept NaN). */
export function toHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e < -10) return sign; // below half the smallest subnormal: zero
  // Normal results drop 13 mantissa bits; subnormal ones also shift the implicit 1 in (a carry into the exponent is right).
  const shift = e > 0 ? 13 : 14 - e;
  const m = e > 0 ? mant : mant | 0x800000;
  const rem = m & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  let r = (e > 0 ? e << 10 : 0) | (m >>> shift);
  if (rem > halfway || (rem === halfway && r & 1)) r++;
  return sign | r;
}

/** float32 bits -> bfloat16 bits, rounded to nearest even. */
export function toBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Writes a safetensors file (F32 by default; F16/BF16 rounded to nearest even), data 8-aligned, tensors in the given order. */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata?: Readonly<Record<string, string>>): Uint8Array {
  if (!LITTLE_ENDIAN) fail('safetensors needs a little-endian platform');
  const entries: string[] = metadata ? [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`] : [];
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    if (t.name === METADATA_KEY || seen.has(t.name)) fail(`cannot write tensor ${JSON.stringify(t.name)}: the name is ${seen.has(t.name) ? 'used twice' : 'reserved'}`);
    if (!['F32', 'F16', 'BF16'].includes(dtype)) fail(`cannot write tensor ${JSON.stringify(t.name)}: dtype ${dtype} is not F32, F16 or BF16`);
    if (!t.shape.every((d) => isCount(d))) fail(`cannot write tensor ${JSON.stringify(t.name)}: invalid shape [${t.shape.join(',')}]`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) fail(`cannot write tensor ${JSON.stringify(t.name)}: shape [${t.shape.join(',')}] holds ${count} values, data has ${t.data.length}`);
    seen.add(t.name);
    const size = count * DTYPE_SIZE[dtype];
    // Built by hand, not JSON.stringify of an object, which would move integer-like names ahead of the others.
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [offset, offset + size] })}`);
    offset += size;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    if (dtype === 'F32') {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
      at += t.data.byteLength;
      continue;
    }
    const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const half = new Uint16Array(out.buffer, at, bits.length); // at stays even: every earlier span is a multiple of 2
    const convert = dtype === 'F16' ? toHalf : toBfloat16;
    for (let i = 0; i < bits.length; i++) half[i] = convert(bits[i]);
    at += 2 * bits.length;
  }
  return out;
}
