"""YouTube-8M frame-level features (TFRecords of ``SequenceExample``), streamed.

Each record is one video: context ``id`` (``video_id`` in the 2017 release), bytes,
and ``labels``, int64; feature lists ``rgb`` (1024 bytes per frame, Inception
features after PCA) and ``audio`` (128 bytes per frame), one frame per second.
The bytes are uint8 quantised; :func:`dequantize` maps them back as the dataset's
starter code does, ``q * (max - min) / 255 + (max - min) / 512 + min`` with
``max = 2`` and ``min = -2``.
"""
from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from ..errors import VSummInputError
from .example_proto import ProtoDecodeError, parse_sequence_example
from .tfrecord import iter_tfrecords

__all__ = ['YT8MVideo', 'FEATURE_SIZES', 'dequantize', 'parse_yt8m_record', 'iter_yt8m',
           'yt8m_files']

FEATURE_SIZES = {'rgb': 1024, 'audio': 128}
MAX_QUANTIZED, MIN_QUANTIZED = 2.0, -2.0


@dataclass(frozen=True)
class YT8MVideo:
    """One video of a frame-level record."""

    id: str
    labels: np.ndarray  # (L,) int64
    features: np.ndarray  # (T, sum of the feature sizes) float32, in the order asked
    source: str  # '<file>@<byte offset>'


def dequantize(quantized: np.ndarray, max_value: float = MAX_QUANTIZED,
               min_value: float = MIN_QUANTIZED) -> np.ndarray:
    """uint8 codes to float32 features (YouTube-8M's ``Dequantize``).  # (..., D) -> (..., D)"""
    span = max_value - min_value
    return (np.asarray(quantized, np.float32) * np.float32(span / 255.0)
            + np.float32(span / 512.0 + min_value))


def _frames(lists: dict, name: str, size: int) -> np.ndarray:
    """The quantised ``(T, size)`` uint8 matrix of one feature list."""
    if name not in lists:
        raise ValueError(f'no {name!r} feature list (it has {sorted(lists)})')
    rows = lists[name]
    if not all(isinstance(row, list) and len(row) == 1 for row in rows):
        raise ValueError(f'{name!r}: every frame must hold one bytes value')
    raw = b''.join(row[0] for row in rows)
    if any(len(row[0]) != size for row in rows):
        bad = next(i for i, row in enumerate(rows) if len(row[0]) != size)
        raise ValueError(f'{name!r}: frame {bad} has {len(rows[bad][0])} bytes, '
                         f'expected {size}')
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(rows), size)


def parse_yt8m_record(data: bytes, features: Sequence[str] = ('rgb',),
                      where: str = 'record') -> YT8MVideo:
    """Decode one frame-level record; ``features`` are concatenated in this order.

    Raises:
        VSummInputError: malformed message, missing/short feature list, feature
            lists of different lengths or no frame (names ``where`` and the id).
    """
    unknown = [f for f in features if f not in FEATURE_SIZES]
    if not features or unknown:
        raise VSummInputError(f'features must be a non-empty subset of '
                              f'{tuple(FEATURE_SIZES)}, got {tuple(features)}')
    vid = '?'
    try:
        example = parse_sequence_example(data, features)
        raw_id = example.context.get('id', example.context.get('video_id'))
        if not raw_id or not isinstance(raw_id, list):
            raise ValueError(f'no bytes context feature id (it has {sorted(example.context)})')
        vid = raw_id[0].decode('utf-8', 'replace')
        labels = example.context.get('labels', np.zeros(0, np.int64))
        if not isinstance(labels, np.ndarray) or labels.dtype != np.int64:
            raise ValueError('context feature labels is not an int64 list')
        mats = [_frames(example.feature_lists, name, FEATURE_SIZES[name]) for name in features]
        lengths = {name: len(m) for name, m in zip(features, mats)}
        if len(set(lengths.values())) != 1:
            raise ValueError(f'feature lists differ in length {lengths}')
        if len(mats[0]) == 0:
            raise ValueError('no frame')
    except (ProtoDecodeError, ValueError) as exc:
        raise VSummInputError(f'{where} (video {vid}): not a YouTube-8M frame-level '
                              f'record: {exc}') from exc
    return YT8MVideo(vid, labels, dequantize(np.concatenate(mats, axis=1)), where)


def yt8m_files(pattern: str | Path | Iterable[str | Path]) -> list[Path]:
    """Sorted files of a glob pattern (or of several patterns / paths)."""
    patterns = [pattern] if isinstance(pattern, (str, Path)) else list(pattern)
    files = sorted({Path(p) for pat in patterns for p in glob.glob(str(pat))})
    files = [f for f in files if f.is_file()]
    if not files:
        raise VSummInputError(f'no TFRecord file matches {[str(p) for p in patterns]}')
    return files


def iter_yt8m(pattern: str | Path | Iterable[str | Path], features: Sequence[str] = ('rgb',),
              verify: bool = True) -> Iterator[YT8MVideo]:
    """Stream every video of the matching files, one record in memory at a time."""
    for path in yt8m_files(pattern):
        for offset, data in iter_tfrecords(path, verify):
            yield parse_yt8m_record(data, features, f'{path}@{offset}')
