"""Reader of TVSum's per-annotator frame scores (``ydata-tvsum50-anno.tsv[.gz]``).

Each line is ``youtube_id <TAB> category <TAB> s1,s2,...`` with one 1-5 score per
frame; the 20 lines of a video are consecutive and the videos come in the order
of the eccv16 h5's ``video_1 .. video_50``.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import VSummInputError
from .h5 import VideoRecord

__all__ = ['TVSumAnnotation', 'read_tvsum_anno', 'attach_tvsum_scores']


@dataclass(frozen=True)
class TVSumAnnotation:
    """All annotators' scores of one video."""

    youtube_id: str
    category: str
    scores: np.ndarray  # (users, n_frames) in 1..5


def _parse_scores(text: str) -> np.ndarray | None:
    """Comma-separated numbers, or None if one is not a number.  # -> (n_frames,)"""
    raw = np.frombuffer(text.encode('ascii', 'replace'), dtype=np.uint8)
    digits, commas = raw[::2], raw[1::2]
    if len(raw) % 2 and (commas == ord(',')).all() and \
            ((digits >= ord('0')) & (digits <= ord('9'))).all():
        return (digits - ord('0')).astype(np.float64)  # fast path: single-digit scores
    try:
        return np.array(text.split(','), dtype=np.float64)
    except ValueError:
        return None


def read_tvsum_anno(path: str | Path) -> dict[str, TVSumAnnotation]:
    """Annotations keyed ``video_1, video_2, ...`` in file order.

    Raises:
        VSummInputError: malformed line, non-numeric or out-of-range score, or
            annotators of one video with different lengths (names file, line, video).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == '.gz' else open
    rows: dict[str, list[np.ndarray]] = {}
    categories: dict[str, str] = {}
    try:
        with opener(path, 'rt') as handle:
            lines = handle.read().splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise VSummInputError(f'{path}: cannot read TVSum annotations ({exc})') from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split('\t')
        if len(parts) != 3:
            raise VSummInputError(f'{path}: line {number}: expected 3 tab-separated '
                                  f'fields, got {len(parts)}')
        vid, category, text = parts
        scores = _parse_scores(text)
        if scores is None:
            raise VSummInputError(f'{path}: line {number} ({vid}): non-numeric score')
        if not np.isfinite(scores).all() or scores.min() < 1 or scores.max() > 5:
            raise VSummInputError(f'{path}: line {number} ({vid}): scores must be in 1..5')
        rows.setdefault(vid, []).append(scores)
        categories[vid] = category
    if not rows:
        raise VSummInputError(f'{path}: no annotations')
    out = {}
    for index, (vid, scores) in enumerate(rows.items(), start=1):
        lengths = {len(s) for s in scores}
        if len(lengths) != 1:
            raise VSummInputError(f'{path}: {vid} (video_{index}): annotators disagree '
                                  f'on the frame count {sorted(lengths)}')
        out[f'video_{index}'] = TVSumAnnotation(vid, categories[vid], np.stack(scores))
    return out


def attach_tvsum_scores(records: Mapping[str, VideoRecord], anno_path: str | Path) -> None:
    """Set ``record.user_scores`` from the annotations, checking frame counts.

    Raises:
        VSummInputError: a video without annotation, or whose annotation length
            differs from the h5's ``n_frames`` (names both files and the video).
    """
    annos = read_tvsum_anno(anno_path)
    for key, record in records.items():
        if key not in annos:
            raise VSummInputError(f'{anno_path}: no annotation for {record.name} '
                                  f'(the file has {len(annos)} videos)')
        scores = annos[key].scores
        if scores.shape[1] != record.n_frames:
            raise VSummInputError(
                f'{anno_path}: {key} ({annos[key].youtube_id}) has {scores.shape[1]} '
                f'annotated frames but {record.name} has n_frames={record.n_frames}')
        record.user_scores = scores
