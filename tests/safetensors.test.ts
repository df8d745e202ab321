// safetensors reader and writer: round trips, known bit patterns, the reference implementation's validation rules
// (each malformed file refused with its own message), streaming into one buffer, and the real files that Python's
// safetensors library wrote in ../shared/data/hf-reference.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { SafetensorsError, SafetensorsFile, writeSafetensors } from '../src/engine/safetensors.js';
import { SHARED_DATA } from './helpers/shared-data.js';

const HF_REFERENCE = path.join(SHARED_DATA, 'hf-reference');

/** A file from a header (object or raw text) and data bytes, the header padded so data starts 8-aligned. */
function raw(header: object | string, data: Uint8Array | number = 0): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
  const json = new TextEncoder().encode(text);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const u16bytes = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);
const dataOf = (file: Uint8Array) => file.subarray(8 + Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true)));

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

describe('round trips and bit patterns', () => {
  test('F32 round trips exactly, in header order, with metadata; the aligned view is zero-copy', () => {
    const a = Float32Array.from([1.5, -0, 3.4e38, -1e-45, Math.PI, NaN]);
    const b = Float32Array.from([0.1, 0.2, 0.3, 0.4]);
    const bytes = writeSafetensors([{ name: 'z.weight', shape: [2, 3], data: a }, { name: 'a.bias', shape: [4], data: b }], { format: 'pt' });
    const f = SafetensorsFile.parse(bytes);
    assert.deepEqual(f.names(), ['z.weight', 'a.bias']);
    assert.deepEqual(f.metadata, { format: 'pt' });
    assert.equal(f.bytes, bytes);
    assert.deepEqual(f.info('z.weight').shape, [2, 3]);
    assert.equal(f.info('a.bias').end, bytes.length);
    const za = f.float32('z.weight');
    assert.deepEqual(new Uint8Array(za.buffer, za.byteOffset, za.byteLength), new Uint8Array(a.buffer));
    assert.deepEqual(f.float32('a.bias'), b);
    assert.equal(za.buffer, bytes.buffer, 'an aligned F32 tensor is a view of the file');
    assert.equal(za.byteOffset, f.info('z.weight').begin);
    assert.ok(f.has('a.bias') && !f.has('__metadata__') && !f.has('nope'));
    assert.throws(() => f.info('nope'), /model\.safetensors has no tensor "nope"/);
  });

  test('an unaligned F32 tensor is copied, with the same values', () => {
    const data = Float32Array.from([1, 2, 3]);
    const file = writeSafetensors([{ name: 'x', shape: [3], data }]);
    const shifted = new Uint8Array(file.length + 1).subarray(1);
    shifted.set(file);
    const x = SafetensorsFile.parse(shifted).float32('x');
    assert.deepEqual(x, data);
    assert.notEqual(x.buffer, shifted.buffer);
  });

  test('integer-like names keep the written order (JSON.parse would move them first)', () => {
    const one = Float32Array.from([1]);
    const order = ['b', '10', 'a', '2', '0'];
    const f = SafetensorsFile.parse(writeSafetensors(order.map((name) => ({ name, shape: [1], data: one }))));
    assert.deepEqual(f.names(), order);
    // Header order, not data order.
    const g = SafetensorsFile.parse(raw({ y: { dtype: 'U8', shape: [1], data_offsets: [1, 2] }, x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, 2));
    assert.deepEqual(g.names(), ['y', 'x']);
    assert.deepEqual(g.metadata, {});
  });

  test('F16 bit patterns widen to the right values', () => {
    const bits = [0x3c00, 0xc000, 0x7c00, 0xfc00, 0x0001, 0x0400, 0x7bff, 0x8000, 0x3555, 0x7e00];
    const f = SafetensorsFile.parse(raw({ h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, 2 * bits.length] } }, u16bytes(bits)));
    const v = f.float32('h');
    assert.deepEqual([...v.subarray(0, 9)], [1, -2, Infinity, -Infinity, 2 ** -24, 2 ** -14, 65504, -0, 0.333251953125]);
    assert.ok(Number.isNaN(v[9]));
  });

  test('F16: every one of the 65536 patterns survives read then write', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const wide = SafetensorsFile.parse(raw({ h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } }, new Uint8Array(all.buffer))).float32('h');
    const back = new Uint16Array(dataOf(writeSafetensors([{ name: 'h', shape: [65536], data: wide, dtype: 'F16' }])).slice().buffer);
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (nan) assert.ok((back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0, `NaN 0x${h.toString(16)} stays NaN`);
      else assert.equal(back[h], h, `0x${h.toString(16)}`);
    }
  });

  test('F16 writing rounds to nearest even, overflows to Infinity, underflows to zero', () => {
    const values = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65519, 65520, 1e6, 2 ** -25, 1.5 * 2 ** -25, 3 * 2 ** -25, 1e-10, -1e-10, -2];
    const bytes = writeSafetensors([{ name: 'h', shape: [values.length], data: Float32Array.from(values), dtype: 'F16' }]);
    assert.deepEqual([...new Uint16Array(dataOf(bytes).slice().buffer)], [0x3c00, 0x3c02, 0x7bff, 0x7c00, 0x7c00, 0x0000, 0x0001, 0x0002, 0x0000, 0x8000, 0xc000]);
    const exact = [0, 1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, 2047, Infinity, -Infinity];
    const f = SafetensorsFile.parse(writeSafetensors([{ name: 'e', shape: [exact.length], data: Float32Array.from(exact), dtype: 'F16' }]));
    assert.equal(f.info('e').dtype, 'F16');
    assert.deepEqual([...f.float32('e')], exact);
  });

  test('BF16 bit patterns, rounding to nearest even, exact round trip', () => {
    const f = SafetensorsFile.parse(raw({ b: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }, u16bytes([0x3f80, 0xc000, 0x7f80, 0x0001])));
    assert.deepEqual([...f.float32('b')], [1, -2, Infinity, 2 ** -133]);
    const values = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 3.4e38, NaN];
    const bytes = writeSafetensors([{ name: 'b', shape: [values.length], data: Float32Array.from(values), dtype: 'BF16' }]);
    const bits = [...new Uint16Array(dataOf(bytes).slice().buffer)];
    assert.deepEqual(bits.slice(0, 4), [0x3f80, 0x3f82, 0x3f81, 0x7f80]);
    assert.ok((bits[4] & 0x7f80) === 0x7f80 && (bits[4] & 0x7f) !== 0, 'NaN stays NaN');
    const exact = [1, -2, 0.5, 3.140625, -(2 ** -130), 2 ** 100];
    assert.deepEqual([...SafetensorsFile.parse(writeSafetensors([{ name: 'b', shape: [2, 3], data: Float32Array.from(exact), dtype: 'BF16' }])).float32('b')], exact);
  });

  test('F64 is narrowed to float32; integer and bool tensors are refused by float32()', () => {
    const f64 = new Uint8Array(Float64Array.from([0.5, -3, 1e300]).buffer);
    const f = SafetensorsFile.parse(raw({ d: { dtype: 'F64', shape: [3], data_offsets: [0, 24] }, i: { dtype: 'I64', shape: [1], data_offsets: [24, 32] }, m: { dtype: 'BOOL', shape: [2], data_offsets: [32, 34] } }, new Uint8Array([...f64, ...new Uint8Array(10)])));
    assert.deepEqual([...f.float32('d')], [0.5, -3, Infinity]);
    assert.throws(() => f.float32('i'), /model\.safetensors: tensor "i" has dtype I64; float32\(\) reads only F32, F16, BF16 and F64 tensors/);
    assert.throws(() => f.float32('m'), /dtype BOOL/);
    assert.deepEqual(f.info('m'), { name: 'm', dtype: 'BOOL', shape: [2], begin: f.bytes.length - 2, end: f.bytes.length });
  });

  test('the writer pads the header with spaces so data starts 8-aligned, for any header length', () => {
    for (let len = 1; len <= 9; len++) {
      const bytes = writeSafetensors([{ name: 'x'.repeat(len), shape: [], data: Float32Array.from([7]) }], len % 2 ? undefined : { k: 'v' });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal((8 + n) % 8, 0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      assert.match(text, /^\{.*\} *$/);
      assert.equal(bytes.length, 8 + n + 4);
      assert.deepEqual([...SafetensorsFile.parse(bytes).float32('x'.repeat(len))], [7]);
    }
    assert.equal(SafetensorsFile.parse(writeSafetensors([])).names().length, 0);
    assert.throws(() => writeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array(3) }]), /shape \[2,2\] holds 4 values, data has 3/);
    assert.throws(() => writeSafetensors([{ name: 'x', shape: [1], data: new Float32Array(1) }, { name: 'x', shape: [1], data: new Float32Array(1) }]), /used twice/);
    assert.throws(() => writeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }]), /reserved/);
  });
});

