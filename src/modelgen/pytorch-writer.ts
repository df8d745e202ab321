/**
 * Writes what `torch.save(state_dict)` writes, in both of its formats, for tests and the end-to-end tests' fake hub:
 * an OrderedDict of `torch._utils._rebuild_tensor_v2` tensors whose storages are persistent ids, pickled with
 * protocol 2 the way Python's pickler writes it (strings and globals memoized, SETITEMS in batches of 1000).
 * - zip (torch >= 1.6): <root>/data.pkl, <root>/byteorder, <root>/data/<key> (each storage's bytes, 64-byte
 *   aligned through an "FB" padding field as torch does), <root>/version; entries stored, not compressed.
 * - legacy (torch < 1.6): the pickled magic number, protocol version and sys_info, the state_dict pickle (storage
 *   ids with a 6th item, view_metadata None), the pickled list of storage keys (sorted, as torch does), then each
 *   storage as its int64 little-endian element count followed by its bytes.
 * Each tensor gets its own contiguous storage (no tied weights, no views). Runs in Node and in browsers.
 */
import { toBfloat16, toHalf, type TensorToWrite } from '../engine/safetensors.js';

export interface Int64BufferToWrite {
  name: string;
  shape: readonly number[];
  data: BigInt64Array;
}

export interface PytorchWriteOptions {
  format: 'zip' | 'legacy';
  /** int64 buffers (e.g. `position_ids`), written after the float tensors */
  int64Buffers?: readonly Int64BufferToWrite[];
  /** the zip's root folder; torch >= 2 writes "archive", older versions the file's stem */
  root?: string;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
const BATCH = 1000; // Python's pickler writes SETITEMS/APPENDS in batches of this many

/** Pickle opcodes used here (and by tests that build hostile pickles). */
export const OP = {
  MARK: 0x28, STOP: 0x2e, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, NONE: 0x4e, BINPERSID: 0x51, REDUCE: 0x52,
  BINUNICODE: 0x58, EMPTY_LIST: 0x5d, APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63, APPENDS: 0x65, BINGET: 0x68,
  LONG_BINGET: 0x6a, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, SETITEMS: 0x75, EMPTY_DICT: 0x7d,
  EMPTY_TUPLE: 0x29, PROTO: 0x80, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a,
} as const;

/** A protocol-2 pickle, written opcode by opcode (Python's encodings; strings and globals memoized by value). */
export class Pickler {
  readonly #out: number[] = [];
  readonly #memo = new Map<string, number>();
  #next = 0;

  op(...codes: number[]): this {
    this.#out.push(...codes);
    return this;
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.#out.push(b);
    return this;
  }
  #u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }
  proto(version = 2): this {
    return this.op(OP.PROTO, version);
  }
  /** BINPUT (or LONG_BINPUT) into the next memo slot; returns the slot through `slot` when asked. */
  put(slot?: (index: number) => void): this {
    const i = this.#next++;
    slot?.(i);
    return i < 256 ? this.op(OP.BINPUT, i) : this.op(OP.LONG_BINPUT).#u32(i);
  }
  get(index: number): this {
    return index < 256 ? this.op(OP.BINGET, index) : this.op(OP.LONG_BINGET).#u32(index);
  }
  #memoized(key: string, write: () => void): this {
    const slot = this.#memo.get(key);
    if (slot !== undefined) return this.get(slot);
    write();
    return this.put((i) => this.#memo.set(key, i));
  }
  int(value: number | bigint): this {
    const v = BigInt(value);
    if (v >= 0n && v < 0x100n) return this.op(OP.BININT1, Number(v));
    if (v >= 0n && v < 0x10000n) return this.op(OP.BININT2, Number(v) & 0xff, Number(v) >> 8);
    if (v >= -(1n << 31n) && v < 1n << 31n) return this.op(OP.BININT).#u32(Number(v) >>> 0);
    // LONG1: the shortest little-endian two's complement.
    const bytes: number[] = [];
    for (let x = v; ; x >>= 8n) {
      bytes.push(Number(x & 0xffn));
      if ((x >= -0x80n && x < 0x80n) || bytes.length > 255) break;
    }
    return this.op(OP.LONG1, bytes.length, ...bytes);
  }
  bool(value: boolean): this {
    return this.op(value ? OP.NEWTRUE : OP.NEWFALSE);
  }
  none(): this {
    return this.op(OP.NONE);
  }
  str(s: string): this {
    return this.#memoized(`s:${s}`, () => {
      const utf8 = new TextEncoder().encode(s);
      this.op(OP.BINUNICODE).#u32(utf8.length).raw(utf8);
    });
  }
  global(module: string, name: string): this {
    return this.#memoized(`g:${module}.${name}`, () => this.op(OP.GLOBAL).raw(new TextEncoder().encode(`${module}\n${name}\n`)));
  }
  /** A tuple of n items written by `items`: EMPTY_TUPLE, TUPLE1-3, or MARK ... TUPLE, then memoized (not the empty one). */
  tuple(n: number, items: () => void): this {
    if (n === 0) return this.op(OP.EMPTY_TUPLE);
    if (n > 3) this.op(OP.MARK);
    items();
    return this.op(n > 3 ? OP.TUPLE : [OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][n - 1]).put();
  }
  ints(values: readonly number[]): this {
    return this.tuple(values.length, () => values.forEach((v) => this.int(v)));
  }
  /** Dict or list items in Python's batches: one item alone is SETITEM/APPEND, more are MARK ... SETITEMS/APPENDS. */
  batched(n: number, item: (i: number) => void, single: number, many: number): this {
    for (let start = 0; start < n; start += BATCH) {
      const end = Math.min(n, start + BATCH);
      if (end - start > 1) this.op(OP.MARK);
      for (let i = start; i < end; i++) item(i);
      this.op(end - start > 1 ? many : single);
    }
    return this;
  }
  stop(): this {
    return this.op(OP.STOP);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#out);
  }
}

