"""On-disk cache of one video's sampled features (``.npz``), checked when read."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from mmcontrast.fileio import atomic_path

from ..errors import VSummWarning

__all__ = ['read_feature_cache', 'write_feature_cache']


def write_feature_cache(path: Path, features: np.ndarray, picks: np.ndarray,
                        times: np.ndarray, fps: float, partial: str = '') -> None:
    """Store one video's features (n_steps, D), picks (n_steps,), frame times
    (n_frames + 1,: each frame's timestamp, then the end), average rate and the
    partial-decoding message ('' for a complete video), atomically."""
    with atomic_path(path) as tmp:
        np.savez(tmp, features=features, picks=picks, times=times, fps=fps, partial=partial)


def read_feature_cache(path: Path) -> dict | None:
    """The cached items, or None when there is no cache file.

    A file that cannot be read or fails the checks (shapes, finite values, picks
    increasing inside the frame count) is reported with a warning naming it and
    treated as absent, so the caller rebuilds it.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            items = dict(features=data['features'], picks=data['picks'].astype(np.int64),
                         times=data['times'].astype(np.float64), fps=float(data['fps']),
                         partial=str(data['partial']))
        items['n_frames'] = len(items['times']) - 1
        feats, picks = items['features'], items['picks']
        if feats.ndim != 2 or len(feats) == 0 or picks.shape != (len(feats),):
            raise ValueError(f'features {feats.shape} and picks {picks.shape} do not match')
        times = items['times']
        if not np.isfinite(feats).all() or (np.diff(picks) <= 0).any() or picks[0] < 0 \
                or picks[-1] >= items['n_frames'] or not items['fps'] > 0 \
                or times.ndim != 1 or not np.isfinite(times).all():
            raise ValueError('non-finite features, or picks, frame times or rate inconsistent')
    except Exception as exc:  # numpy raises many types for damaged files
        warnings.warn(f'{path}: corrupt feature cache ({type(exc).__name__}: {exc}); '
                      'rebuilding it', VSummWarning, stacklevel=2)
        return None
    return items