describe('malformed files are refused with what is wrong', () => {
  const t32 = (shape: number[], offsets: number[], dtype = 'F32') => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', new Uint8Array(5), /^model\.safetensors is not a safetensors file: it has 5 bytes, fewer than the 8-byte header length$/],
    ['a zip file', new TextEncoder().encode('PK\x03\x04\x14\x00\x00\x00\x08\x00 rest of a zip'), /^model\.safetensors is not a safetensors file: header length 85966670672 is larger than the file \(24 bytes\)$/],
    ['an HTML error page', new TextEncoder().encode('<!DOCTYPE html><html>Not found</html>'), /^model\.safetensors is not a safetensors file: header length 5789751444030890300 is larger than the file/],
    ['a header not starting with {', raw(' {}'), /model\.safetensors: the header does not start with '\{'/],
    ['an empty header', raw(''), /the header does not start with '\{'/],
    ['a header of invalid JSON', raw('{"x": {"dtype": "F32",'), /model\.safetensors: the header is not valid JSON/],
    ['a header of invalid UTF-8', raw('{"ab":{}}').fill(0xff, 10, 11), /the header is not valid JSON/],
    ['an unknown dtype', raw({ x: t32([1], [0, 4], 'F7') }, 4), /tensor "x" has unknown dtype "F7" \(known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL\)/],
    ['a dtype this reader does not read', raw({ x: t32([1], [0, 1], 'F8_E4M3') }, 1), /tensor "x" has dtype F8_E4M3, which this reader does not support/],
    ['a negative dimension', raw({ x: t32([-1, 2], [0, 8]) }, 8), /tensor "x" has an invalid shape \[-1,2\] \(dimensions must be non-negative integers\)/],
    ['a fractional dimension', raw({ x: t32([1.5], [0, 6]) }, 6), /tensor "x" has an invalid shape \[1\.5\]/],
    ['reversed data_offsets', raw({ x: t32([0], [4, 0]) }, 4), /tensor "x" has invalid data_offsets \[4,0\]/],
    ['a span that does not match dtype x shape', raw({ x: t32([2, 3], [0, 20]) }, 20), /^model\.safetensors: tensor "x" has dtype F32 and shape \[2,3\] \(24 bytes\) but data_offsets span 20 bytes$/],
    ['a gap between tensors', raw({ a: t32([1], [0, 4]), b: t32([1], [8, 12]) }, 12), /data_offsets leave a gap: tensor "b" begins at data offset 8 but tensor "a" ends at 4/],
    ['a gap before the first tensor', raw({ a: t32([1], [4, 8]) }, 8), /data_offsets leave a gap: tensor "a" begins at data offset 4 but the data section begins at 0/],
    ['overlapping tensors', raw({ a: t32([2], [0, 8]), b: t32([2], [4, 12]) }, 12), /data_offsets overlap: tensor "b" begins at data offset 4 but tensor "a" ends at 8/],
    ['metadata that is not strings', raw({ __metadata__: { n: 1 } }), /__metadata__ must map strings to strings/],
    ['a tensor entry that is not an object', raw({ a: 3 }), /tensor "a" is not an object/],
    ['a truncated file', writeSafetensors([{ name: 'x', shape: [6], data: new Float32Array(6) }]).slice(0, -3), /^model\.safetensors is truncated: the header says 24 bytes of tensor data, the file has 21$/],
    ['bytes after the data', new Uint8Array([...writeSafetensors([{ name: 'x', shape: [1], data: new Float32Array(1) }]), 0]), /model\.safetensors is longer than its header says: the header says 4 bytes of tensor data, the file has 5/],
  ];
  for (const [what, bytes, message] of cases) {
    test(what, () => {
      assert.throws(() => SafetensorsFile.parse(bytes), (err: unknown) => err instanceof SafetensorsError && err.name === 'SafetensorsError' && assert.match(err.message, message) === undefined);
    });
  }

  test('errors name the file', () => {
    assert.throws(() => SafetensorsFile.parse(new Uint8Array(3), 'onnx/weights.safetensors'), /^SafetensorsError: onnx\/weights\.safetensors is not a safetensors file/);
  });

  test('cutting the last bytes off a real-sized file is refused', () => {
    const file = writeSafetensors([{ name: 'w', shape: [100, 100], data: new Float32Array(10000) }]);
    for (const cut of [1, 4, 39999]) assert.throws(() => SafetensorsFile.parse(file.subarray(0, file.length - cut)), /is truncated: the header says 40000 bytes of tensor data/);
  });
});

