"""Reader of the eccv16 h5 files (``eccv16_dataset_{tvsum,summe,ovp,youtube}_google_pool5.h5``).

Each ``video_i`` group holds ``features`` (n_steps, D), ``gtscore`` (n_steps),
``gtsummary`` (n_steps), ``user_summary`` (users, n_frames), ``change_points``
(S, 2, inclusive frame ranges), ``n_frame_per_seg`` (S), ``n_frames``, ``picks``
(n_steps), ``n_steps`` and, for SumMe only, ``video_name``. Every key and shape is
validated; an error names the file, the video and the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import VSummInputError

__all__ = ['VideoRecord', 'read_eccv16', 'video_keys', 'REQUIRED_KEYS']

REQUIRED_KEYS = ('features', 'gtscore', 'user_summary', 'change_points',
                 'n_frame_per_seg', 'n_frames', 'picks')


@dataclass
class VideoRecord:
    """One video of an eccv16 h5 file (arrays validated, see :func:`read_eccv16`)."""

    source: str  # h5 file name (stem), e.g. eccv16_dataset_tvsum_google_pool5
    key: str  # e.g. video_3
    features: np.ndarray  # (n_steps, D) float32
    picks: np.ndarray  # (n_steps,) int
    n_frames: int
    change_points: np.ndarray  # (S, 2) inclusive frame ranges
    user_summary: np.ndarray  # (U, n_frames) binary
    gtscore: np.ndarray  # (n_steps,)
    video_name: str | None = None
    user_scores: np.ndarray | None = field(default=None, repr=False)  # (U, n_frames), TVSum

    @property
    def name(self) -> str:
        """``<h5 stem>/<key>``, the key used by the split files."""
        return f'{self.source}/{self.key}'


def video_keys(names: Iterable[str]) -> list[str]:
    """``video_i`` keys in numeric order (video_2 before video_10)."""
    def number(key: str) -> tuple[int, str]:
        match = re.fullmatch(r'video_(\d+)', key)
        return (int(match.group(1)) if match else 1 << 30, key)
    return sorted(names, key=number)


class _Group:
    """Reads and checks the datasets of one video group."""

    def __init__(self, path: Path, key: str, group) -> None:
        self.where = f'{path}: {key}'
        self.group = group

    def fail(self, item: str, reason: str) -> VSummInputError:
        return VSummInputError(f'{self.where}/{item}: {reason}')

    def raw(self, item: str) -> np.ndarray:
        if item not in self.group:
            raise self.fail(item, f'missing (the group has {sorted(self.group.keys())})')
        try:
            return np.asarray(self.group[item][()])
        except Exception as exc:  # h5py raises several types for broken datasets
            raise self.fail(item, f'cannot be read ({exc})') from exc

    def array(self, item: str, ndim: int, dtype=np.float64) -> np.ndarray:
        data = self.raw(item)
        if data.ndim != ndim:
            raise self.fail(item, f'expected {ndim}-D, got shape {data.shape}')
        if not (np.issubdtype(data.dtype, np.number) or data.dtype == bool):
            raise self.fail(item, f'expected numbers, got dtype {data.dtype}')
        data = data.astype(dtype)
        if not np.isfinite(data).all():
            raise self.fail(item, 'contains NaN or infinite values')
        return data

    def scalar_int(self, item: str) -> int:
        value = np.ravel(self.raw(item))
        if value.size != 1 or not np.issubdtype(value.dtype, np.number) or \
                value[0] != int(value[0]) or value[0] < 1:
            raise self.fail(item, f'expected one positive integer, got {value}')
        return int(value[0])


def _read_video(path: Path, key: str, group) -> VideoRecord:
    g = _Group(path, key, group)
    feats = g.array('features', 2, np.float32)
    steps = len(feats)
    if steps == 0:
        raise g.fail('features', 'has no rows')
    n_frames = g.scalar_int('n_frames')
    picks = g.array('picks', 1, np.int64)
    if len(picks) != steps:
        raise g.fail('picks', f'length {len(picks)} != features rows {steps}')
    if (np.diff(picks) <= 0).any() or picks[0] < 0 or picks[-1] >= n_frames:
        raise g.fail('picks', f'must increase strictly within [0, n_frames={n_frames})')
    if 'n_steps' in group and g.scalar_int('n_steps') != steps:
        raise g.fail('n_steps', f'does not match the features rows ({steps})')
    gtscore = g.array('gtscore', 1)
    if len(gtscore) != steps:
        raise g.fail('gtscore', f'length {len(gtscore)} != n_steps {steps}')
    users = g.array('user_summary', 2)
    if users.shape[1] != n_frames or users.shape[0] == 0:
        raise g.fail('user_summary', f'shape {users.shape} != (users, n_frames={n_frames})')
    cps = g.array('change_points', 2, np.int64)
    if cps.shape[1] != 2 or len(cps) == 0:
        raise g.fail('change_points', f'expected shape (S, 2), got {cps.shape}')
    if (cps[:, 0] > cps[:, 1]).any() or cps.min() < 0 or cps.max() >= n_frames:
        raise g.fail('change_points', f'ranges must be ordered inside [0, {n_frames})')
    nfps = g.array('n_frame_per_seg', 1, np.int64)
    if not np.array_equal(nfps, cps[:, 1] - cps[:, 0] + 1):
        raise g.fail('n_frame_per_seg', 'does not match the change_points lengths')
    name = None
    if 'video_name' in group:
        raw = group['video_name'][()]
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
    return VideoRecord(source=path.name.removesuffix('.h5'), key=key, features=feats,
                       picks=picks, n_frames=n_frames, change_points=cps,
                       user_summary=users, gtscore=gtscore, video_name=name)


def read_eccv16(path: str | Path, keys: Iterable[str] | None = None) -> dict[str, VideoRecord]:
    """Read (all or the given) videos of an eccv16 h5 file, in ``video_i`` order.

    Raises:
        VSummInputError: unreadable file or group, missing key, wrong shape or
            length, naming ``<file>: <video>/<key>``.
    """
    import h5py
    path = Path(path)
    try:
        handle = h5py.File(path, 'r')
    except Exception as exc:
        raise VSummInputError(f'{path}: cannot open as an h5 file ({exc})') from exc
    with handle:
        available = video_keys(handle.keys())
        wanted = available if keys is None else list(keys)
        records = {}
        for key in wanted:
            if key not in available:
                raise VSummInputError(f'{path}: {key}: no such video group')
            try:
                group = handle[key]
                _ = list(group.keys())
            except Exception as exc:
                raise VSummInputError(f'{path}: {key}: cannot read group ({exc})') from exc
            records[key] = _read_video(path, key, group)
    return records
