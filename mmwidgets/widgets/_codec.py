"""Numeric arrays on the wire: one binary buffer, named by a ``{buffer, dtype, shape}`` spec.

The one array codec between Python and the front ends, paired with ``js/lib/codecs.js``
(``arrayAt``/``arrayOf`` turn a spec into a typed array, ``encodeArray`` makes one). A spec
names its buffer by index in the message's buffers, its dtype (one of ``_protocol.DTYPES``,
little-endian) and its shape, so the receiver checks the bytes against what they claim to be
instead of assuming a layout.

Examples
--------
>>> from mmwidgets.widgets._base import Outbox
>>> out = Outbox()
>>> spec = encode_array(np.zeros((3, 2)), out, FLOAT32)
>>> spec
{'buffer': 0, 'dtype': '<f4', 'shape': [3, 2]}
>>> decode_array(spec, out.buffers).shape
(3, 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import numpy.typing as npt

from mmwidgets.exceptions import ProtocolError
from mmwidgets.widgets._protocol import DTYPES, FLOAT32, INT16, INT32

if TYPE_CHECKING:
    from mmwidgets.widgets._base import Outbox

__all__ = ["array_bytes", "array_of", "decode_array", "encode_array"]

_NAMES = {FLOAT32: "float32", INT16: "int16", INT32: "int32"}
#: what can arrive as a buffer: ``bytes`` from Python, a ``memoryview`` off the wire
Buffer = bytes | bytearray | memoryview


def array_bytes(values: npt.ArrayLike, dtype: str) -> bytes:
    r"""``values`` as the raw bytes of a ``dtype`` array (C order), refusing lossy casts.

    Raises
    ------
    ProtocolError
        For a dtype not on the wire, non-integers into an integer dtype, or values out of its
        range (a silent wrap-around would colour or label the wrong points).

    Examples
    --------
    >>> array_bytes([1, -1], INT16)
    b'\x01\x00\xff\xff'
    >>> array_bytes([70000], INT16)
    Traceback (most recent call last):
    mmwidgets.exceptions.ProtocolError: values 70000..70000 do not fit int16
    """
    target = _dtype(dtype)
    source = np.asarray(values)
    if target.kind == "i" and source.size:
        if source.dtype.kind not in "iub":
            raise ProtocolError(f"{_NAMES[dtype]} holds integers; got {source.dtype} values")
        low, high = int(source.min()), int(source.max())
        info = np.iinfo(target)
        if low < info.min or high > info.max:
            raise ProtocolError(f"values {low}..{high} do not fit {_NAMES[dtype]}")
    return np.ascontiguousarray(source, dtype=target).tobytes()


def encode_array(values: npt.ArrayLike, out: Outbox | list[bytes], dtype: str) -> dict[str, Any]:
    """Append ``values`` to ``out`` as one ``dtype`` buffer; the spec that names it.

    ``out`` is a message's :class:`Outbox`, or a plain list of buffers (a payload being packed).

    Examples
    --------
    >>> buffers: list[bytes] = [b"an image"]
    >>> encode_array([0.5, 1.0], buffers, FLOAT32)
    {'buffer': 1, 'dtype': '<f4', 'shape': [2]}
    """
    data = array_bytes(values, dtype)
    if isinstance(out, list):
        out.append(data)
        index = len(out) - 1
    else:
        index = out.add(data)
    return {"buffer": index, "dtype": dtype, "shape": [int(d) for d in np.shape(values)]}


def decode_array(spec: object, buffers: Sequence[Buffer]) -> npt.NDArray[Any]:
    r"""The array a ``{buffer, dtype, shape}`` spec names in a message's ``buffers``.

    A read-only view of the buffer where it can be; raises :class:`ProtocolError` saying what
    is wrong (not a spec, a buffer the message lacks, bytes that do not match dtype and shape).

    Examples
    --------
    >>> decode_array({"buffer": 0, "dtype": "<i4", "shape": [2]}, [b"\x01\0\0\0\x02\0\0\0"])
    array([1, 2], dtype=int32)
    >>> decode_array({"buffer": 3, "dtype": "<i4", "shape": [2]}, [])
    Traceback (most recent call last):
    mmwidgets.exceptions.ProtocolError: array buffer 3 is not in the message (0 buffers)
    """
    if not isinstance(spec, Mapping):
        raise ProtocolError(f"an array is named by {{buffer, dtype, shape}}; got {spec!r:.80}")
    index, shape = spec.get("buffer"), spec.get("shape")
    if not _is_count(index) or index >= len(buffers):
        raise ProtocolError(
            f"array buffer {index!r} is not in the message ({len(buffers)} buffers)"
        )
    if not isinstance(shape, list | tuple) or not all(_is_count(d) for d in shape):
        raise ProtocolError(f"an array's shape is a list of sizes; got {shape!r:.80}")
    return array_of(buffers[index], str(spec.get("dtype")), shape)


def array_of(data: Buffer, dtype: str, shape: Sequence[int] | None = None) -> npt.NDArray[Any]:
    r"""The raw bytes ``data`` read as a ``dtype`` array, 1-D or of ``shape``.

    Examples
    --------
    >>> array_of(b"\x01\x00\x00", INT32)
    Traceback (most recent call last):
    mmwidgets.exceptions.ProtocolError: int32 buffers hold whole 4-byte values; got 3 bytes
    >>> array_of(bytes(8), INT16, [2, 3])
    Traceback (most recent call last):
    mmwidgets.exceptions.ProtocolError: 4 int16 values do not make shape [2, 3]
    """
    target = _dtype(dtype)
    raw = memoryview(data).cast("B")
    if raw.nbytes % target.itemsize:
        raise ProtocolError(
            f"{_NAMES[dtype]} buffers hold whole {target.itemsize}-byte values; "
            f"got {raw.nbytes} bytes"
        )
    array = np.frombuffer(raw, dtype=target)
    if shape is None:
        return array
    if math.prod(shape) != array.size:
        raise ProtocolError(
            f"{array.size} {_NAMES[dtype]} values do not make shape {[int(d) for d in shape]}"
        )
    return array.reshape(tuple(shape))


def _dtype(dtype: str) -> np.dtype[Any]:
    if dtype not in DTYPES:
        raise ProtocolError(f"dtype {dtype!r} is not on the wire; known: {', '.join(DTYPES)}")
    return np.dtype(dtype)


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