describe('fromStream', () => {
  const file = writeSafetensors(
    [
      { name: 'emb', shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i / 7) },
      { name: 'half', shape: [7], data: Float32Array.from([1, 2, 3, 0.5, -8, 0, 1024]), dtype: 'F16' },
      { name: 'b', shape: [2], data: Float32Array.from([-1, 1]), dtype: 'BF16' },
    ],
    { format: 'pt' },
  );

  test('small chunks give the same tensors as parse, in one buffer of the exact size, with progress', async () => {
    const parsed = SafetensorsFile.parse(file);
    for (const size of [1, 3, 8, 13, 4096]) {
      const progress: [number, number][] = [];
      const f = await SafetensorsFile.fromStream(chunked(file, size), { onProgress: (done, total) => progress.push([done, total]) });
      assert.deepEqual(f.names(), parsed.names());
      assert.deepEqual(f.metadata, parsed.metadata);
      for (const name of f.names()) assert.deepEqual(f.float32(name), parsed.float32(name));
      assert.deepEqual(f.bytes, file);
      assert.equal(f.bytes.buffer.byteLength, file.length, 'one buffer of exactly the file size');
      assert.deepEqual(progress.at(-1), [file.length, file.length]);
      assert.ok(progress.every(([done, total], i) => total === file.length && (i === 0 || done >= progress[i - 1][0])));
    }
    const f = await SafetensorsFile.fromStream(chunked(file, 5), { total: file.length });
    assert.equal(f.float32('emb')[14], 2);
  });

  test('a stream that ends early is refused, wherever it ends', async () => {
    const n = file.length - dataOf(file).length;
    const cases: [number, RegExp][] = [
      [5, /model\.safetensors is truncated: the stream ended after 5 bytes, inside the header length/],
      [n - 3, /is truncated: the stream ended after \d+ bytes, inside the header$/],
      [file.length - 1, /^SafetensorsError: model\.safetensors is truncated: the header says 78 bytes of tensor data, the stream has 77$/],
    ];
    for (const [length, message] of cases) await assert.rejects(SafetensorsFile.fromStream(chunked(file.slice(0, length), 4)), message);
  });

  test('a stream longer than the header says is refused, in the last chunk or a later one', async () => {
    const longer = new Uint8Array([...file, 1, 2, 3]);
    await assert.rejects(SafetensorsFile.fromStream(chunked(longer, 4096)), /model\.safetensors is longer than its header says: the stream has more than 294 bytes/);
    await assert.rejects(SafetensorsFile.fromStream(chunked(longer, 1)), /is longer than its header says/);
  });

  test('an expected total that disagrees with the header is refused before the data is read', async () => {
    await assert.rejects(SafetensorsFile.fromStream(chunked(file, 16), { total: file.length + 8, name: 'x.safetensors' }), /^SafetensorsError: x\.safetensors is longer than its header says: the header says 78 bytes of tensor data, the download has 86$/);
    await assert.rejects(SafetensorsFile.fromStream(chunked(file, 16), { total: file.length - 1 }), /is truncated: the header says 78 bytes of tensor data, the download has 77/);
    await assert.rejects(SafetensorsFile.fromStream(chunked(file, 16), { total: 40 }), /is not a safetensors file: header length 208 is larger than the file \(40 bytes\)/);
  });

  test('header lengths that are not a safe integer or over 100 MB are refused without reading on', async () => {
    const prefix = (n: bigint) => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setBigUint64(0, n, true);
      return b;
    };
    await assert.rejects(SafetensorsFile.fromStream(chunked(prefix(2n ** 60n), 16)), /is not a safetensors file: header length 1152921504606846976 is not a safe integer/);
    await assert.rejects(SafetensorsFile.fromStream(chunked(prefix(100_000_001n), 16)), /header length 100000001 is over the 100000000-byte limit/);
  });

  test('an abort stops a stream that is waiting for its next chunk', async () => {
    const controller = new AbortController();
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(file.slice(0, file.length - 10)); // past the header, so progress is reported
      },
      pull: () => new Promise<void>(() => {}),
      cancel: () => {
        cancelled = true;
      },
    });
    const reading = SafetensorsFile.fromStream(stalled, { signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(reading, { name: 'AbortError' });
    assert.ok(cancelled, 'the stream is cancelled');
    await assert.rejects(SafetensorsFile.fromStream(chunked(file, 8), { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});

describe('files written by Python safetensors (../shared/data/hf-reference)', () => {
  const fixtures: [string, string, number[]][] = [
    ['mobilebert-qa', 'qa_outputs.weight', [2, 64]],
    ['mobilebert-seqcls', 'classifier.weight', [3, 64]],
    ['bert-qa', 'qa_outputs.weight', [2, 64]],
  ];
  for (const [folder, head, shape] of fixtures) {
    test(folder, async (t) => {
      const file = path.join(HF_REFERENCE, folder, 'model.safetensors');
      if (!existsSync(file)) return t.skip(`skipped: ${file} not found (reference data)`);
      const bytes = new Uint8Array(await readFile(file));
      const f = SafetensorsFile.parse(bytes, file);
      assert.ok(f.names().length > 0);
      assert.ok(f.names().every((name) => f.info(name).dtype === 'F32'));
      assert.deepEqual(f.info(head).shape, shape);
      assert.deepEqual(f.metadata, { format: 'pt' });
      assert.ok(f.float32(head).every(Number.isFinite));
      assert.ok(f.float32(head).some((v) => v !== 0));
      // Written back (in the same order) and read again, every tensor is the same; streamed, too.
      const again = SafetensorsFile.parse(writeSafetensors(f.names().map((name) => ({ name, shape: f.info(name).shape, data: f.float32(name) })), f.metadata));
      const streamed = await SafetensorsFile.fromStream(chunked(bytes, 65536), { total: bytes.length });
      for (const name of f.names()) {
        assert.deepEqual(again.float32(name), f.float32(name));
        assert.deepEqual(streamed.float32(name), f.float32(name));
      }
    });
  }
});
