"""From sampled importance scores to a key-shot summary (the field's protocol)."""
from __future__ import annotations

import numpy as np

from .errors import VSummInputError
from .knapsack import knapsack

__all__ = ['frame_scores', 'shot_scores', 'keyshot_summary', 'summary_from_shots',
           'step_segments_to_shots', 'split_long_shots']


def frame_scores(scores: np.ndarray, picks: np.ndarray, num_frames: int) -> np.ndarray:
    """Hold each sampled score until the next pick.  # (n_steps,) -> (n_frames,)

    Frames before the first pick take the first score.
    """
    scores = np.asarray(scores, dtype=np.float64)
    picks = np.asarray(picks, dtype=np.int64)
    if scores.ndim != 1 or picks.shape != scores.shape or scores.size == 0:
        raise VSummInputError(f'scores {scores.shape} and picks {picks.shape} must be '
                              '1-D, non-empty and of the same length')
    if (np.diff(picks) <= 0).any() or picks[0] < 0 or picks[-1] >= num_frames:
        raise VSummInputError(f'picks must increase strictly within [0, {num_frames})')
    step = np.searchsorted(picks, np.arange(num_frames), side='right') - 1
    return scores[np.maximum(step, 0)]


def _check_shots(shots: np.ndarray, num_frames: int) -> np.ndarray:
    shots = np.asarray(shots, dtype=np.int64)
    if shots.ndim != 2 or shots.shape[1] != 2 or len(shots) == 0:
        raise VSummInputError(f'shots must have shape (S >= 1, 2), got {shots.shape}')
    if (shots[:, 0] > shots[:, 1]).any() or shots.min() < 0 or shots.max() >= num_frames:
        raise VSummInputError(f'shots must be inclusive ranges inside [0, {num_frames})')
    return shots


def shot_scores(per_frame: np.ndarray, shots: np.ndarray, reduce: str = 'mean') -> np.ndarray:
    """Score of each shot: mean (the field's default) or sum of its frame scores.

    Args:
        per_frame: frame scores.  # (n_frames,)
        shots: inclusive frame ranges.  # (S, 2)
        reduce: ``'mean'`` or ``'sum'`` (Otani et al.'s recommendation).
    Returns:
        shot scores.  # (S,)
    """
    shots = _check_shots(shots, len(per_frame))
    cums = np.concatenate([[0.0], np.cumsum(per_frame)])
    sums = cums[shots[:, 1] + 1] - cums[shots[:, 0]]
    if reduce == 'sum':
        return sums
    if reduce == 'mean':
        return sums / (shots[:, 1] - shots[:, 0] + 1)
    raise VSummInputError(f"shot score reduction must be 'mean' or 'sum', got {reduce!r}")


def summary_from_shots(shots: np.ndarray, chosen: np.ndarray, num_frames: int) -> np.ndarray:
    """Binary frame mask of the chosen shots.  # (S, 2), (k,) -> (n_frames,) bool"""
    mask = np.zeros(num_frames, dtype=bool)
    for first, last in np.asarray(shots)[np.asarray(chosen, dtype=np.int64)]:
        mask[first:last + 1] = True
    return mask


def keyshot_summary(scores: np.ndarray, shots: np.ndarray, num_frames: int,
                    picks: np.ndarray, proportion: float = 0.15, reduce: str = 'mean',
                    value_scale: float | None = None,
                    capacity: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Key shots chosen by 0/1 knapsack under a length budget.

    Args:
        scores: importance at the sampled frames.  # (n_steps,)
        shots: inclusive frame ranges, e.g. the h5 ``change_points``.  # (S, 2)
        num_frames: frames in the video.
        picks: frame index of each sampled score.  # (n_steps,)
        proportion: budget as a fraction of the frames; capacity ``int(n * p)``.
        reduce: shot score, ``'mean'`` or ``'sum'``.
        value_scale: DSNet's integer values ``int(scale * shot score)`` when set
            (DSNet uses 1000); exact float values when None (DR-DSN).
        capacity: frames allowed, instead of ``int(n * proportion)``.
    Returns:
        (summary mask, chosen shot indices).  # (n_frames,) bool, (k,)
    Shot lengths (knapsack weights) are ``last - first + 1``, which equals the h5's
    ``n_frame_per_seg``.
    """
    if not 0.0 < proportion <= 1.0:
        raise VSummInputError(f'summary proportion must be in (0, 1], got {proportion}')
    shots = _check_shots(shots, num_frames)
    values = shot_scores(frame_scores(scores, picks, num_frames), shots, reduce)
    if value_scale is not None:
        values = np.trunc(values * value_scale)
    lengths = shots[:, 1] - shots[:, 0] + 1
    chosen = knapsack(values, lengths,
                      int(num_frames * proportion) if capacity is None else capacity)
    return summary_from_shots(shots, chosen, num_frames), chosen


def step_segments_to_shots(segments: np.ndarray, picks: np.ndarray,
                           num_frames: int) -> np.ndarray:
    """Frame ranges of segments of sampled steps (e.g. from KTS).  # (S, 2) -> (S, 2)

    A segment starting at step ``b`` starts at frame ``picks[b]`` (the first at 0)
    and ends just before the next one (the last at ``num_frames - 1``).
    """
    starts = np.asarray(picks, dtype=np.int64)[np.asarray(segments)[:, 0]]
    starts[0] = 0
    ends = np.append(starts[1:] - 1, num_frames - 1)
    return np.stack([starts, ends], axis=1)


def split_long_shots(shots: np.ndarray, max_len: int) -> np.ndarray:
    """Cut every shot longer than ``max_len`` frames into equal consecutive pieces
    of at most ``max_len`` frames.  # (S, 2) -> (S', 2)"""
    if max_len < 1:
        raise VSummInputError(f'maximum shot length must be >= 1, got {max_len}')
    pieces = []
    for first, last in np.asarray(shots, dtype=np.int64):
        count = -(-(last - first + 1) // max_len)
        bounds = np.linspace(first, last + 1, count + 1).round().astype(np.int64)
        pieces += [(b, e - 1) for b, e in zip(bounds[:-1], bounds[1:])]
    return np.array(pieces, dtype=np.int64)
