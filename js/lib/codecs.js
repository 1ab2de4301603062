// Binary buffers from Python, paired with mmwidgets/widgets/_payload.py: a result names a
// buffer by its index in the message; images and audio are encoded files, waveform peaks
// little-endian float32.

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

/** float32 values; copied, because a view into a message may not be 4-byte aligned. */
export function float32Of(buffer) {
  const bytes = bytesOf(buffer);
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`float32 buffer of ${bytes.byteLength} bytes`);
  return new Float32Array(bytes.slice().buffer);
}

/** The buffer a payload field points at, or a clear error when the message lacks it. */
export function bufferAt(buffers, index, what) {
  const buffer = buffers?.[index];
  if (buffer == null) throw new RangeError(`${what}: buffer ${index} missing from the message`);
  return buffer;
}
