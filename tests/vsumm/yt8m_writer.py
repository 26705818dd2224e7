"""Writers of YouTube-8M frame-level TFRecords for tests, independent of mmvsumm.io.

The messages are built by Google's ``protobuf`` runtime from the schema of
tensorflow/core/example/{feature,example}.proto (declared here as descriptors);
the framing CRCs come from a bit-by-bit CRC-32C (no table, unlike the reader).
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_SCHEMA = {  # message -> [(field, number, type, label, message type)]
    'BytesList': [('value', 1, 'bytes', 'repeated', None)],
    'FloatList': [('value', 1, 'float', 'repeated', None)],
    'Int64List': [('value', 1, 'int64', 'repeated', None)],
    'Feature': [('bytes_list', 1, 'message', 'optional', 'BytesList'),
                ('float_list', 2, 'message', 'optional', 'FloatList'),
                ('int64_list', 3, 'message', 'optional', 'Int64List')],
    'Features': [('feature', 1, 'map', 'Feature', None)],
    'FeatureList': [('feature', 1, 'message', 'repeated', 'Feature')],
    'FeatureLists': [('feature_list', 1, 'map', 'FeatureList', None)],
    'SequenceExample': [('context', 1, 'message', 'optional', 'Features'),
                        ('feature_lists', 2, 'message', 'optional', 'FeatureLists')],
}


def _message_classes() -> dict:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    fdp = descriptor_pb2.FieldDescriptorProto
    types = dict(bytes=fdp.TYPE_BYTES, float=fdp.TYPE_FLOAT, int64=fdp.TYPE_INT64,
                 message=fdp.TYPE_MESSAGE, string=fdp.TYPE_STRING)
    labels = dict(optional=fdp.LABEL_OPTIONAL, repeated=fdp.LABEL_REPEATED)
    proto = descriptor_pb2.FileDescriptorProto(name='test_yt8m_example.proto',
                                               package='testtf', syntax='proto3')

    def add(msg, name, number, kind, label, type_name=None):
        f = msg.field.add(name=name, number=number, type=types[kind], label=labels[label])
        if type_name:
            f.type_name = type_name

    for name, fields in _SCHEMA.items():
        msg = proto.message_type.add(name=name)
        for fname, number, kind, label, ref in fields:
            if kind == 'map':  # map<string, label>: a nested entry message
                entry = msg.nested_type.add(name=fname.title().replace('_', '') + 'Entry')
                entry.options.map_entry = True
                add(entry, 'key', 1, 'string', 'optional')
                add(entry, 'value', 2, 'message', 'optional', f'.testtf.{label}')
                add(msg, fname, number, 'message', 'repeated', f'.testtf.{name}.{entry.name}')
            else:
                add(msg, fname, number, kind, label, f'.testtf.{ref}' if ref else None)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f'testtf.{name}'))
            for name in _SCHEMA}


def crc32c_bitwise(data: bytes) -> int:
    """CRC-32C, reflected polynomial 0x82F63B78, one bit at a time."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(vid: str, labels: list[int], rgb: np.ndarray, audio: np.ndarray | None,
                 id_key: str = 'id') -> bytes:
    """A serialised SequenceExample in the YouTube-8M frame-level layout.

    rgb: uint8 codes, (T, 1024); audio: uint8 codes, (T, 128).
    """
    classes = _message_classes()
    example = classes['SequenceExample']()
    example.context.feature[id_key].bytes_list.value.append(vid.encode())
    example.context.feature['labels'].int64_list.value.extend(labels)
    for name, mat in (('rgb', rgb), ('audio', audio)):
        if mat is not None:
            frames = example.feature_lists.feature_list[name].feature
            for row in mat:
                frames.add().bytes_list.value.append(np.asarray(row, np.uint8).tobytes())
    return example.SerializeToString()


def tfrecord_bytes(records: list[bytes]) -> bytes:
    """TFRecord framing: length, masked CRC of the length, data, masked CRC of the data."""
    out = b''
    for data in records:
        length = struct.pack('<Q', len(data))
        out += length + struct.pack('<I', masked(crc32c_bitwise(length)))
        out += data + struct.pack('<I', masked(crc32c_bitwise(data)))
    return out


def write_frame_tfrecord(path: Path, videos: list[dict]) -> None:
    """``videos``: dicts of ``frame_record``'s arguments."""
    path.write_bytes(tfrecord_bytes([frame_record(**v) for v in videos]))