interface Storage {
  key: string;
  storageType: string;
  numel: number;
  bytes: Uint8Array;
}
interface Entry {
  name: string;
  shape: readonly number[];
  storage: Storage;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function storageBytes(t: TensorToWrite): { storageType: string; bytes: Uint8Array } {
  const dtype = t.dtype ?? 'F32';
  if (dtype === 'F32') return { storageType: 'FloatStorage', bytes: bytesOf(t.data) };
  const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
  const half = new Uint16Array(bits.length);
  const convert = dtype === 'F16' ? toHalf : toBfloat16;
  for (let i = 0; i < bits.length; i++) half[i] = convert(bits[i]);
  return { storageType: dtype === 'F16' ? 'HalfStorage' : 'BFloat16Storage', bytes: bytesOf(half) };
}

function entries(tensors: readonly TensorToWrite[], buffers: readonly Int64BufferToWrite[]): Entry[] {
  const seen = new Set<string>();
  const all: { name: string; shape: readonly number[]; length: number; make: () => { storageType: string; bytes: Uint8Array } }[] = [
    ...tensors.map((t) => {
      if (!['F32', 'F16', 'BF16'].includes(t.dtype ?? 'F32')) throw new Error(`cannot write tensor ${JSON.stringify(t.name)}: dtype ${t.dtype} is not F32, F16 or BF16`);
      return { name: t.name, shape: t.shape, length: t.data.length, make: () => storageBytes(t) };
    }),
    ...buffers.map((b) => ({ name: b.name, shape: b.shape, length: b.data.length, make: () => ({ storageType: 'LongStorage', bytes: bytesOf(b.data) }) })),
  ];
  return all.map((t, i) => {
    if (seen.has(t.name)) throw new Error(`cannot write tensor ${JSON.stringify(t.name)}: the name is used twice`);
    seen.add(t.name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`cannot write tensor ${JSON.stringify(t.name)}: invalid shape [${t.shape.join(',')}]`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.length) throw new Error(`cannot write tensor ${JSON.stringify(t.name)}: shape [${t.shape.join(',')}] holds ${count} values, data has ${t.length}`);
    return { name: t.name, shape: t.shape, storage: { key: String(i), numel: count, ...t.make() } };
  });
}

/** The state_dict pickle: OrderedDict([(name, _rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict())), ...]). */
function stateDictPickle(list: readonly Entry[], legacy: boolean): Uint8Array {
  const p = new Pickler().proto();
  const orderedDict = () => p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE).put();
  orderedDict();
  p.batched(
    list.length,
    (i) => {
      const { name, shape, storage } = list[i];
      const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      p.str(name).global('torch._utils', '_rebuild_tensor_v2');
      p.tuple(6, () => {
        p.tuple(legacy ? 6 : 5, () => {
          p.str('storage').global('torch', storage.storageType).str(storage.key).str('cpu').int(storage.numel);
          if (legacy) p.none();
        });
        p.op(OP.BINPERSID).int(0).ints(shape).ints(stride).bool(false);
        orderedDict();
      });
      p.op(OP.REDUCE).put();
    },
    OP.SETITEM,
    OP.SETITEMS,
  );
  return p.stop().bytes();
}

