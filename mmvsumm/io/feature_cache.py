"""On-disk cache of one video's sampled features (``.npz``), checked when read."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import VSummWarning
from .outputs import atomic_path

__all__ = ['read_feature_cache', 'write_feature_cache']


def write_feature_cache(path: Path, features: np.ndarray, picks: np.ndarray, n_frames: int,
                        fps: float, partial: str = '') -> None:
    """Store one video's features (n_steps, D), picks (n_steps,), frame count, rate and
    the partial-decoding message ('' for a complete video), atomically."""
    with atomic_path(path) as tmp:
        np.savez(tmp, features=features, picks=picks, n_frames=n_frames, fps=fps,
                 partial=partial)


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
                         n_frames=int(data['n_frames']), fps=float(data['fps']),
                         partial=str(data['partial']))
        feats, picks = items['features'], items['picks']
        if feats.ndim != 2 or len(feats) == 0 or picks.shape != (len(feats),):
            raise ValueError(f'features {feats.shape} and picks {picks.shape} do not match')
        if not np.isfinite(feats).all() or (np.diff(picks) <= 0).any() or picks[0] < 0 \
                or picks[-1] >= items['n_frames'] or not items['fps'] > 0:
            raise ValueError('non-finite features, or picks, frame count or rate inconsistent')
    except Exception as exc:  # numpy raises many types for damaged files
        warnings.warn(f'{path}: corrupt feature cache ({type(exc).__name__}: {exc}); '
                      'rebuilding it', VSummWarning, stacklevel=2)
        return None
    return items
