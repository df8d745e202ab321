// PyTorch checkpoint (pytorch_model.bin) reader: round trips through the writer in both formats, hostile and
// malformed pickles and containers (each refused with its own PytorchCheckpointError, nothing run), sharded
// checkpoints, and the real files torch.save wrote in ../shared/data/hf-reference-pytorch.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { mergeCheckpoints, type CheckpointTensors } from '../src/engine/checkpoint-tensors.js';
import { PytorchCheckpoint, PytorchCheckpointError, isPytorchCheckpoint, shardFiles } from '../src/engine/pytorch.js';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../src/engine/safetensors.js';
import { OP, Pickler, storedZip, writePytorchCheckpoint } from '../src/modelgen/pytorch-writer.js';
import { SHARED_DATA } from './helpers/shared-data.js';

const PYTORCH_REFERENCE = path.join(SHARED_DATA, 'hf-reference-pytorch');
const HF_REFERENCE = path.join(SHARED_DATA, 'hf-reference');
const NO_FIXTURES: string | false = existsSync(PYTORCH_REFERENCE) ? false : `skipped: ${PYTORCH_REFERENCE} not found (PyTorch reference checkpoints)`;

const text = (s: string) => new TextEncoder().encode(s);
const STACK_GLOBAL = 0x93;
const BINUNICODE8 = 0x8d;
const INST = 0x69;

/** The message of the PytorchCheckpointError that parsing `bytes` throws (any other outcome fails the test). */
function refusal(bytes: Uint8Array): string {
  try {
    PytorchCheckpoint.parse(bytes);
  } catch (err) {
    assert.ok(err instanceof PytorchCheckpointError, `expected a PytorchCheckpointError, got ${String(err)}`);
    // parse() wraps any other exception as "could not be read": that would be a bug, not a refusal.
    assert.doesNotMatch(err.message, /could not be read/);
    return err.message;
  }
  return assert.fail('the file was accepted');
}

const rowMajor = (shape: readonly number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

interface HandTensor {
  name: string | number;
  numel: number;
  shape: number[];
  stride?: number[];
  offset?: number;
  key?: string;
  storageType?: string;
  view?: [string, number, number];
}

/** `_rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())` with the storage as given. */
function tensorOps(p: Pickler, t: HandTensor, legacy: boolean): void {
  p.global('torch._utils', '_rebuild_tensor_v2').tuple(6, () => {
    p.tuple(legacy ? 6 : 5, () => {
      p.str('storage').global('torch', t.storageType ?? 'FloatStorage').str(t.key ?? '0').str('cpu').int(t.numel);
      const view = t.view;
      if (legacy && view) p.tuple(3, () => p.str(view[0]).int(view[1]).int(view[2]));
      else if (legacy) p.none();
    });
    p.op(OP.BINPERSID).int(t.offset ?? 0).ints(t.shape).ints(t.stride ?? rowMajor(t.shape)).bool(false);
    p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE).put();
  });
  p.op(OP.REDUCE).put();
}

/** A hand-made state_dict pickle: OrderedDict of the given tensors. */
function statePickle(tensors: HandTensor[], legacy = false): Uint8Array {
  const p = new Pickler().proto().global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE).put().op(OP.MARK);
  for (const t of tensors) {
    if (typeof t.name === 'number') p.int(t.name);
    else p.str(t.name);
    tensorOps(p, t, legacy);
  }
  return p.op(OP.SETITEMS).stop().bytes();
}

/** A zip checkpoint around a data.pkl, with storage records data/<key>. */
function zipWith(pickle: Uint8Array, storages: [string, Uint8Array][] = [], extra: { name: string; data: Uint8Array }[] = []): Uint8Array {
  return storedZip([
    { name: 'archive/data.pkl', data: pickle },
    ...storages.map(([key, data]) => ({ name: `archive/data/${key}`, data })),
    ...extra,
    { name: 'archive/version', data: text('3\n') },
  ]);
}

