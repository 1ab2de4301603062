"""Container checks that catch truncated audio files libsndfile would silently decode in part.

libsndfile reads a cut-off Ogg Vorbis or WAV file up to where it ends and reports no error, so a
half-downloaded file would look like a short, valid clip. Both containers say where they should
end: Ogg's last page carries an end-of-stream flag, and a WAV ``data`` chunk declares its size.
"""

from __future__ import annotations

__all__ = ["container_problem"]

_OGG_EOS = 0x04
_OGG_HEADER = 27
_WAV_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # streaming writers leave the size unset


def container_problem(data: bytes) -> str | None:
    """Say why an encoded audio file looks truncated, or None when its container is complete.

    Only Ogg and RIFF/WAVE files are inspected; any other data returns None.

    Examples
    --------
    >>> container_problem(b"OggS" + bytes(10))
    'truncated Ogg file: its last page is cut off'
    >>> container_problem(b"fLaC") is None
    True
    """
    if data[:4] == b"OggS":
        return _ogg_problem(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _wav_problem(data)
    return None


def _ogg_problem(data: bytes) -> str | None:
    position, flags, size = 0, 0, len(data)
    # walk the pages; trailing bytes that are not a page (rare tags) end the walk
    while position < size and data[position : position + 4] == b"OggS":
        if position + _OGG_HEADER > size:
            return "truncated Ogg file: its last page is cut off"
        segments = data[position + 26]
        body = sum(data[position + _OGG_HEADER : position + _OGG_HEADER + segments])
        end = position + _OGG_HEADER + segments + body
        if position + _OGG_HEADER + segments > size or end > size:
            return "truncated Ogg file: its last page is cut off"
        flags = data[position + 5]
        position = end
    if not flags & _OGG_EOS:
        return "truncated Ogg file: it ends before its end-of-stream page"
    return None


def _wav_problem(data: bytes) -> str | None:
    position, size = 12, len(data)
    while position + 8 <= size:
        chunk = data[position : position + 4]
        length = int.from_bytes(data[position + 4 : position + 8], "little")
        if chunk == b"data":
            present = size - position - 8
            if length not in _WAV_UNKNOWN_SIZES and length > present:
                return (
                    f"truncated WAV file: its data chunk declares {length:,} bytes "
                    f"but only {present:,} are present"
                )
            return None
        position += 8 + length + (length & 1)
    return None
