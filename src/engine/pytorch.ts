/**
 * PyTorch checkpoint (pytorch_model.bin) reader. A checkpoint is a pickle, and a pickle is a program: this module
 * never runs it. It interprets the few opcodes a state_dict needs as data, with torch's `weights_only` allowlist of
 * globals (OrderedDict, the tensor rebuild functions, the torch.*Storage types) built in TypeScript as data
 * constructors; any other opcode, global or persistent id is refused naming what it asked for, before a tensor is
 * read. Dicts are Maps (a pickle's keys never become object keys). Browser-safe: no Node API.
 *
 * Both containers torch.save writes: the zip (torch >= 1.6: <root>/data.pkl, <root>/data/<key> storages, stored
 * uncompressed) and the legacy stream (torch < 1.6: pickled magic number, protocol version and sys_info, the
 * state_dict pickle, a pickled list of storage keys, then each storage as an int64 element count and its bytes).
 */
import { CheckpointError, type CheckpointDtype, type CheckpointTensorInfo, type CheckpointTensors } from './checkpoint-tensors.js';
import { halfTable } from './safetensors.js';

export class PytorchCheckpointError extends CheckpointError {
  override name = 'PytorchCheckpointError';
}

const fail = (message: string): never => {
  throw new PytorchCheckpointError(message);
};

const REFUSED = 'refused, nothing was loaded';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Limits against hostile input: far above what any state_dict pickle uses (about ten stack items and memo slots
// per tensor), far below what would exhaust memory.
const MAX_STACK = 1 << 20;
const MAX_MARKS = 1 << 12;
const MAX_MEMO_INDEX = 1 << 24;
const MAX_STRING = 1 << 20;
const MAX_LONG_BYTES = 16;
const MAX_GLOBAL_LINE = 256;
const MAX_DIMS = 64;
/** A strided (non-contiguous) tensor is copied into a new array: at most this many elements (1 GiB of float32). */
const MAX_STRIDED_ELEMENTS = 1 << 28;
const MAX_ZIP_ENTRIES = 1 << 20;

/** torch.save's magic number (the first pickle of a legacy file) and protocol version (the second). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** The storage types of torch's allowlist this reader reads, by the dtype of their elements. */
const STORAGE_DTYPES = new Map<string, CheckpointDtype>([
  ['torch.FloatStorage', 'F32'],
  ['torch.HalfStorage', 'F16'],
  ['torch.BFloat16Storage', 'BF16'],
  ['torch.DoubleStorage', 'F64'],
  ['torch.LongStorage', 'I64'],
  ['torch.IntStorage', 'I32'],
  ['torch.ShortStorage', 'I16'],
  ['torch.CharStorage', 'I8'],
  ['torch.ByteStorage', 'U8'],
  ['torch.BoolStorage', 'BOOL'],
]);
const ELEMENT_SIZE: Record<CheckpointDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_WITH_STATE = 'torch._utils._rebuild_parameter_with_state';
/** Every global a pickle may name; anything else is refused at the GLOBAL opcode, before it could be called. */
const ALLOWED_GLOBALS = new Set([ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE, ...STORAGE_DTYPES.keys()]);

/** Tensor names refused: keys of Object.prototype, which no transformers model uses and which are a prototype-pollution shape. */
const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

// ---------------------------------------------------------------------------------------------------------------
// Pickle values: plain data, never functions. Python's int is a number (a bigint when past 2^53), float a PyFloat,
// str a string, bytes a Uint8Array.

class PyFloat {
  constructor(readonly value: number) {}
}
class PyTuple {
  constructor(readonly items: readonly Value[]) {}
}
class PyList {
  readonly items: Value[] = [];
}
type DictKey = string | number | bigint | boolean | null;
class PyDict {
  readonly map = new Map<DictKey, Value>();
  constructor(readonly ordered: boolean) {}
}
/** An allowlisted global (its dotted path); REDUCE dispatches on it. */
class PyGlobal {
  constructor(readonly path: string) {}
}
/** A (view of a) storage: `numel` elements from element `base` of the root storage `key`. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: CheckpointDtype,
    readonly base: number,
    readonly numel: number,
  ) {}
}
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}
type Value = null | boolean | number | bigint | string | Uint8Array | PyFloat | PyTuple | PyList | PyDict | PyGlobal | StorageRef | TensorRef;

function typeName(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PyGlobal) return v.path;
  if (v instanceof StorageRef) return 'storage';
  return 'tensor';
}

/** The type with its article, for messages: "an int", "a str", "an OrderedDict". */
const aType = (v: Value) => `${/^[aeiouAEIOU]/.test(typeName(v)) ? 'an' : 'a'} ${typeName(v)}`;

/** A short, bounded rendering of a value for messages (no recursion past two levels). */
function describe(v: Value, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof PyTuple) {
    if (depth >= 2) return '(...)';
    const shown = v.items.slice(0, 8).map((x) => describe(x, depth + 1));
    if (v.items.length > 8) shown.push('...');
    return `(${shown.join(', ')}${v.items.length === 1 ? ',' : ''})`;
  }
  if (v === true || v === false) return v ? 'True' : 'False';
  return typeName(v);
}

