"""TFRecord files read without TensorFlow: framing, masked CRC32C, random access.

A TFRecord file is a sequence of records, each::

    uint64 length            (little endian)
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

with ``masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8`` (mod 2**32). Every CRC is
verified; a bad one, a short read or a compressed file raises an error naming the
file and the byte offset of the record.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import VSummInputError

try:
    from crc32c import crc32c as _fast_crc32c
except ImportError:  # the optional C implementation
    _fast_crc32c = None

__all__ = ['crc32c', 'masked_crc32c', 'iter_tfrecords', 'index_tfrecords', 'read_tfrecord']

_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct('<QI')  # length, masked CRC of the 8 length bytes
_FOOTER = struct.Struct('<I')


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


def _crc32c_python(data: bytes, table: list[int] = _table()) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli): the ``crc32c`` package when installed (C, fast), else
    a table-driven Python loop (about 100x slower)."""
    return _crc32c_python(data) if _fast_crc32c is None else _fast_crc32c(data)


def masked_crc32c(data: bytes) -> int:
    """The masked CRC-32C that TFRecord files store."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _fail(path: Path, offset: int, reason: str) -> VSummInputError:
    return VSummInputError(f'{path}: TFRecord at byte {offset}: {reason}')


def _read_header(handle: BinaryIO, path: Path, offset: int) -> int | None:
    """The data length of the record at ``offset``; None at the end of the file."""
    head = handle.read(_HEADER.size)
    if not head:
        return None
    if offset == 0 and head[:2] == b'\x1f\x8b':
        raise _fail(path, 0, 'the file is gzip-compressed; decompress it first')
    if len(head) < _HEADER.size:
        raise _fail(path, offset, f'truncated header ({len(head)} of {_HEADER.size} bytes)')
    length, crc = _HEADER.unpack(head)
    if masked_crc32c(head[:8]) != crc:
        raise _fail(path, offset, 'corrupt length (CRC mismatch)')
    return length


def _read_data(handle: BinaryIO, path: Path, offset: int, length: int, verify: bool) -> bytes:
    data = handle.read(length)
    footer = handle.read(_FOOTER.size)
    if len(data) < length or len(footer) < _FOOTER.size:
        raise _fail(path, offset, f'truncated record (length {length}, the file ends first)')
    if verify and masked_crc32c(data) != _FOOTER.unpack(footer)[0]:
        raise _fail(path, offset, 'corrupt data (CRC mismatch)')
    return data


def _open(path: Path) -> BinaryIO:
    try:
        return open(path, 'rb')
    except OSError as exc:
        raise VSummInputError(f'{path}: cannot open as a TFRecord file ({exc})') from exc


def iter_tfrecords(path: str | Path, verify: bool = True) -> Iterator[tuple[int, bytes]]:
    """Yield ``(byte offset, data)`` of every record, one at a time.

    ``verify=False`` skips the data CRC (the length CRC is always checked: a wrong
    length would make every later record unreadable).
    """
    path = Path(path)
    with _open(path) as handle:
        offset = 0
        while (length := _read_header(handle, path, offset)) is not None:
            yield offset, _read_data(handle, path, offset, length, verify)
            offset += _HEADER.size + length + _FOOTER.size


def index_tfrecords(path: str | Path) -> list[int]:
    """Byte offsets of the records, reading only their headers.  # -> (N,)"""
    path = Path(path)
    size = path.stat().st_size if path.is_file() else 0
    offsets = []
    with _open(path) as handle:
        offset = 0
        while (length := _read_header(handle, path, offset)) is not None:
            end = offset + _HEADER.size + length + _FOOTER.size
            if end > size:
                raise _fail(path, offset, f'truncated record (length {length}, the file '
                                          f'has {size} bytes)')
            offsets.append(offset)
            offset = end
            handle.seek(offset)
    return offsets


def read_tfrecord(path: str | Path, offset: int, verify: bool = True) -> bytes:
    """The data of the record starting at byte ``offset`` (from :func:`index_tfrecords`)."""
    path = Path(path)
    with _open(path) as handle:
        handle.seek(offset)
        length = _read_header(handle, path, offset)
        if length is None:
            raise _fail(path, offset, 'no record here (end of file)')
        return _read_data(handle, path, offset, length, verify)
