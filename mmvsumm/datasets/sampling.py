"""Resampling of training videos to a fixed number of steps (thesis §3.5.4), with draws
that a resumed run repeats exactly.

A dataset mixing in :class:`EpochResampling` draws item ``idx``'s subset of epoch ``e``
from a generator seeded with ``(seed, e, idx)``; :class:`mmvsumm.hooks.EpochSeedHook`
(in every mmvsumm config) sets ``(seed, e)`` before each epoch, so a run resumed at
epoch ``e`` draws what an uninterrupted run draws, whatever the workers.
"""
from __future__ import annotations

import numpy as np

from ..refine import resample_indices

__all__ = ['EpochResampling', 'resample_features']


def resample_features(feats: np.ndarray, frames: int,
                      rng: np.random.Generator) -> np.ndarray:
    """A random sorted subset of ``frames`` steps of a longer video, nearest-neighbour
    upsampling of a shorter one.  # (T, D) -> (frames, D)"""
    return feats[resample_indices(len(feats), frames, rng)]


class EpochResampling:
    """The generator of each item's resampling: seeded by ``(seed, epoch, idx)`` once
    :meth:`set_epoch` was called; before that (a config without the hook) by numpy's
    global state, which MMEngine seeds per worker (not repeatable on resume)."""

    resample_state: tuple[int, int] | None = None

    def set_epoch(self, epoch: int, seed: int = 0) -> None:
        """Draw the resampling of epoch ``epoch`` of a run seeded with ``seed``."""
        self.resample_state = (int(seed), int(epoch))

    def resample_rng(self, idx: int) -> np.random.Generator:
        if self.resample_state is None:
            return np.random.default_rng(np.random.randint(2**31))
        return np.random.default_rng([*self.resample_state, int(idx)])
