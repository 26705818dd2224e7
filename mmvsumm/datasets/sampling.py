"""Resampling of training videos to a fixed number of steps (thesis §3.5.4)."""
from __future__ import annotations

import numpy as np

from ..refine import resample_indices


def resample_features(feats: np.ndarray, frames: int) -> np.ndarray:
    """A random sorted subset of ``frames`` steps of a longer video, nearest-neighbour
    upsampling of a shorter one; the generator is seeded from numpy's global state,
    which MMEngine seeds per worker.  # (T, D) -> (frames, D)"""
    rng = np.random.default_rng(np.random.randint(2**31))
    return feats[resample_indices(len(feats), frames, rng)]