/** A legacy checkpoint: magic, protocol, sys_info, the main pickle, the key list, then each storage (count + bytes). */
function legacyWith(main: Uint8Array, storages: [string, number, Uint8Array][], options: { littleEndian?: boolean; keys?: string[]; trailing?: number } = {}): Uint8Array {
  const sysInfo = new Pickler().proto().op(OP.EMPTY_DICT).put().op(OP.MARK).str('protocol_version').int(1001);
  sysInfo.str('little_endian').bool(options.littleEndian ?? true).op(OP.SETITEMS).stop();
  const keys = options.keys ?? storages.map(([key]) => key);
  const list = new Pickler().proto().op(OP.EMPTY_LIST).put().op(OP.MARK);
  keys.forEach((k) => list.str(k));
  const parts = [
    new Pickler().proto().int(0x1950a86a20f9469cfc6cn).stop().bytes(),
    new Pickler().proto().int(1001).stop().bytes(),
    sysInfo.bytes(),
    main,
    list.op(OP.APPENDS).stop().bytes(),
  ];
  for (const [, count, data] of storages) {
    const n = new Uint8Array(8);
    new DataView(n.buffer).setBigInt64(0, BigInt(count), true);
    parts.push(n, data);
  }
  parts.push(new Uint8Array(options.trailing ?? 0));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const f32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
/** A pickle `p` wrapped as a zip checkpoint: most hostile pickles fail before storages matter. */
const zipOf = (p: Pickler) => zipWith(p.bytes());

const TENSORS: TensorToWrite[] = [
  { name: 'encoder.weight', shape: [2, 3], data: Float32Array.from([1.5, -0, 3.4e38, -1e-45, Math.PI, NaN]) },
  { name: 'encoder.bias', shape: [3], data: Float32Array.from([0.1, 0.2, -65504.5]), dtype: 'F16' },
  { name: 'head.weight', shape: [1, 2, 2, 1], data: Float32Array.from([1e-3, 2.5, -3, 1e30]), dtype: 'BF16' },
  { name: 'scalar', shape: [], data: Float32Array.from([7]) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
];
const POSITION_IDS = { name: 'embeddings.position_ids', shape: [1, 5], data: BigInt64Array.from([0n, 1n, 2n, 3n, 4n]) };

describe('round trips through writePytorchCheckpoint', () => {
  // The same tensors through safetensors give the reference rounding for F16 and BF16.
  const expected = SafetensorsFile.parse(writeSafetensors(TENSORS));

  for (const format of ['zip', 'legacy'] as const) {
    test(`${format}: names in order, dtypes, shapes and values; the int64 buffer is recognised, not widened`, () => {
      const bytes = writePytorchCheckpoint(TENSORS, { format, int64Buffers: [POSITION_IDS] });
      assert.ok(isPytorchCheckpoint(bytes));
      const c = PytorchCheckpoint.parse(bytes);
      assert.equal(c.format, format);
      assert.deepEqual(c.names(), [...TENSORS.map((t) => t.name), POSITION_IDS.name]);
      for (const t of TENSORS) {
        assert.deepEqual(c.info(t.name), { name: t.name, dtype: t.dtype ?? 'F32', shape: t.shape });
        assert.deepEqual(c.float32(t.name), expected.float32(t.name), t.name);
      }
      assert.deepEqual(c.info(POSITION_IDS.name), { name: POSITION_IDS.name, dtype: 'I64', shape: [1, 5] });
      assert.throws(() => c.float32(POSITION_IDS.name), /tensor "embeddings\.position_ids" has dtype I64; float32\(\) reads only F32, F16, BF16 and F64 tensors/);
      assert.ok(c.has('scalar') && !c.has('nope'));
      assert.throws(() => c.info('nope'), /pytorch_model\.bin has no tensor "nope"/);
      assert.throws(() => c.float32('nope'), PytorchCheckpointError);
    });

    test(`${format}: 1,205 tensors (SETITEMS in batches, LONG_BINPUT memo slots) and an empty state_dict`, () => {
      const many = Array.from({ length: 1205 }, (_, i) => ({ name: `layer.${i}.weight`, shape: [2], data: Float32Array.from([i, -i]) }));
      const c = PytorchCheckpoint.parse(writePytorchCheckpoint(many, { format }));
      assert.deepEqual(c.names(), many.map((t) => t.name));
      assert.deepEqual(c.float32('layer.1204.weight'), Float32Array.from([1204, -1204]));
      assert.deepEqual(PytorchCheckpoint.parse(writePytorchCheckpoint([], { format })).names(), []);
    });
  }

  test('zip: an aligned F32 tensor is a view of the file; the root folder may have any name', () => {
    const bytes = writePytorchCheckpoint(TENSORS, { format: 'zip', root: 'pytorch_model' });
    const w = PytorchCheckpoint.parse(bytes).float32('encoder.weight');
    assert.equal(w.buffer, bytes.buffer, 'no copy');
    // Shifted by one byte, the same file still reads (copies instead of views).
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    assert.deepEqual(PytorchCheckpoint.parse(shifted).float32('encoder.weight'), w);
  });

  test('isPytorchCheckpoint: zip and legacy yes; safetensors, an ordinary pickle, text and nothing no', () => {
    assert.ok(isPytorchCheckpoint(writePytorchCheckpoint([], { format: 'legacy' })));
    assert.ok(isPytorchCheckpoint(writePytorchCheckpoint([], { format: 'zip' })));
    assert.ok(!isPytorchCheckpoint(writeSafetensors(TENSORS)));
    assert.ok(!isPytorchCheckpoint(new Pickler().proto().int(5).stop().bytes()));
    assert.ok(!isPytorchCheckpoint(text('<!doctype html><html>')));
    assert.ok(!isPytorchCheckpoint(new Uint8Array(0)));
    assert.match(refusal(writeSafetensors(TENSORS)), /pytorch_model\.bin is not a PyTorch checkpoint: it starts with neither a zip header nor torch\.save's pickled magic number/);
    assert.match(refusal(new Uint8Array(0)), /pytorch_model\.bin is empty/);
  });
});

describe('tensor views: offsets, strides, shared storages, dtypes', () => {
  test('tensors sharing one storage at different offsets; a transposed (strided) view is copied in row-major order', () => {
    const pickle = statePickle([
      { name: 'first', numel: 8, shape: [2], offset: 0 },
      { name: 'rest', numel: 8, shape: [2, 3], offset: 2 },
      { name: 'transposed', numel: 8, shape: [3, 2], stride: [1, 3], offset: 2 },
      { name: 'broadcast', numel: 8, shape: [2, 3], stride: [0, 1], offset: 5 },
    ]);
    for (const bytes of [zipWith(pickle, [['0', f32(0, 1, 2, 3, 4, 5, 6, 7)]])]) {
      const c = PytorchCheckpoint.parse(bytes);
      assert.deepEqual(c.float32('first'), Float32Array.from([0, 1]));
      assert.deepEqual(c.float32('rest'), Float32Array.from([2, 3, 4, 5, 6, 7]));
      assert.deepEqual(c.float32('transposed'), Float32Array.from([2, 5, 3, 6, 4, 7]));
      assert.deepEqual(c.float32('broadcast'), Float32Array.from([5, 6, 7, 5, 6, 7]));
      assert.deepEqual(c.info('transposed').shape, [3, 2]);
    }
  });

  test('F64 is narrowed; F16 strided views widen; a legacy view_metadata storage reads from its offset', () => {
    const doubles = new Uint8Array(Float64Array.from([0.5, 1e300, -2]).buffer);
    const c = PytorchCheckpoint.parse(zipWith(statePickle([{ name: 'd', numel: 3, shape: [3], storageType: 'DoubleStorage' }]), [['0', doubles]]));
    assert.deepEqual(c.float32('d'), Float32Array.from([0.5, Infinity, -2]));
    const halves = new Uint8Array(Uint16Array.from([0x3c00, 0x4000, 0xc200, 0x7c00]).buffer); // 1, 2, -3, Infinity
    const h = PytorchCheckpoint.parse(zipWith(statePickle([{ name: 'h', numel: 4, shape: [2, 2], stride: [1, 2], storageType: 'HalfStorage' }]), [['0', halves]]));
    assert.deepEqual(h.float32('h'), Float32Array.from([1, -3, 2, Infinity]));
    const legacy = legacyWith(statePickle([{ name: 'v', numel: 6, shape: [3], view: ['9', 2, 3] }], true), [['0', 6, f32(0, 1, 2, 3, 4, 5)]]);
    assert.deepEqual(PytorchCheckpoint.parse(legacy).float32('v'), Float32Array.from([2, 3, 4]));
  });

  test('integer and bool storages are recognised by info() and refused by float32()', () => {
    const types: [string, string, number][] = [['LongStorage', 'I64', 8], ['IntStorage', 'I32', 4], ['ShortStorage', 'I16', 2], ['CharStorage', 'I8', 1], ['ByteStorage', 'U8', 1], ['BoolStorage', 'BOOL', 1]];
    for (const [storageType, dtype, size] of types) {
      const c = PytorchCheckpoint.parse(zipWith(statePickle([{ name: 'x', numel: 2, shape: [2], storageType }]), [['0', new Uint8Array(2 * size)]]));
      assert.equal(c.info('x').dtype, dtype);
      assert.throws(() => c.float32('x'), new RegExp(`has dtype ${dtype}; float32\\(\\) reads only`));
    }
  });
});

describe('hostile pickles are refused, naming what they asked for, before anything is loaded', () => {
  const REFUSED = /: refused, nothing was loaded$/;

  test('a global outside the allowlist: posix.system, __builtin__.getattr, builtins.eval (STACK_GLOBAL), in both formats', () => {
    const system = new Pickler().proto().global('posix', 'system').str('touch lens-pwned').op(OP.TUPLE1, OP.REDUCE).stop();
    const message = refusal(zipOf(system));
    assert.equal(message, 'pytorch_model.bin asks to call posix.system, which is not part of a PyTorch state_dict: refused, nothing was loaded');
    assert.equal(refusal(legacyWith(system.bytes(), [])), message);
    assert.match(refusal(zipOf(new Pickler().proto().global('__builtin__', 'getattr').stop())), /asks to call __builtin__\.getattr, which is not part of a PyTorch state_dict/);
    const evaluate = new Pickler().proto(4).str('builtins').str('eval').op(STACK_GLOBAL).str('1+1').op(OP.TUPLE1, OP.REDUCE).stop();
    assert.match(refusal(zipOf(evaluate)), /asks to call builtins\.eval, which is not part of a PyTorch state_dict/);
    // A global named inside a tensor, after good ones, still stops everything.
    const p = new Pickler().proto().global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE).put().op(OP.MARK);
    p.str('ok');
    tensorOps(p, { name: 'ok', numel: 1, shape: [1] }, false);
    p.str('bad').global('os', 'system').str('id').op(OP.TUPLE1, OP.REDUCE).op(OP.SETITEMS).stop();
    assert.match(refusal(zipWith(p.bytes(), [['0', f32(1)]])), /asks to call os\.system/);
    // A name with control characters is shown escaped.
    assert.match(refusal(zipOf(new Pickler().proto().global('os\r', 'x').stop())), /asks to call "os\\r"\.x/);
  });

  test('REDUCE of an allowlisted non-function, of a non-global, or with the wrong arguments', () => {
    const storage = new Pickler().proto().global('torch', 'FloatStorage').op(OP.EMPTY_TUPLE, OP.REDUCE).stop();
    assert.match(refusal(zipOf(storage)), /asks to call torch\.FloatStorage, which a PyTorch state_dict never calls: refused, nothing was loaded/);
    assert.match(refusal(zipOf(new Pickler().proto().str('eval').op(OP.EMPTY_TUPLE, OP.REDUCE).stop())), /REDUCE at byte \d+ calls a str, which is not a function/);
    assert.match(refusal(zipOf(new Pickler().proto().global('collections', 'OrderedDict').int(1).op(OP.REDUCE).stop())), /calls collections\.OrderedDict with an int of arguments, not a tuple/);
    const withArgs = new Pickler().proto().global('collections', 'OrderedDict');
    withArgs.tuple(1, () => withArgs.op(OP.EMPTY_LIST)).op(OP.REDUCE).stop();
    assert.match(refusal(zipOf(withArgs)), /collections\.OrderedDict is called with \(list\); a state_dict calls it with no arguments/);
    const rebuild = new Pickler().proto().global('torch._utils', '_rebuild_tensor_v2');
    rebuild.tuple(2, () => rebuild.str('a').int(1)).op(OP.REDUCE).stop();
    assert.match(refusal(zipOf(rebuild)), /torch\._utils\._rebuild_tensor_v2 is called with \("a", 1\); a state_dict calls it with \(storage, storage_offset, size, stride, requires_grad, backward_hooks\[, metadata\]\)/);
  });

  test('persistent ids that are not a storage of an allowed type', () => {
    const pid = (items: (p: Pickler) => void, n: number) => {
      const p = new Pickler().proto();
      p.tuple(n, () => items(p));
      return zipOf(p.op(OP.BINPERSID).stop());
    };
    const cases: [Uint8Array, RegExp][] = [
      [pid((p) => p.str('module').str('x').none(), 3), /asks for the persistent object \("module", "x", None\), which is not a storage \('storage', <torch storage type>, key, location, numel\)/],
      [pid((p) => p.str('storage').str('FloatStorage').str('0').str('cpu').int(1), 5), /persistent object \("storage", "FloatStorage", "0", "cpu", 1\), which is not a storage/],
      [pid((p) => p.str('storage').global('collections', 'OrderedDict').str('0').str('cpu').int(1), 5), /persistent object \("storage", collections\.OrderedDict, "0", "cpu", 1\)/],
      [pid((p) => p.str('storage').global('torch', 'FloatStorage').str('../x').str('cpu').int(1), 5), /"\.\.\/x"/],
      [pid((p) => p.str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(-1), 5), /not a storage/],
      [zipOf(new Pickler().proto().str('0').op(OP.BINPERSID).stop()), /persistent object "0", which is not a storage/],
    ];
    for (const [bytes, pattern] of cases) {
      const message = refusal(bytes);
      assert.match(message, pattern);
      assert.match(message, REFUSED);
    }
    // The zip's 5-item id in a legacy file (and the reverse) is refused too: the formats do not mix.
    assert.match(refusal(legacyWith(statePickle([{ name: 'x', numel: 1, shape: [1] }], false), [['0', 1, f32(1)]])), /not a storage \('storage', <torch storage type>, key, location, numel, view\)/);
    assert.match(refusal(zipWith(statePickle([{ name: 'x', numel: 1, shape: [1] }], true), [['0', f32(1)]])), /not a storage/);
    // A persistent id outside the state_dict pickle (here in sys_info) has no business there.
    const sysInfo = new Pickler().proto().str('0').op(OP.BINPERSID).stop().bytes();
    const file = legacyWith(new Uint8Array(), []);
    const start = file.indexOf(0x7d); // sys_info's EMPTY_DICT: replace sys_info by the hostile pickle
    const hostile = new Uint8Array([...file.subarray(0, start - 2), ...sysInfo]);
    assert.match(refusal(hostile), /\(sys_info\): BINPERSID at byte \d+ asks for the persistent object "0" where none belongs/);
  });

  test('opcodes a state_dict does not need are refused by name; bytes that are no opcode as corrupt', () => {
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.MARK, INST).raw(text('os\nsystem\n')).stop())), /its pickle uses opcode INST \(0x69\) at byte 3, which a PyTorch state_dict does not need: refused, nothing was loaded/);
    assert.match(refusal(zipOf(new Pickler().proto().none().op(0x32).stop())), /opcode DUP/);
    assert.match(refusal(zipOf(new Pickler().proto().op(0x81).stop())), /opcode NEWOBJ/);
    assert.match(refusal(zipOf(new Pickler().proto().op(0xff))), /byte 2 \(0xff\) is not a pickle opcode/);
    assert.match(refusal(zipOf(new Pickler().proto(6).stop())), /asks for pickle protocol 6/);
  });

  test('tensor names that are Object.prototype keys are refused, and Object.prototype is untouched', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__']) {
      for (const format of ['zip', 'legacy'] as const) {
        const bytes = writePytorchCheckpoint([{ name: 'ok', shape: [1], data: Float32Array.from([1]) }, { name, shape: [1], data: Float32Array.from([2]) }], { format });
        assert.equal(refusal(bytes), `pytorch_model.bin has a tensor named ${JSON.stringify(name)}, a name no transformers model uses and a prototype-pollution shape in JavaScript: refused, nothing was loaded`);
      }
    }
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
    assert.equal(Object.getPrototypeOf(Object.prototype), null);
    assert.equal(({} as Record<string, unknown>).ok, undefined);
  });

  test('dict keys set twice, non-string names, non-tensor values, a top level that is not a dict', () => {
    const twice = new Pickler().proto().op(OP.EMPTY_DICT).str('a').none().op(OP.SETITEM).str('a').none().op(OP.SETITEM).stop();
    assert.match(refusal(zipOf(twice)), /SETITEM at byte \d+ sets key "a" twice in one dict/);
    assert.match(refusal(zipWith(statePickle([{ name: 5, numel: 1, shape: [1] }]), [['0', f32(1)]])), /the state_dict has a key of type int \(5\); tensor names are strings/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.EMPTY_DICT).str('x').int(5).op(OP.SETITEM).stop())), /"x" is an int, not a tensor/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.EMPTY_LIST).stop())), /pytorch_model\.bin holds a list, not a state_dict/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.EMPTY_DICT).op(OP.EMPTY_LIST).int(1).op(OP.SETITEM).stop())), /uses a list as a dict key/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.EMPTY_DICT).op(OP.EMPTY_DICT).op(OP.BUILD).stop())), /BUILD at byte \d+ sets the state of a dict; only an OrderedDict's may be set/);
  });

  test('deep nesting, a huge stack, MARKs, memo indices and string lengths stay within limits', () => {
    const nested = new Pickler().proto();
    for (let i = 0; i < 100_000; i++) nested.op(OP.EMPTY_LIST);
    for (let i = 0; i < 99_999; i++) nested.op(OP.APPEND);
    assert.match(refusal(zipOf(nested.stop())), /holds a list, not a state_dict/);
    const stack = new Pickler().proto();
    for (let i = 0; i < (1 << 20) + 1; i++) stack.op(OP.NONE);
    assert.match(refusal(zipOf(stack)), /NONE at byte \d+ would grow the stack past 1048576 items/);
    // A million items appended at once (APPENDS) or made into a list (LIST) in one opcode.
    for (const code of [OP.APPENDS, 0x6c]) {
      const wide = new Pickler().proto();
      if (code === OP.APPENDS) wide.op(OP.EMPTY_LIST);
      wide.op(OP.MARK);
      for (let i = 0; i < (1 << 20) - 2; i++) wide.op(OP.NONE);
      assert.match(refusal(zipOf(wide.op(code).stop())), /holds a list, not a state_dict/);
    }
    const marks = new Pickler().proto();
    for (let i = 0; i < 5000; i++) marks.op(OP.MARK);
    assert.match(refusal(zipOf(marks)), /MARK at byte \d+ nests MARKs deeper than 4096/);
    assert.match(refusal(zipOf(new Pickler().proto().get(0xffffffff).stop())), /LONG_BINGET at byte 2 refers to memo slot 4294967295, which was never set/);
    assert.match(refusal(zipOf(new Pickler().proto().none().op(OP.LONG_BINPUT, 0xf0, 0xff, 0xff, 0xff).stop())), /uses memo index 4294967280, over the 16777216 limit/);
    assert.match(refusal(zipOf(new Pickler().proto().op(BINUNICODE8, 0, 0, 0, 0, 0, 0, 0, 0x40).stop())), /BINUNICODE8 at byte 2 has a length of 4611686018427387904 bytes, over the 1048576-byte limit/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.BINUNICODE, 100, 0, 0, 0, 0x61))), /\(archive\/data\.pkl\) is truncated: its pickle ends inside BINUNICODE at byte 2/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.BINUNICODE, 2, 0, 0, 0, 0xc3, 0x28).stop())), /holds a string that is not valid UTF-8/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.GLOBAL).raw(text('a'.repeat(300))))), /names a module or global longer than 256 bytes/);
    assert.match(refusal(zipOf(new Pickler().proto().none().none().stop())), /STOP at byte 4 leaves 2 items on the stack/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.APPEND).stop())), /APPEND at byte 2 finds the stack empty/);
    assert.match(refusal(zipOf(new Pickler().proto().op(OP.TUPLE).stop())), /TUPLE at byte 2 has no MARK to go back to/);
  });
});