/** A module or name read from the pickle, shown as is when printable, else JSON-escaped. */
const shown = (s: string) => (/^[\x21-\x7e]*$/.test(s) ? s : JSON.stringify(s));

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The restricted unpickler: one load() per pickle (a fresh stack and memo, as pickle.load), reading bytes[pos, end).
 * The loop consumes at least one byte per opcode, so it always ends.
 */
class Unpickler {
  pos: number;
  #stack: Value[] = [];
  #marks: number[] = [];
  #memo = new Map<number, Value>();
  #op = 0;
  #opAt = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
    /** names the pickle in messages: "pytorch_model.bin" or "pytorch_model.bin (archive/data.pkl)" */
    private readonly where: string,
    private readonly file: string,
    private readonly persistentLoad?: (pid: Value) => Value,
  ) {
    this.pos = start;
  }

  #fail(what: string): never {
    return fail(`${this.where}: ${OPCODE_NAMES[this.#op]} at byte ${this.#opAt} ${what}`);
  }

  #truncated(): never {
    return fail(`${this.where} is truncated: its pickle ends inside ${OPCODE_NAMES[this.#op] ?? 'an opcode'} at byte ${this.#opAt}`);
  }
  #take(n: number): number {
    if (n > this.end - this.pos) this.#truncated();
    const at = this.pos;
    this.pos += n;
    return at;
  }
  #u8(): number {
    return this.bytes[this.#take(1)];
  }
  #view(n: number): DataView {
    const at = this.#take(n);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, n);
  }
  #length(size: 1 | 4 | 8): number {
    const v = this.#view(size);
    const n = size === 1 ? v.getUint8(0) : size === 4 ? v.getUint32(0, true) : v.getBigUint64(0, true);
    if (n > MAX_STRING) this.#fail(`has a length of ${n} bytes, over the ${MAX_STRING}-byte limit`);
    return Number(n);
  }
  #raw(size: 1 | 4 | 8): Uint8Array {
    const n = this.#length(size);
    const at = this.#take(n);
    return this.bytes.subarray(at, at + n);
  }
  #string(size: 1 | 4 | 8): string {
    const raw = this.#raw(size);
    try {
      return utf8.decode(raw);
    } catch {
      return this.#fail('holds a string that is not valid UTF-8');
    }
  }
  /** A GLOBAL operand: a line of printable ASCII (module or name). */
  #line(): string {
    const limit = Math.min(this.end, this.pos + MAX_GLOBAL_LINE);
    let i = this.pos;
    while (i < limit && this.bytes[i] !== 0x0a) i++;
    if (i === this.end) this.#truncated();
    if (i === limit) this.#fail(`names a module or global longer than ${MAX_GLOBAL_LINE} bytes`);
    const text = String.fromCharCode(...this.bytes.subarray(this.pos, i));
    this.pos = i + 1;
    return text;
  }

  #push(v: Value): void {
    if (this.#stack.length >= MAX_STACK) this.#fail(`would grow the stack past ${MAX_STACK} items`);
    this.#stack.push(v);
  }
  #pop(): Value {
    if (this.#stack.length <= (this.#marks.at(-1) ?? 0)) this.#fail('finds the stack empty (a malformed pickle)');
    return this.#stack.pop() as Value;
  }
  #top(): Value {
    if (this.#stack.length <= (this.#marks.at(-1) ?? 0)) this.#fail('finds the stack empty (a malformed pickle)');
    return this.#stack[this.#stack.length - 1];
  }
  #popMark(): Value[] {
    const mark = this.#marks.pop();
    if (mark === undefined) this.#fail('has no MARK to go back to (a malformed pickle)');
    return this.#stack.splice(mark as number);
  }
  #put(index: number): void {
    if (index >= MAX_MEMO_INDEX) this.#fail(`uses memo index ${index}, over the ${MAX_MEMO_INDEX} limit`);
    this.#memo.set(index, this.#top());
  }
  #get(index: number): void {
    if (!this.#memo.has(index)) this.#fail(`refers to memo slot ${index}, which was never set (a malformed pickle)`);
    this.#push(this.#memo.get(index) as Value);
  }
  #global(module: string, name: string): void {
    const path = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(path)) fail(`${this.file} asks to call ${shown(module)}.${shown(name)}, which is not part of a PyTorch state_dict: ${REFUSED}`);
    this.#push(new PyGlobal(path));
  }
  #setItems(items: Value[]): void {
    const dict = this.#top();
    if (!(dict instanceof PyDict)) return this.#fail(`sets items on ${aType(dict)}, not a dict`);
    if (items.length % 2) this.#fail('has an odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (!(key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key))) this.#fail(`uses ${aType(key)} as a dict key`);
      if (dict.map.has(key as DictKey)) this.#fail(`sets key ${describe(key)} twice in one dict`);
      dict.map.set(key as DictKey, items[i + 1]);
    }
  }
  #append(items: Value[]): void {
    const list = this.#top();
    if (!(list instanceof PyList)) return this.#fail(`appends to ${aType(list)}, not a list`);
    if (list.items.length + items.length > MAX_STACK) this.#fail(`grows a list past ${MAX_STACK} items`);
    for (const item of items) list.items.push(item); // not push(...items): a million arguments overflow the call stack
  }
  #reduce(): void {
    const args = this.#pop();
    const callable = this.#pop();
    if (!(callable instanceof PyGlobal)) return this.#fail(`calls ${aType(callable)}, which is not a function`);
    if (!(args instanceof PyTuple)) return this.#fail(`calls ${callable.path} with ${aType(args)} of arguments, not a tuple`);
    this.#push(construct(callable.path, args.items, this.where));
  }
  #build(): void {
    const state = this.#pop();
    const target = this.#top();
    // OrderedDict's __reduce__ pickles its attributes (a state_dict's `_metadata`) as a BUILD state: kept out.
    if (!(target instanceof PyDict && target.ordered)) this.#fail(`sets the state of ${aType(target)}; only an OrderedDict's may be set`);
    if (state !== null && !(state instanceof PyDict)) this.#fail(`gives an OrderedDict ${aType(state)} as its state`);
  }

  load(): Value {
    const b = this.bytes;
    for (;;) {
      if (this.pos >= this.end) fail(`${this.where} is truncated: its pickle ends at byte ${this.pos}, before its STOP opcode`);
      this.#opAt = this.pos;
      this.#op = b[this.pos++];
      switch (this.#op) {
        case 0x80: {
          // PROTO: torch.save writes protocol 2; 3-5 only add opcodes handled below.
          const proto = this.#u8();
          if (proto > 5) this.#fail(`asks for pickle protocol ${proto} (this reader knows 2 to 5)`);
          break;
        }
        case 0x95: {
          // FRAME (protocol 4): a length hint; each read is bounds-checked anyway.
          const n = this.#view(8).getBigUint64(0, true);
          if (n > BigInt(this.end - this.pos)) this.#truncated();
          break;
        }
        case 0x2e: // STOP
          if (this.#marks.length) this.#fail('leaves a MARK open (a malformed pickle)');
          if (this.#stack.length !== 1) this.#fail(`leaves ${this.#stack.length} items on the stack, not 1 (a malformed pickle)`);
          return this.#stack[0];
        case 0x28: // MARK
          if (this.#marks.length >= MAX_MARKS) this.#fail(`nests MARKs deeper than ${MAX_MARKS}`);
          this.#marks.push(this.#stack.length);
          break;
        case 0x7d: // EMPTY_DICT
          this.#push(new PyDict(false));
          break;
        case 0x5d: // EMPTY_LIST
          this.#push(new PyList());
          break;
        case 0x29: // EMPTY_TUPLE
          this.#push(new PyTuple([]));
          break;
        case 0x74: // TUPLE
          this.#push(new PyTuple(this.#popMark()));
          break;
        case 0x85: // TUPLE1
          this.#push(new PyTuple([this.#pop()]));
          break;
        case 0x86: {
          const second = this.#pop();
          this.#push(new PyTuple([this.#pop(), second]));
          break;
        }
        case 0x87: {
          const third = this.#pop();
          const second = this.#pop();
          this.#push(new PyTuple([this.#pop(), second, third]));
          break;
        }
        case 0x6c: {
          // LIST
          const items = this.#popMark();
          this.#push(new PyList());
          this.#append(items);
          break;
        }
        case 0x64: {
          // DICT
          const items = this.#popMark();
          this.#push(new PyDict(false));
          this.#setItems(items);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.#pop();
          const key = this.#pop();
          this.#setItems([key, value]);
          break;
        }
        case 0x75: // SETITEMS
          this.#setItems(this.#popMark());
          break;
        case 0x61: // APPEND
          this.#append([this.#pop()]);
          break;
        case 0x65: // APPENDS
          this.#append(this.#popMark());
          break;
        case 0x71: // BINPUT
          this.#put(this.#u8());
          break;
        case 0x72: // LONG_BINPUT
          this.#put(this.#view(4).getUint32(0, true));
          break;
        case 0x94: // MEMOIZE
          this.#put(this.#memo.size);
          break;
        case 0x68: // BINGET
          this.#get(this.#u8());
          break;
        case 0x6a: // LONG_BINGET
          this.#get(this.#view(4).getUint32(0, true));
          break;
        case 0x4a: // BININT
          this.#push(this.#view(4).getInt32(0, true));
          break;
        case 0x4b: // BININT1
          this.#push(this.#u8());
          break;
        case 0x4d: // BININT2
          this.#push(this.#view(2).getUint16(0, true));
          break;
        case 0x8a: {
          // LONG1: little-endian two's complement
          const n = this.#u8();
          if (n > MAX_LONG_BYTES) this.#fail(`holds a ${n}-byte integer (over ${MAX_LONG_BYTES} bytes)`);
          const at = this.#take(n);
          let v = 0n;
          for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
          if (n > 0 && b[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
          this.#push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
          break;
        }
        case 0x47: // BINFLOAT: big-endian double
          this.#push(new PyFloat(this.#view(8).getFloat64(0, false)));
          break;
        case 0x4e: // NONE
          this.#push(null);
          break;
        case 0x88: // NEWTRUE
          this.#push(true);
          break;
        case 0x89: // NEWFALSE
          this.#push(false);
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.#push(this.#string(1));
          break;
        case 0x58: // BINUNICODE
          this.#push(this.#string(4));
          break;
        case 0x8d: // BINUNICODE8
          this.#push(this.#string(8));
          break;
        // Python 2 str: torch.load decodes it as UTF-8 (its default encoding).
        case 0x55: // SHORT_BINSTRING
          this.#push(this.#string(1));
          break;
        case 0x54: {
          // BINSTRING: a signed 4-byte length
          if (this.#view(4).getInt32(0, true) < 0) this.#fail('has a negative length');
          this.pos -= 4;
          this.#push(this.#string(4));
          break;
        }
        case 0x43: // SHORT_BINBYTES
          this.#push(this.#raw(1).slice());
          break;
        case 0x42: // BINBYTES
          this.#push(this.#raw(4).slice());
          break;
        case 0x8e: // BINBYTES8
          this.#push(this.#raw(8).slice());
          break;
        case 0x63: {
          // GLOBAL: "module\nname\n"
          const module = this.#line();
          this.#global(module, this.#line());
          break;
        }
        case 0x93: {
          // STACK_GLOBAL (protocol 4)
          const name = this.#pop();
          const module = this.#pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.#fail(`names a global with ${aType(module)} and ${aType(name)}, not two strings`);
          this.#global(module as string, name as string);
          break;
        }
        case 0x52: // REDUCE
          this.#reduce();
          break;
        case 0x62: // BUILD
          this.#build();
          break;
        case 0x51: {
          // BINPERSID
          const pid = this.#pop();
          if (!this.persistentLoad) this.#fail(`asks for the persistent object ${describe(pid)} where none belongs: ${REFUSED}`);
          this.#push((this.persistentLoad as (pid: Value) => Value)(pid));
          break;
        }
        default: {
          const name = OPCODE_NAMES[this.#op];
          fail(
            name
              ? `${this.where}: its pickle uses opcode ${name} (0x${this.#op.toString(16)}) at byte ${this.#opAt}, which a PyTorch state_dict does not need: ${REFUSED}`
              : `${this.where}: byte ${this.#opAt} (0x${this.#op.toString(16)}) is not a pickle opcode (a corrupt file?)`,
          );
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The allowlisted callables, as data constructors.

const isIndex = (v: Value): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function intTuple(v: Value): number[] | undefined {
  if (!(v instanceof PyTuple) || v.items.length > MAX_DIMS || !v.items.every(isIndex)) return undefined;
  return v.items as number[];
}

function construct(path: string, args: readonly Value[], where: string): Value {
  const wrong = (expected: string): never =>
    fail(`${where}: ${path} is called with (${args.slice(0, 8).map((a) => describe(a)).join(', ')}${args.length > 8 ? ', ...' : ''}); a state_dict calls it with ${expected}`);
  switch (path) {
    case ORDERED_DICT:
      return args.length === 0 ? new PyDict(true) : wrong('no arguments');
    case REBUILD_TENSOR_V2:
    case REBUILD_TENSOR: {
      const v2 = path === REBUILD_TENSOR_V2;
      const expected = v2 ? '(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])' : '(storage, storage_offset, size, stride)';
      const [storage, offset, size, stride, requiresGrad, hooks, metadata] = args;
      const shape = intTuple(size);
      const strides = intTuple(stride);
      if (!(storage instanceof StorageRef) || !isIndex(offset) || !shape || !strides || shape.length !== strides.length) return wrong(expected);
      if (v2 && (args.length < 6 || args.length > 7 || typeof requiresGrad !== 'boolean' || !(hooks instanceof PyDict))) return wrong(expected);
      if (!v2 && args.length !== 4) return wrong(expected);
      // torch sets conj/neg bits from this; no state_dict of real tensors has any, so a non-empty one is refused.
      if (metadata !== undefined && !(metadata instanceof PyDict && metadata.map.size === 0)) return wrong(`${expected} and no tensor metadata`);
      return new TensorRef(storage, offset, shape, strides);
    }
    case REBUILD_PARAMETER:
    case REBUILD_PARAMETER_WITH_STATE: {
      const withState = path === REBUILD_PARAMETER_WITH_STATE;
      const [data, requiresGrad, hooks, state] = args;
      const ok = data instanceof TensorRef && typeof requiresGrad === 'boolean' && hooks instanceof PyDict && args.length === (withState ? 4 : 3) && (!withState || state === null || state instanceof PyDict);
      return ok ? data : wrong(withState ? '(tensor, requires_grad, backward_hooks, state)' : '(tensor, requires_grad, backward_hooks)');
    }
    default:
      // A storage type is allowed as a persistent id's argument, never called.
      return fail(`${where} asks to call ${path}, which a PyTorch state_dict never calls: ${REFUSED}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Persistent ids: ('storage', <storage type>, key, location, numel) in the zip format; the legacy format adds
// view_metadata, None or (view_key, offset, numel) for a view into the root storage.

interface StorageDecl {
  dtype: CheckpointDtype;
  numel: number;
}

function storageLoader(file: string, legacy: boolean, storages: Map<string, StorageDecl>): (pid: Value) => Value {
  return (pid) => {
    const items = pid instanceof PyTuple ? pid.items : [];
    const [kind, type, key, location, numel, view] = items;
    const shape = `('storage', <torch storage type>, key, location, numel${legacy ? ', view' : ''})`;
    const dtype = type instanceof PyGlobal ? STORAGE_DTYPES.get(type.path) : undefined;
    const validView = view === null || (view instanceof PyTuple && view.items.length === 3 && typeof view.items[0] === 'string' && isIndex(view.items[1]) && isIndex(view.items[2]));
    if (
      kind !== 'storage' ||
      items.length !== (legacy ? 6 : 5) ||
      !dtype ||
      typeof key !== 'string' ||
      !/^\w{1,64}$/.test(key) ||
      typeof location !== 'string' ||
      location.length > 64 ||
      !isIndex(numel) ||
      (legacy && !validView)
    ) {
      return fail(`${file} asks for the persistent object ${describe(pid)}, which is not a storage ${shape}: ${REFUSED}`);
    }
    const declared = storages.get(key);
    if (declared && (declared.dtype !== dtype || declared.numel !== numel)) {
      fail(`${file}: storage ${key} is declared as ${declared.numel} ${declared.dtype} elements and as ${numel} ${dtype} elements`);
    }
    if (!declared) storages.set(key, { dtype, numel });
    if (view instanceof PyTuple) {
      const [, base, size] = view.items as [string, number, number];
      if (base + size > numel) fail(`${file}: a view of storage ${key} spans elements ${base} to ${base + size}, past its ${numel}`);
      return new StorageRef(key, dtype, base, size);
    }
    return new StorageRef(key, dtype, 0, numel);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The zip container, read in place: End Of Central Directory (zip64 when its fields overflow) -> central directory
// -> each entry's local header -> its bytes, a subarray of the file (no copy). Stored entries only, as torch writes.
// CRC-32s are not checked: they catch accidental damage, which the registry's sha256 pins cover, and torch can write
// files without them (set_crc32_options).

function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (why: string): never => fail(`${file} is truncated or not a complete zip file: ${why}`);
  const u64 = (at: number) => {
    const v = dv.getBigUint64(at, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
  };
  // The EOCD record is 22 bytes plus a comment of up to 65535 bytes, ending the file exactly.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - 22 - 0xffff; at--) {
    if (dv.getUint32(at, true) === 0x06054b50 && at + 22 + dv.getUint16(at + 20, true) === bytes.length) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return truncated(`it has no end-of-central-directory record (${bytes.length} bytes)`);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  let cdLimit = eocd;
  if (dv.getUint16(eocd + 4, true) !== 0 || dv.getUint16(eocd + 6, true) !== 0) fail(`${file} is a multi-part zip file, which PyTorch does not write`);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || dv.getUint32(locator, true) !== 0x07064b50) return truncated('its zip64 end-of-central-directory locator is missing');
    const record = u64(locator + 8);
    if (record + 56 > locator || dv.getUint32(record, true) !== 0x06064b50) return truncated('its zip64 end-of-central-directory record is missing');
    count = u64(record + 32);
    cdSize = u64(record + 40);
    cdOffset = u64(record + 48);
    cdLimit = record;
  }
  if (count > MAX_ZIP_ENTRIES) fail(`${file}: its zip directory lists ${count} entries, over the ${MAX_ZIP_ENTRIES} limit`);
  if (cdOffset + cdSize > cdLimit) return truncated(`its central directory (${cdSize} bytes at ${cdOffset}) lies outside the file`);

  const entries = new Map<string, Uint8Array>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || dv.getUint32(at, true) !== 0x02014b50) return truncated(`zip directory entry ${i + 1} of ${count} is missing or damaged`);
    const flags = dv.getUint16(at + 8, true);
    const method = dv.getUint16(at + 10, true);
    let size = dv.getUint32(at + 20, true);
    let usize = dv.getUint32(at + 24, true);
    const nameLength = dv.getUint16(at + 28, true);
    const extraLength = dv.getUint16(at + 30, true);
    let local = dv.getUint32(at + 42, true);
    const next = at + 46 + nameLength + extraLength + dv.getUint16(at + 32, true);
    if (next > cdOffset + cdSize) return truncated(`zip directory entry ${i + 1} of ${count} runs past the directory`);
    let name: string;
    try {
      name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      return fail(`${file}: zip entry ${i + 1} has a name that is not valid UTF-8`);
    }
    // zip64 extended information (header 0x0001): the 64-bit values of the fields that overflowed, in this order.
    const extraEnd = at + 46 + nameLength + extraLength;
    for (let e = at + 46 + nameLength; e + 4 <= extraEnd; ) {
      const id = dv.getUint16(e, true);
      const length = dv.getUint16(e + 2, true);
      if (e + 4 + length > extraEnd) return truncated(`zip directory entry ${i + 1} of ${count} has a damaged extra field`);
      if (id === 0x0001) {
        let f = e + 4;
        const field = () => {
          if (f + 8 > e + 4 + length) return truncated(`zip entry ${name} has a short zip64 field`);
          const v = u64(f);
          f += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = field();
        if (size === 0xffffffff) size = field();
        if (local === 0xffffffff) local = field();
      }
      e += 4 + length;
    }
    const what = `${file}: zip entry ${name}`;
    if (flags & 1) fail(`${what} is encrypted`);
    if (method !== 0) fail(`${what} is compressed (method ${method}); PyTorch writes its entries stored, uncompressed, and this reader reads only those`);
    if (size !== usize) fail(`${what} is stored but its sizes differ (${size} and ${usize} bytes)`);
    if (entries.has(name)) fail(`${file}: the zip file has two entries named ${name}`);
    if (local + 30 > cdOffset || dv.getUint32(local, true) !== 0x04034b50) return truncated(`the local header of ${name} (at ${local}) is missing`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + size > cdOffset) return truncated(`${name} (${size} bytes at ${start}) runs past the zip's data`);
    entries.set(name, bytes.subarray(start, start + size));
    at = next;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------

interface Tensor {
  dtype: CheckpointDtype;
  shape: readonly number[];
  stride: readonly number[];
  /** element offset into the storage's bytes */
  offset: number;
  count: number;
  contiguous: boolean;
  /** the storage's bytes, a subarray of the file */
  data: Uint8Array;
}

/** The state_dict's tensors, checked: string names that are not prototype keys, every view inside its storage. */
function tensorsOf(root: Value, file: string, storageBytes: (key: string) => Uint8Array): Map<string, Tensor> {
  if (!(root instanceof PyDict)) return fail(`${file} holds ${aType(root)}, not a state_dict (a dict of tensors)`);
  const tensors = new Map<string, Tensor>();
  for (const [name, value] of root.map) {
    if (typeof name !== 'string') fail(`${file}: the state_dict has a key of type ${typeName(name)} (${describe(name)}); tensor names are strings`);
    const label = JSON.stringify(name);
    if (PROTOTYPE_KEYS.has(name as string)) {
      fail(`${file} has a tensor named ${label}, a name no transformers model uses and a prototype-pollution shape in JavaScript: ${REFUSED}`);
    }
    if (!(value instanceof TensorRef)) return fail(`${file}: ${label} is ${aType(value)}, not a tensor (Lens reads a flat state_dict of tensors, as transformers saves)`);
    const { storage, shape, stride } = value;
    const at = `${file}: tensor ${label} (shape [${shape.join(', ')}], stride [${stride.join(', ')}], offset ${value.offset})`;
    let count = 1;
    let last = 0; // the furthest element the view reads, from its offset
    for (let i = 0; i < shape.length; i++) {
      count *= shape[i];
      last += (shape[i] - 1) * stride[i];
    }
    let contiguous = true;
    for (let i = shape.length - 1, expected = 1; i >= 0; i--) {
      if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
      expected *= shape[i];
    }
    if (count > 0) {
      if (!Number.isSafeInteger(count) || !Number.isSafeInteger(last) || value.offset + last >= storage.numel) {
        fail(`${at} reads past the end of its storage ${storage.key} (${storage.numel} elements${storage.base ? ` from element ${storage.base}` : ''})`);
      }
      if (!contiguous && count > MAX_STRIDED_ELEMENTS) fail(`${at} is strided over ${count} elements, more than the ${MAX_STRIDED_ELEMENTS} this reader copies`);
    }
    tensors.set(name as string, { dtype: storage.dtype, shape, stride, offset: storage.base + value.offset, count, contiguous: contiguous || count === 0, data: storageBytes(storage.key) });
  }
  return tensors;
}

function parseZip(bytes: Uint8Array, file: string): Map<string, Tensor> {
  const entries = readZip(bytes, file);
  // torch's reader takes the folder of the first entry as the archive's root (archive/, or the file's stem).
  const first = entries.keys().next().value;
  const slash = first?.indexOf('/') ?? -1;
  if (first === undefined || slash <= 0) return fail(`${file} is a zip file but not a PyTorch checkpoint: its entries are not in a folder`);
  const root = first.slice(0, slash + 1);
  const pickle = entries.get(`${root}data.pkl`);
  if (!pickle) {
    const torchscript = entries.has(`${root}constants.pkl`) ? ' (it is a TorchScript archive, torch.jit.save, not a state_dict)' : '';
    return fail(`${file} is a zip file without ${root}data.pkl: not a PyTorch checkpoint${torchscript}`);
  }
  const byteorder = entries.get(`${root}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(byteorder);
    if (order !== 'little') fail(`${file} says its byte order is ${JSON.stringify(order.slice(0, 16))}; this reader reads only little-endian checkpoints (torch.save on a big-endian machine)`);
  }
  const storages = new Map<string, StorageDecl>();
  const where = `${file} (${root}data.pkl)`;
  const state = new Unpickler(pickle, 0, pickle.length, where, file, storageLoader(file, false, storages)).load();
  const data = new Map<string, Uint8Array>();
  for (const [key, { dtype, numel }] of storages) {
    const record = entries.get(`${root}data/${key}`);
    if (!record) return fail(`${file} has no storage record ${root}data/${key} (${numel} ${dtype} elements its pickle refers to)`);
    if (record.length !== numel * ELEMENT_SIZE[dtype]) {
      fail(`${file}: storage record ${root}data/${key} has ${record.length} bytes, but its pickle declares ${numel} ${dtype} elements (${numel * ELEMENT_SIZE[dtype]} bytes)`);
    }
    data.set(key, record);
  }
  return tensorsOf(state, file, (key) => data.get(key) as Uint8Array);
}

function parseLegacy(bytes: Uint8Array, file: string): Map<string, Tensor> {
  let pos = 0;
  const next = (what: string, persistentLoad?: (pid: Value) => Value): Value => {
    const u = new Unpickler(bytes, pos, bytes.length, `${file} (${what})`, file, persistentLoad);
    const v = u.load();
    pos = u.pos;
    return v;
  };
  const magic = next('magic number');
  if (magic !== LEGACY_MAGIC) fail(`${file} is not a PyTorch checkpoint: its first pickle is ${describe(magic)}, not torch.save's magic number`);
  const protocol = next('protocol version');
  if (protocol !== LEGACY_PROTOCOL) fail(`${file} has legacy protocol version ${describe(protocol)}; this reader reads ${LEGACY_PROTOCOL}`);
  const sysInfo = next('sys_info');
  if (!(sysInfo instanceof PyDict)) return fail(`${file}: its sys_info is ${aType(sysInfo)}, not a dict`);
  if (sysInfo.map.get('little_endian') === false) fail(`${file} was saved on a big-endian machine (sys_info little_endian False); this reader reads only little-endian checkpoints`);
  const storages = new Map<string, StorageDecl>();
  const state = next('state_dict', storageLoader(file, true, storages));
  const keys = next('storage keys');
  if (!(keys instanceof PyList) || !keys.items.every((k) => typeof k === 'string')) return fail(`${file}: its list of storage keys is ${aType(keys)}, not a list of strings`);
  // Each storage, in the listed order: an int64 element count, then the elements.
  const data = new Map<string, Uint8Array>();
  for (const [i, key] of (keys.items as string[]).entries()) {
    const decl = storages.get(key);
    if (!decl) return fail(`${file} lists storage ${JSON.stringify(key)}, which its pickle never refers to`);
    if (data.has(key)) fail(`${file} lists storage ${key} twice`);
    if (pos + 8 > bytes.length) fail(`${file} is truncated: it ends at the start of storage ${key} (${i + 1} of ${keys.items.length})`);
    const count = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigInt64(0, true);
    if (count !== BigInt(decl.numel)) fail(`${file}: storage ${key} holds ${count} elements, but its pickle declares ${decl.numel}`);
    const size = decl.numel * ELEMENT_SIZE[decl.dtype];
    pos += 8;
    if (pos + size > bytes.length) fail(`${file} is truncated: storage ${key} (${i + 1} of ${keys.items.length}) needs ${size} bytes at ${pos}, the file has ${bytes.length - pos}`);
    data.set(key, bytes.subarray(pos, pos + size));
    pos += size;
  }
  for (const [key, decl] of storages) {
    if (!data.has(key)) fail(`${file} has no data for storage ${key} (${decl.numel} ${decl.dtype} elements its pickle refers to)`);
  }
  if (pos !== bytes.length) fail(`${file} has ${bytes.length - pos} bytes after its last storage`);
  return tensorsOf(state, file, (key) => data.get(key) as Uint8Array);
}

/** A typed view of bytes when aligned for it, else of an aligned copy. */
function typed<T>(bytes: Uint8Array, size: number, make: (buffer: ArrayBufferLike, offset: number, length: number) => T): T {
  if (bytes.byteOffset % size === 0) return make(bytes.buffer, bytes.byteOffset, bytes.length / size);
  return make(bytes.slice().buffer, 0, bytes.length / size);
}

/** The float32 value of each element of `source` (elements of `dtype`) at the given indices, or all of them. */
function widen(dtype: CheckpointDtype, bytes: Uint8Array, indices?: Uint32Array | Float64Array): Float32Array {
  const n = indices ? indices.length : bytes.length / ELEMENT_SIZE[dtype];
  const at = (i: number) => (indices ? indices[i] : i);
  switch (dtype) {
    case 'F32': {
      const src = typed(bytes, 4, (b, o, l) => new Float32Array(b, o, l));
      if (!indices) return src;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[at(i)];
      return out;
    }
    case 'F64': {
      const src = typed(bytes, 8, (b, o, l) => new Float64Array(b, o, l));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[at(i)];
      return out;
    }
    case 'F16': {
      const src = typed(bytes, 2, (b, o, l) => new Uint16Array(b, o, l));
      const table = halfTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[src[at(i)]];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const src = typed(bytes, 2, (b, o, l) => new Uint16Array(b, o, l));
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[at(i)] << 16;
      return new Float32Array(out.buffer);
    }
    default:
      throw new Error(`widen: ${dtype}`); // unreachable: float32() checks the dtype first
  }
}

/** The storage element index of each element of a strided view, in row-major order. */
function stridedIndices(t: Tensor): Float64Array {
  const out = new Float64Array(t.count);
  const index = new Array<number>(t.shape.length).fill(0);
  let at = t.offset;
  for (let i = 0; i < t.count; i++) {
    out[i] = at;
    for (let d = t.shape.length - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) {
        at += t.stride[d];
        break;
      }
      at -= (t.shape[d] - 1) * t.stride[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Cheap sniff: a zip local header, or a pickle that starts with torch.save's magic number (the legacy format). */
export function isPytorchCheckpoint(bytes: Uint8Array): boolean {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return true;
  // PROTO 2-5, an optional FRAME, then LONG1 of 10 bytes: the magic number, little-endian.
  if (bytes.length < 14 || bytes[0] !== 0x80 || bytes[1] < 2 || bytes[1] > 5) return false;
  const at = bytes[2] === 0x95 ? 11 : 2;
  if (bytes.length < at + 12 || bytes[at] !== 0x8a || bytes[at + 1] !== 10) return false;
  let magic = 0n;
  for (let i = 9; i >= 0; i--) magic = (magic << 8n) | BigInt(bytes[at + 2 + i]);
  return magic === LEGACY_MAGIC;
}

export class PytorchCheckpoint implements CheckpointTensors {
  readonly format: 'zip' | 'legacy';
  readonly #name: string;
  readonly #tensors: Map<string, Tensor>;

  private constructor(format: 'zip' | 'legacy', tensors: Map<string, Tensor>, name: string) {
    this.format = format;
    this.#tensors = tensors;
    this.#name = name;
  }

  /**
   * Parses and checks a whole file held in memory; tensors stay views of it until float32() widens or copies them.
   * Throws PytorchCheckpointError, and only that.
   */
  static parse(bytes: Uint8Array, name = 'pytorch_model.bin'): PytorchCheckpoint {
    if (!LITTLE_ENDIAN) fail('reading a PyTorch checkpoint needs a little-endian platform');
    if (bytes.length === 0) fail(`${name} is empty`);
    const zip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
    if (!zip && !isPytorchCheckpoint(bytes)) {
      if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
        fail(`${name} is a tar file: PyTorch's format before 0.4, which this reader does not read (load and re-save it with a current torch)`);
      }
      const zipStart = bytes.length < 4 && [0x50, 0x4b, 0x03].slice(0, bytes.length).every((b, i) => bytes[i] === b);
      if (zipStart) fail(`${name} is truncated or not a complete zip file: it has ${bytes.length} bytes`);
      fail(`${name} is not a PyTorch checkpoint: it starts with neither a zip header nor torch.save's pickled magic number`);
    }
    try {
      return new PytorchCheckpoint(zip ? 'zip' : 'legacy', zip ? parseZip(bytes, name) : parseLegacy(bytes, name), name);
    } catch (err) {
      // Every check above throws PytorchCheckpointError; anything else is a bug, still reported as this file's error.
      if (err instanceof PytorchCheckpointError) throw err;
      throw new PytorchCheckpointError(`${name} could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Tensor names in the state_dict's order. */
  names(): string[] {
    return [...this.#tensors.keys()];
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  info(name: string): CheckpointTensorInfo {
    const t = this.#tensor(name);
    return { name, dtype: t.dtype, shape: [...t.shape] };
  }

  /**
   * The tensor as float32: F32 a view of the file when contiguous and 4-byte aligned (else a copy); F16, BF16 and
   * F64 widened or narrowed into a new array; a strided (non-contiguous) tensor copied in row-major order.
   */
  float32(name: string): Float32Array {
    const t = this.#tensor(name);
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) {
      fail(`${this.#name}: tensor ${JSON.stringify(name)} has dtype ${t.dtype}; float32() reads only F32, F16, BF16 and F64 tensors`);
    }
    const size = ELEMENT_SIZE[t.dtype];
    if (t.contiguous) return widen(t.dtype, t.data.subarray(t.offset * size, (t.offset + t.count) * size));
    return widen(t.dtype, t.data, stridedIndices(t));
  }

  #tensor(name: string): Tensor {
    const t = this.#tensors.get(name);
    if (!t) return fail(`${this.#name} has no tensor ${JSON.stringify(name)}`);
    return t;
  }
}

/**
 * The shard files of a sharded checkpoint's index (pytorch_model.bin.index.json: { weight_map: { tensor: file } }),
 * each once, sorted. Shards must be plain file names in the index's folder (no "/", "\\" or ".."), ending in .bin.
 */
export function shardFiles(indexJson: unknown): string[] {
  const what = 'pytorch_model.bin.index.json';
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(indexJson) || !isObject(indexJson.weight_map)) return fail(`${what} has no weight_map object`);
  const files = new Set<string>();
  for (const [tensor, file] of Object.entries(indexJson.weight_map)) {
    if (typeof file !== 'string') return fail(`${what}: weight_map gives ${JSON.stringify(tensor)} a ${typeof file}, not a file name`);
    if (!/^[\w][\w.-]*\.bin$/.test(file) || file.includes('..')) {
      fail(`${what}: weight_map puts ${JSON.stringify(tensor)} in ${JSON.stringify(file)}, which is not a plain .bin file name in the same folder (like pytorch_model-00001-of-00002.bin)`);
    }
    files.add(file);
  }
  if (files.size === 0) fail(`${what}: its weight_map is empty`);
  return [...files].sort();
}
