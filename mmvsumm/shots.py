"""Shots of a video from its sampled features: KTS change points (penalty weight
``vmax``), mapped to frame ranges, optionally cut to a maximum duration.

One function for ``mmvsumm extract`` (the h5 ``change_points``) and ``mmvsumm
summarize``. KTS's default penalty (``vmax = 1``, the field's setting, as in DSNet)
merges short shots of videos sampled every 15 frames; a smaller ``vmax`` keeps
more change points (docs/vsumm.md shows the effect on the offline videos).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import VSummInputError
from .kts import change_points_to_segments, kts
from .summary import step_segments_to_shots

__all__ = ['video_shots', 'split_by_duration']


def split_by_duration(shots: np.ndarray, times: np.ndarray, max_seconds: float) -> np.ndarray:
    """Cut every shot longer than ``max_seconds`` (by the frames' timestamps) into
    the fewest pieces of equal duration that fit (a piece keeps >= 1 frame).
    # (S, 2), (n_frames + 1,) -> (S', 2)"""
    if not max_seconds > 0 or not math.isfinite(max_seconds):
        raise VSummInputError(f'maximum shot length must be a positive number of seconds, '
                              f'got {max_seconds}')
    pieces = []
    for first, last in np.asarray(shots, dtype=np.int64):
        start, end = times[first], times[last + 1]
        count = max(math.ceil((end - start) / max_seconds - 1e-9), 1)
        cuts = np.searchsorted(times[first:last + 1], start + np.arange(1, count) *
                               (end - start) / count) + first
        bounds = np.unique(np.concatenate([[first], cuts, [last + 1]]))
        pieces += [(b, e - 1) for b, e in zip(bounds[:-1], bounds[1:])]
    return np.array(pieces, dtype=np.int64)


def video_shots(features: np.ndarray, picks: np.ndarray, times: np.ndarray,
                vmax: float = 1.0, max_shot_seconds: float | None = None) -> np.ndarray:
    """Inclusive frame ranges of the shots.  # (T, D), (T,), (n_frames + 1,) -> (S, 2)

    Args:
        features: sampled-frame features.  # (T, D)
        picks: frame index of each sampled step.  # (T,)
        times: each frame's timestamp from the first, then the video's end.
        vmax: KTS penalty weight (> 0; smaller keeps more change points).
        max_shot_seconds: when set, longer shots are cut into equal-duration pieces.
    """
    if not vmax > 0 or not math.isfinite(vmax):
        raise VSummInputError(f'KTS penalty weight vmax must be a positive number, got {vmax}')
    steps = len(features)
    segments = change_points_to_segments(kts(features, vmax=vmax), steps)
    shots = step_segments_to_shots(segments, picks, len(times) - 1)
    return shots if max_shot_seconds is None else split_by_duration(shots, times,
                                                                      max_shot_seconds)
