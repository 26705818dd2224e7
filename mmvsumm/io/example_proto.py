"""``tf.train.SequenceExample`` decoded from the protobuf wire format (no TensorFlow).

The schema (tensorflow/core/example/{example,feature}.proto)::

    SequenceExample { Features context = 1; FeatureLists feature_lists = 2; }
    Features        { map<string, Feature> feature = 1; }
    FeatureLists    { map<string, FeatureList> feature_list = 1; }
    FeatureList     { repeated Feature feature = 1; }
    Feature         { oneof { BytesList bytes_list = 1; FloatList float_list = 2;
                              Int64List int64_list = 3; } }
    BytesList { repeated bytes value = 1; }   FloatList { repeated float value = 1; }
    Int64List { repeated int64 value = 1; }

A map is a repeated entry message ``{key = 1; value = 2}``. Packed and unpacked
repeated numbers are both accepted, unknown fields are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection, Iterator, Union

import numpy as np

from ..errors import VSummInputError

__all__ = ['ProtoDecodeError', 'SequenceExample', 'parse_sequence_example']

FeatureValue = Union[list, np.ndarray]  # list of bytes, float32 array or int64 array

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class ProtoDecodeError(VSummInputError):
    """The bytes are not a valid message of the expected schema (a bad input, so a
    :class:`~mmvsumm.errors.VSummInputError`; callers add the file and offset)."""


@dataclass
class SequenceExample:
    """Decoded context features and feature lists (one value per frame)."""

    context: dict[str, FeatureValue] = field(default_factory=dict)
    feature_lists: dict[str, list[FeatureValue]] = field(default_factory=dict)


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtoDecodeError('truncated varint')
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ProtoDecodeError('varint longer than 10 bytes')


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """``(field number, wire type, value)``; a length-delimited value is a view."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtoDecodeError('field number 0')
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LENGTH:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ProtoDecodeError(f'field {number}: length {size} past the end')
            value, pos = buf[pos:pos + size], pos + size
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if pos + size > len(buf):
                raise ProtoDecodeError(f'field {number}: fixed value past the end')
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ProtoDecodeError(f'field {number}: unsupported wire type {wire}')
        yield number, wire, value


def _int64s(value: int | memoryview, wire: int) -> list[int]:
    if wire == _VARINT:
        raw = [value]
    elif wire == _LENGTH:  # packed
        raw, pos = [], 0
        while pos < len(value):
            item, pos = _varint(value, pos)
            raw.append(item)
    else:
        raise ProtoDecodeError(f'int64 value with wire type {wire}')
    return [v - (1 << 64) if v >= 1 << 63 else v for v in raw]  # two's complement


def _feature(buf: memoryview) -> FeatureValue:
    """One ``Feature``: a list of bytes, a float32 array or an int64 array."""
    kind, values = None, []
    for number, wire, value in _fields(buf):
        if number not in (1, 2, 3):
            continue
        if wire != _LENGTH:
            raise ProtoDecodeError(f'Feature field {number} with wire type {wire}')
        if kind is not None and kind != number:
            raise ProtoDecodeError('Feature sets more than one of its oneof lists')
        kind = number
        for item_no, item_wire, item in _fields(value):
            if item_no != 1:
                continue
            if number == 1:
                if item_wire != _LENGTH:
                    raise ProtoDecodeError(f'BytesList value with wire type {item_wire}')
                values.append(bytes(item))
            elif number == 2:
                if item_wire not in (_LENGTH, _FIXED32) or len(item) % 4:
                    raise ProtoDecodeError('FloatList value is not float32')
                values.append(np.frombuffer(item, dtype='<f4'))
            else:
                values.extend(_int64s(item, item_wire))
    if kind == 2:
        return np.concatenate(values).astype(np.float32) if values else \
            np.zeros(0, np.float32)
    if kind == 3:
        return np.array(values, dtype=np.int64)
    return values  # bytes list (also an empty Feature)


def _map_entries(buf: memoryview, wanted: Collection[str] | None) -> Iterator[tuple[str, memoryview]]:
    """``(key, encoded value)`` of the map field 1 of a message; keys outside
    ``wanted`` (None: all) are skipped without decoding their value."""
    for number, wire, entry in _fields(buf):
        if number != 1:
            continue
        if wire != _LENGTH:
            raise ProtoDecodeError(f'map entry with wire type {wire}')
        key, value = None, memoryview(b'')
        for item_no, item_wire, item in _fields(entry):
            if item_wire != _LENGTH:
                continue
            if item_no == 1:
                try:
                    key = bytes(item).decode('utf-8')
                except UnicodeDecodeError as exc:
                    raise ProtoDecodeError('map key is not UTF-8') from exc
            elif item_no == 2:
                value = item
        if key is None:
            raise ProtoDecodeError('map entry without a key')
        if wanted is None or key in wanted:
            yield key, value


def parse_sequence_example(data: bytes, feature_lists: Collection[str] | None = None
                           ) -> SequenceExample:
    """Decode a serialised ``SequenceExample``.

    Args:
        data: the message bytes (one TFRecord).
        feature_lists: names of the feature lists to decode (None: all); the
            others are skipped, which is most of the work for unused features.
    Raises:
        ProtoDecodeError: malformed message.
    """
    out = SequenceExample()
    for number, wire, value in _fields(memoryview(data)):
        if number not in (1, 2):
            continue
        if wire != _LENGTH:
            raise ProtoDecodeError(f'SequenceExample field {number} with wire type {wire}')
        if number == 1:
            out.context.update((k, _feature(v)) for k, v in _map_entries(value, None))
        else:
            for key, lst in _map_entries(value, feature_lists):
                out.feature_lists[key] = [_feature(f) for n, w, f in _fields(lst)
                                          if n == 1 and w == _LENGTH]
    return out