describe('storages and views are checked against the file', () => {
  test('a view past the end of its storage (by shape, offset or stride) is refused', () => {
    const cases: HandTensor[] = [
      { name: 'w', numel: 4, shape: [5] },
      { name: 'w', numel: 4, shape: [3], offset: 2 },
      { name: 'w', numel: 4, shape: [2, 2], stride: [3, 1] },
      { name: 'w', numel: 4, shape: [2 ** 30, 2 ** 30, 2 ** 30], stride: [0, 0, 0] },
    ];
    for (const t of cases) {
      assert.match(refusal(zipWith(statePickle([t]), [['0', f32(1, 2, 3, 4)]])), /tensor "w" \(shape \[[\d, ]+\], stride \[[\d, ]+\], offset \d+\) (reads past the end of its storage 0 \(4 elements\)|is strided over \d+ elements, more than the 268435456 this reader copies)/);
    }
    assert.match(refusal(legacyWith(statePickle([{ name: 'v', numel: 6, shape: [3], view: ['9', 4, 3] }], true), [['0', 6, f32(0, 1, 2, 3, 4, 5)]])), /a view of storage 0 spans elements 4 to 7, past its 6/);
  });

  test('zip: storage records missing or of the wrong size; one key declared twice differently', () => {
    const pickle = statePickle([{ name: 'w', numel: 4, shape: [4] }]);
    assert.equal(refusal(zipWith(pickle)), 'pytorch_model.bin has no storage record archive/data/0 (4 F32 elements its pickle refers to)');
    assert.equal(refusal(zipWith(pickle, [['0', f32(1, 2, 3)]])), 'pytorch_model.bin: storage record archive/data/0 has 12 bytes, but its pickle declares 4 F32 elements (16 bytes)');
    const twice = statePickle([{ name: 'a', numel: 4, shape: [4] }, { name: 'b', numel: 2, shape: [2], storageType: 'HalfStorage' }]);
    assert.match(refusal(zipWith(twice, [['0', f32(1, 2, 3, 4)]])), /storage 0 is declared as 4 F32 elements and as 2 F16 elements/);
  });

  test('legacy: element counts, missing, unlisted and extra storages, trailing bytes, truncation', () => {
    const pickle = statePickle([{ name: 'w', numel: 2, shape: [2] }], true);
    assert.ok(PytorchCheckpoint.parse(legacyWith(pickle, [['0', 2, f32(1, 2)]])));
    assert.match(refusal(legacyWith(pickle, [['0', 3, f32(1, 2, 3)]])), /storage 0 holds 3 elements, but its pickle declares 2/);
    assert.match(refusal(legacyWith(pickle, [], { keys: [] })), /has no data for storage 0 \(2 F32 elements its pickle refers to\)/);
    assert.match(refusal(legacyWith(pickle, [['0', 2, f32(1, 2)]], { keys: ['0', '7'] })), /lists storage "7", which its pickle never refers to/);
    assert.match(refusal(legacyWith(pickle, [['0', 2, f32(1, 2)], ['0', 2, f32(1, 2)]])), /lists storage 0 twice/);
    assert.match(refusal(legacyWith(pickle, [['0', 2, f32(1, 2)]], { trailing: 3 })), /has 3 bytes after its last storage/);
    assert.match(refusal(legacyWith(pickle, [['0', 2, f32(1)]])), /is truncated: storage 0 \(1 of 1\) needs 8 bytes at \d+, the file has 4/);
  });

  test('byte order: a zip saying big-endian, a legacy sys_info with little_endian False', () => {
    const pickle = statePickle([{ name: 'w', numel: 1, shape: [1] }]);
    assert.match(refusal(zipWith(pickle, [['0', f32(1)]], [{ name: 'archive/byteorder', data: text('big') }])), /says its byte order is "big"; this reader reads only little-endian checkpoints/);
    assert.ok(PytorchCheckpoint.parse(zipWith(pickle, [['0', f32(1)]], [{ name: 'archive/byteorder', data: text('little') }])));
    const legacy = legacyWith(statePickle([{ name: 'w', numel: 1, shape: [1] }], true), [['0', 1, f32(1)]], { littleEndian: false });
    assert.match(refusal(legacy), /was saved on a big-endian machine \(sys_info little_endian False\)/);
  });

  test('the zip container: compressed, duplicate, TorchScript, no folder, truncated, tar', () => {
    const good = writePytorchCheckpoint(TENSORS.slice(0, 1), { format: 'zip' });
    const compressed = good.slice();
    const dv = new DataView(compressed.buffer);
    const cd = dv.getUint32(compressed.length - 6, true);
    dv.setUint16(cd + 10, 8, true); // the first central directory entry says "deflate"
    assert.match(refusal(compressed), /zip entry archive\/data\.pkl is compressed \(method 8\); PyTorch writes its entries stored, uncompressed, and this reader reads only those/);
    const pickle = statePickle([{ name: 'w', numel: 1, shape: [1] }]);
    assert.match(refusal(zipWith(pickle, [['0', f32(1)], ['0', f32(2)]])), /the zip file has two entries named archive\/data\/0/);
    assert.match(refusal(storedZip([{ name: 'model/constants.pkl', data: text('x') }, { name: 'model/code/x.py', data: text('') }])), /is a zip file without model\/data\.pkl: not a PyTorch checkpoint \(it is a TorchScript archive/);
    assert.match(refusal(storedZip([{ name: 'data.pkl', data: pickle }])), /its entries are not in a folder/);
    assert.match(refusal(good.subarray(0, good.length - 1)), /^pytorch_model\.bin is truncated or not a complete zip file: it has no end-of-central-directory record/);
    const tar = new Uint8Array(1024);
    tar.set(text('ustar'), 257);
    assert.match(refusal(tar), /is a tar file: PyTorch's format before 0\.4/);
  });

  test('every prefix of a small file, and random byte changes, give a PytorchCheckpointError or a checkpoint, nothing else', () => {
    for (const format of ['zip', 'legacy'] as const) {
      const bytes = writePytorchCheckpoint(TENSORS.slice(0, 2), { format, int64Buffers: [POSITION_IDS] });
      for (let n = 0; n < bytes.length; n++) {
        const message = refusal(bytes.slice(0, n));
        if (n >= 4 && format === 'zip') assert.match(message, /truncated or not a complete zip file/, `prefix ${n}`);
        if (n >= 14 && format === 'legacy') assert.match(message, /is truncated/, `prefix ${n}`);
      }
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
      for (let i = 0; i < 3000; i++) {
        const changed = bytes.slice();
        changed[Math.floor(random() * changed.length)] = Math.floor(random() * 256);
        try {
          const c = PytorchCheckpoint.parse(changed);
          for (const name of c.names()) if (c.info(name).dtype !== 'I64') c.float32(name);
        } catch (err) {
          assert.ok(err instanceof PytorchCheckpointError && !err.message.includes('could not be read'), `${format} change ${i}: ${String(err)}`);
        }
      }
    }
  });
});

describe('sharded checkpoints', () => {
  const part = (names: string[]) => PytorchCheckpoint.parse(writePytorchCheckpoint(names.map((name, i) => ({ name, shape: [1], data: Float32Array.from([i]) })), { format: 'zip' }));

  test('mergeCheckpoints reads each name from its shard and refuses a name in two shards', () => {
    const merged: CheckpointTensors = mergeCheckpoints([part(['a', 'b']), part(['c'])], 'pytorch_model.bin.index.json');
    assert.deepEqual(merged.names(), ['a', 'b', 'c']);
    assert.deepEqual(merged.float32('b'), Float32Array.from([1]));
    assert.deepEqual(merged.info('c'), { name: 'c', dtype: 'F32', shape: [1] });
    assert.ok(merged.has('c') && !merged.has('d'));
    assert.throws(() => merged.info('d'), /pytorch_model\.bin\.index\.json has no tensor "d"/);
    assert.throws(() => mergeCheckpoints([part(['a', 'b']), part(['b'])], 'index.json'), /index\.json: tensor "b" is in both shard 1 and shard 2/);
    assert.throws(() => mergeCheckpoints([part(['a']), part(['a'])], 'index.json', ['one.bin', 'two.bin']), /tensor "a" is in both one\.bin and two\.bin/);
  });

  test('shardFiles lists each shard once, sorted, and refuses names outside the folder', () => {
    const index = { metadata: { total_size: 8 }, weight_map: { a: 'pytorch_model-00002-of-00002.bin', b: 'pytorch_model-00001-of-00002.bin', c: 'pytorch_model-00002-of-00002.bin' } };
    assert.deepEqual(shardFiles(index), ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']);
    for (const file of ['../pytorch_model-00001-of-00002.bin', 'sub/pytorch_model.bin', 'C:\\x.bin', '..bin', 'model.safetensors', '.bin', 5]) {
      assert.throws(() => shardFiles({ weight_map: { a: file } }), PytorchCheckpointError, String(file));
    }
    assert.throws(() => shardFiles({ weight_map: { a: '../x.bin' } }), /weight_map puts "a" in "\.\.\/x\.bin", which is not a plain \.bin file name in the same folder/);
    assert.throws(() => shardFiles({}), /pytorch_model\.bin\.index\.json has no weight_map object/);
    assert.throws(() => shardFiles(null), /no weight_map object/);
    assert.throws(() => shardFiles({ weight_map: {} }), /its weight_map is empty/);
  });
});

describe('the checkpoints torch.save wrote (../shared/data/hf-reference-pytorch)', { skip: NO_FIXTURES }, () => {
  const load = async (file: string) => new Uint8Array(await readFile(path.join(PYTORCH_REFERENCE, file)));
  const reference = async (fixture: string) => SafetensorsFile.parse(new Uint8Array(await readFile(path.join(HF_REFERENCE, fixture, 'model.safetensors'))));

  for (const [folder, fixture, format] of [['mobilebert-seqcls-zip', 'mobilebert-seqcls', 'zip'], ['mobilebert-qa-legacy', 'mobilebert-qa', 'legacy']] as const) {
    test(`${folder}: the ${format} format gives model.safetensors' names, shapes and float32 values exactly`, async () => {
      const c = PytorchCheckpoint.parse(await load(`${folder}/pytorch_model.bin`));
      const s = await reference(fixture);
      assert.equal(c.format, format);
      assert.deepEqual(c.names().filter((n) => n !== 'mobilebert.embeddings.position_ids').sort(), s.names().sort());
      for (const name of s.names()) {
        assert.deepEqual(c.info(name).shape, s.info(name).shape, name);
        assert.deepEqual(c.float32(name), s.float32(name), name);
      }
    });
  }

  test('mobilebert-qa-legacy also holds the int64 position_ids buffer, recognised and not widened', async () => {
    const c = PytorchCheckpoint.parse(await load('mobilebert-qa-legacy/pytorch_model.bin'));
    assert.deepEqual(c.info('mobilebert.embeddings.position_ids'), { name: 'mobilebert.embeddings.position_ids', dtype: 'I64', shape: [1, 512] });
    assert.throws(() => c.float32('mobilebert.embeddings.position_ids'), /has dtype I64/);
  });

  test('bert-qa-fp16: F16 tensors widen to the reference values rounded to fp16', async () => {
    const c = PytorchCheckpoint.parse(await load('bert-qa-fp16/pytorch_model.bin'));
    const s = await reference('bert-qa');
    const rounded = SafetensorsFile.parse(writeSafetensors(s.names().map((name) => ({ name, shape: s.info(name).shape, data: s.float32(name), dtype: 'F16' as const }))));
    assert.deepEqual(c.names().sort(), s.names().sort());
    for (const name of s.names()) {
      assert.equal(c.info(name).dtype, 'F16');
      assert.deepEqual(c.float32(name), rounded.float32(name), name);
    }
  });

  test('refused/runs-code.bin is refused naming posix.system, and nothing ran', async () => {
    const marker = path.join(process.cwd(), 'lens-checkpoint-ran-code');
    assert.ok(!existsSync(marker), `${marker} exists before the test`);
    assert.equal(refusal(await load('refused/runs-code.bin')), 'pytorch_model.bin asks to call posix.system, which is not part of a PyTorch state_dict: refused, nothing was loaded');
    assert.ok(!existsSync(marker), 'the checkpoint ran code');
  });

  test('refused/proto-key.bin is refused naming __proto__, and Object.prototype is unchanged', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    assert.match(refusal(await load('refused/proto-key.bin')), /has a tensor named "__proto__", a name no transformers model uses and a prototype-pollution shape in JavaScript: refused, nothing was loaded/);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    assert.equal(Object.getPrototypeOf(Object.prototype), null);
  });

  test('refused/truncated.bin is refused as truncated', async () => {
    assert.match(refusal(await load('refused/truncated.bin')), /^pytorch_model\.bin is truncated or not a complete zip file: /);
  });
});
