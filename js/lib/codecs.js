// Binary buffers from Python, paired with mmwidgets/widgets/_codec.py and _payload.py: an
// encoded file (image, audio) is named by its index in the message's buffers; a numeric array
// (waveform peaks, map points, selected rows) by a spec {buffer, dtype, shape}, dtype in numpy's
// spelling (protocol.js DTYPES, all little-endian). One codec each way, on both sides.
import { DTYPES, FLOAT32, INT16, INT32 } from "./protocol.js";

const TYPED = { [FLOAT32]: Float32Array, [INT16]: Int16Array, [INT32]: Int32Array };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a buffer as a Uint8Array view (DataView, ArrayBuffer or typed array). */
export function bytesOf(buffer) {
  if (buffer instanceof Uint8Array) return buffer;
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new TypeError(`expected a binary buffer, got ${typeof buffer}`);
}

/** An encoded file (image, audio) as a Blob of the given MIME type. */
export function blobOf(buffer, mime) {
  return new Blob([bytesOf(buffer)], { type: mime });
}

/** The buffer a payload field points at, or a clear error when the message lacks it. */
export function bufferAt(buffers, index, what) {
  const buffer = Number.isInteger(index) ? buffers?.[index] : null;
  if (buffer == null) throw new RangeError(`${what}: buffer ${index} missing from the message`);
  return buffer;
}

function typedFor(dtype) {
  const Typed = TYPED[dtype];
  if (!Typed) throw new TypeError(`dtype ${JSON.stringify(dtype)} is not on the wire; known: ${DTYPES.join(", ")}`);
  if (!LITTLE_ENDIAN) throw new Error("this browser is big-endian; the wire is little-endian");
  return Typed;
}

/**
 * {view, dtype, shape} -> a typed array of dtype, its values in C order (x, y interleaved for a
 * shape [n, 2]). `shape` is checked against the bytes when given. The values are copied: a view
 * into a message is often not aligned for its dtype, and would keep the whole message alive.
 */
export function arrayOf({ view, dtype, shape = null }) {
  const Typed = typedFor(dtype);
  const bytes = bytesOf(view);
  const size = Typed.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) throw new RangeError(`${dtype} buffers hold whole ${size}-byte values; got ${bytes.byteLength} bytes`);
  const length = bytes.byteLength / size;
  if (shape != null) {
    const wanted = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || wanted !== length) {
      throw new RangeError(`${length} ${dtype} values do not make shape [${shape.join(", ")}]`);
    }
  }
  return new Typed(bytes.slice().buffer);
}

/** The typed array a result's spec {buffer, dtype, shape} names in the message's buffers. */
export function arrayAt(buffers, spec, what) {
  if (spec == null || typeof spec !== "object") throw new TypeError(`${what}: expected {buffer, dtype, shape}, got ${JSON.stringify(spec)}`);
  return arrayOf({ view: bufferAt(buffers, spec.buffer, what), dtype: spec.dtype, shape: spec.shape ?? null });
}

/**
 * Append a typed array to `buffers` (what rpc.request sends along); its spec {buffer, dtype,
 * shape} names it for Python's decode_array. `shape` defaults to 1-D.
 */
export function encodeArray(values, buffers, shape = [values.length]) {
  const dtype = Object.keys(TYPED).find((d) => values instanceof TYPED[d]);
  if (!dtype) throw new TypeError(`no wire dtype for ${values?.constructor?.name ?? typeof values}; use ${Object.values(TYPED).map((t) => t.name).join(", ")}`);
  typedFor(dtype);
  if (shape.reduce((a, b) => a * b, 1) !== values.length) throw new RangeError(`${values.length} values do not make shape [${shape.join(", ")}]`);
  const whole = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
  buffers.push(whole ? values.buffer : values.slice().buffer);
  return { buffer: buffers.length - 1, dtype, shape: [...shape] };
}
