// node --test js/test/ — the array codec (js/lib/codecs.js), paired with mmwidgets/widgets/_codec.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { arrayAt, arrayOf, bufferAt, encodeArray } from "../lib/codecs.js";
import { DTYPES, FLOAT32, INT16, INT32 } from "../lib/protocol.js";

test("every wire dtype round-trips through encodeArray and arrayAt", () => {
  const cases = [Float32Array.of(0.5, -1, Infinity, NaN), Int16Array.of(-1, 0, 32767, -32768), Int32Array.of(2 ** 31 - 1, -7)];
  const buffers = [];
  const specs = cases.map((values) => encodeArray(values, buffers));
  assert.deepEqual(specs.map((s) => s.dtype), [FLOAT32, INT16, INT32]);
  assert.deepEqual(specs.map((s) => s.buffer), [0, 1, 2]);
  assert.deepEqual(new Set(specs.map((s) => s.dtype)), new Set(DTYPES));
  cases.forEach((values, i) => {
    const back = arrayAt(buffers, specs[i], "case");
    assert.equal(back.constructor, values.constructor);
    assert.deepEqual([...back], [...values]);
    assert.deepEqual(specs[i].shape, [values.length]);
  });
});

test("a 2-D shape is checked and the values come back in C order", () => {
  const buffers = [];
  const xy = Float32Array.of(1, 2, 3, 4, 5, 6);
  const spec = encodeArray(xy, buffers, [3, 2]);
  assert.deepEqual(spec, { buffer: 0, dtype: "<f4", shape: [3, 2] });
  assert.deepEqual([...arrayAt(buffers, spec, "xy")], [1, 2, 3, 4, 5, 6]);
  assert.throws(() => encodeArray(xy, [], [4, 2]), /6 values do not make shape \[4, 2\]/);
  assert.throws(() => arrayAt(buffers, { ...spec, shape: [2, 2] }, "xy"), /6 <f4 values do not make shape \[2, 2\]/);
});

test("little-endian bytes as Python writes them decode, from an unaligned view into a message", () => {
  // a message holding one byte of something else, then int16 [1, -1] and float32 [0.5]
  const message = Uint8Array.of(9, 1, 0, 0xff, 0xff, 0, 0, 0, 0x3f);
  const int16 = new DataView(message.buffer, 1, 4); // offset 1: not 2-byte aligned
  const float32 = new DataView(message.buffer, 5, 4);
  assert.deepEqual([...arrayOf({ view: int16, dtype: INT16, shape: [2] })], [1, -1]);
  assert.deepEqual([...arrayOf({ view: float32, dtype: FLOAT32 })], [0.5]);
  // a copy: the decoded values do not alias (and keep alive) the message
  const decoded = arrayOf({ view: int16, dtype: INT16 });
  decoded[0] = 42;
  assert.equal(message[1], 1);
});

test("a view of part of a larger buffer is sent as exactly its own bytes", () => {
  const big = Int32Array.of(10, 20, 30, 40);
  const buffers = [];
  const spec = encodeArray(big.subarray(1, 3), buffers);
  assert.equal(buffers[0].byteLength, 8);
  assert.deepEqual([...arrayAt(buffers, spec, "rows")], [20, 30]);
  assert.deepEqual(spec.shape, [2]);
  const empty = encodeArray(new Int32Array(0), buffers);
  assert.deepEqual([...arrayAt(buffers, empty, "rows")], []);
});

test("what does not match its spec fails saying why", () => {
  const buffers = [Uint8Array.of(1, 0, 0)];
  assert.throws(() => arrayOf({ view: buffers[0], dtype: INT32 }), /<i4 buffers hold whole 4-byte values; got 3 bytes/);
  assert.throws(() => arrayOf({ view: buffers[0], dtype: "<f8" }), /dtype "<f8" is not on the wire/);
  assert.throws(() => arrayAt(buffers, { buffer: 4, dtype: INT16, shape: [1] }, "label"), /label: buffer 4 missing/);
  assert.throws(() => arrayAt(buffers, 0, "label"), /label: expected \{buffer, dtype, shape\}/);
  assert.throws(() => bufferAt(buffers, "0", "peaks"), /peaks: buffer 0 missing/);
  assert.throws(() => encodeArray(Float64Array.of(1), []), /no wire dtype for Float64Array/);
  assert.throws(() => encodeArray([1, 2], []), /no wire dtype for Array/);
});