const concat = (parts: readonly Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function legacyFile(list: readonly Entry[]): Uint8Array {
  const sysInfo = new Pickler().proto().op(OP.EMPTY_DICT).put().op(OP.MARK);
  sysInfo.str('protocol_version').int(PROTOCOL_VERSION).str('little_endian').bool(true).str('type_sizes');
  sysInfo.op(OP.EMPTY_DICT).put().op(OP.MARK).str('short').int(2).str('int').int(4).str('long').int(8).op(OP.SETITEMS, OP.SETITEMS).stop();
  const keys = list.map((e) => e.storage.key).sort();
  const keyList = new Pickler().proto().op(OP.EMPTY_LIST).put();
  keyList.batched(keys.length, (i) => keyList.str(keys[i]), OP.APPEND, OP.APPENDS).stop();
  const byKey = new Map(list.map((e) => [e.storage.key, e.storage]));
  const storages = keys.flatMap((key) => {
    const s = byKey.get(key) as Storage;
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(s.numel), true);
    return [count, s.bytes];
  });
  return concat([
    new Pickler().proto().int(MAGIC_NUMBER).stop().bytes(),
    new Pickler().proto().int(PROTOCOL_VERSION).stop().bytes(),
    sysInfo.bytes(),
    stateDictPickle(list, true),
    keyList.bytes(),
    ...storages,
  ]);
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip file of stored (uncompressed) entries, in the given order, each entry's data aligned to `align` bytes by a
 * padding extra field (id "FB", as PyTorch's writer pads to 64). No zip64: at most 4 GiB.
 */
export function storedZip(files: readonly { name: string; data: Uint8Array }[], align = 64): Uint8Array {
  const DOS_DATE = 0x21; // 1980-01-01
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of files) {
    const nameBytes = new TextEncoder().encode(name);
    const pad = (align - ((offset + 30 + nameBytes.length + 4) % align)) % align;
    const local = new Uint8Array(30 + nameBytes.length + 4 + pad);
    const crc = crc32(data);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(12, DOS_DATE, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, data.length, true);
    l.setUint32(22, data.length, true);
    l.setUint16(26, nameBytes.length, true);
    l.setUint16(28, 4 + pad, true);
    local.set(nameBytes, 30);
    l.setUint16(30 + nameBytes.length, 0x4246, true); // "FB"
    l.setUint16(32 + nameBytes.length, pad, true);
    local.fill(0x5a, 34 + nameBytes.length); // "Z" padding, as torch writes it
    const entry = new Uint8Array(46 + nameBytes.length);
    const c = new DataView(entry.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(14, DOS_DATE, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, data.length, true);
    c.setUint16(28, nameBytes.length, true);
    c.setUint32(42, offset, true);
    entry.set(nameBytes, 46);
    parts.push(local, data);
    central.push(entry);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((n, e) => n + e.length, 0);
  if (offset + cdSize > 0xffffffff || files.length > 0xffff) throw new Error('storedZip: the file would need zip64, which this writer does not write');
  const eocd = new Uint8Array(22);
  const e = new DataView(eocd.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, files.length, true);
  e.setUint16(10, files.length, true);
  e.setUint32(12, cdSize, true);
  e.setUint32(16, offset, true);
  return concat([...parts, ...central, eocd]);
}

function zipFile(list: readonly Entry[], root: string): Uint8Array {
  if (!/^[\w.-]+$/.test(root)) throw new Error(`cannot write a zip checkpoint with root folder ${JSON.stringify(root)}`);
  return storedZip([
    { name: `${root}/data.pkl`, data: stateDictPickle(list, false) },
    { name: `${root}/byteorder`, data: new TextEncoder().encode('little') },
    ...list.map((e) => ({ name: `${root}/data/${e.storage.key}`, data: e.storage.bytes })),
    { name: `${root}/version`, data: new TextEncoder().encode('3\n') },
  ]);
}

/** pytorch_model.bin bytes holding the tensors (F32 by default; F16/BF16 rounded to nearest even), then the int64 buffers. */
export function writePytorchCheckpoint(tensors: readonly TensorToWrite[], options: PytorchWriteOptions): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('writing a PyTorch checkpoint needs a little-endian platform');
  const list = entries(tensors, options.int64Buffers ?? []);
  return options.format === 'zip' ? zipFile(list, options.root ?? 'archive') : legacyFile(list);
}
