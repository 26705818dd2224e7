"""Turn a per-frame score curve into temporal segments (thesis section 4.3.4, table 4.5).

Every decoder works on a 1-D curve of length T (one score per sampled frame) and
returns ``(segments, scores)``: ``segments`` is an int array of shape (N, 2) holding
half-open frame intervals ``[start, end)`` sorted by descending ``scores`` (N,).
Seconds are ``segments / fps``.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor, Sequence[float]]


def _as_curve(curve: ArrayLike) -> np.ndarray:
    """Validate a score curve and return it as float64 of shape (T,)."""
    if isinstance(curve, torch.Tensor):
        curve = curve.detach().float().cpu().numpy()
    arr = np.asarray(curve, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f'a score curve must be 1-D, got shape {arr.shape}')
    if arr.size == 0:
        raise ValueError('a score curve needs at least one frame, got 0')
    if not np.all(np.isfinite(arr)):
        raise ValueError('the score curve contains NaN or infinite values')
    return arr


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, 2), dtype=np.int64), np.zeros((0,), dtype=np.float64)


def minmax_scale(curve: ArrayLike) -> np.ndarray:
    """Scale a curve to [0, 1]; a flat curve maps to all ones (no frame is preferred)."""
    arr = _as_curve(curve)
    span = arr.max() - arr.min()
    if span <= 1e-12:
        return np.ones_like(arr)
    return (arr - arr.min()) / span


def temporal_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between half-open intervals: a (N, 2), b (K, 2) -> (N, K)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    inter = np.clip(np.minimum(a[:, None, 1], b[None, :, 1]) -
                    np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    union = (a[:, None, 1] - a[:, None, 0]) + (b[None, :, 1] - b[None, :, 0]) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def temporal_nms(segments: np.ndarray, scores: np.ndarray,
                 iou_threshold: float = 0.5,
                 max_segments: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy non-maximum suppression of segments (N, 2) with scores (N,).

    A segment is dropped when its IoU with an already kept, higher-scoring one is
    strictly above ``iou_threshold``. Returns the kept segments sorted by score.
    """
    segments = np.asarray(segments).reshape(-1, 2)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(segments) != len(scores):
        raise ValueError(f'{len(segments)} segments but {len(scores)} scores')
    order = np.argsort(-scores, kind='stable')
    keep: list[int] = []
    for idx in order:
        if keep and temporal_iou(segments[idx], segments[keep]).max() > iou_threshold:
            continue
        keep.append(int(idx))
        if max_segments is not None and len(keep) >= max_segments:
            break
    return segments[keep].astype(np.int64), scores[keep]


def _runs_above(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in a boolean (T,) array as half-open (start, end)."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2])]


def threshold_decode(curve: ArrayLike, threshold: float | Sequence[float] = 0.5,
                     nms_iou: float = 0.5,
                     max_segments: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Default S2L decoder: min-max scale, keep frames >= threshold, group runs, NMS.

    Several thresholds give nested proposals that NMS then resolves. A segment's
    score is the mean scaled score of its frames. A flat curve gives one segment
    spanning the whole video.
    """
    scaled = minmax_scale(curve)
    thresholds = [threshold] if np.isscalar(threshold) else list(threshold)
    if not thresholds or any(not 0.0 <= t <= 1.0 for t in thresholds):
        raise ValueError(f'thresholds must lie in [0, 1], got {thresholds}')
    runs = {run for t in thresholds for run in _runs_above(scaled >= t)}
    if not runs:
        return _empty()
    segs = np.array(sorted(runs), dtype=np.int64)
    scores = np.array([scaled[s:e].mean() for s, e in segs])
    return temporal_nms(segs, scores, nms_iou, max_segments)


def gaussian_smooth(curve: ArrayLike, sigma: float) -> np.ndarray:
    """Gaussian smoothing with edge replication; kernel radius ceil(3 sigma).

    Works for curves shorter than the kernel (edge values are repeated).
    ``sigma == 0`` returns the curve unchanged.
    """
    arr = _as_curve(curve)
    if sigma < 0:
        raise ValueError(f'sigma must be >= 0, got {sigma}')
    if sigma == 0:
        return arr.copy()
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(arr, radius, mode='edge')
    return np.convolve(padded, kernel, mode='valid')


def _plateau_runs(arr: np.ndarray) -> list[tuple[int, int]]:
    """Runs of (numerically) equal consecutive values as half-open (start, end)."""
    change = np.flatnonzero(np.abs(np.diff(arr)) > 1e-12) + 1
    bounds = np.concatenate([[0], change, [len(arr)]])
    return [(int(s), int(e)) for s, e in zip(bounds[:-1], bounds[1:])]


def local_maxima(arr: np.ndarray) -> list[tuple[int, int]]:
    """Plateaus (half-open runs) strictly higher than both neighbours (edges count as -inf)."""
    runs = _plateau_runs(arr)
    peaks = []
    for s, e in runs:
        left_lower = s == 0 or arr[s - 1] < arr[s]
        right_lower = e == len(arr) or arr[e] < arr[s]
        if left_lower and right_lower:
            peaks.append((s, e))
    return peaks


def _descend(values: list[float], run: int, step: int) -> int:
    """From plateau ``run`` walk in direction ``step`` while plateau values strictly fall."""
    while 0 <= run + step < len(values) and values[run + step] < values[run]:
        run += step
    return run


def critical_point_decode(curve: ArrayLike, sigma: float = 1.0,
                          nms_iou: float | None = None,
                          max_segments: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Critical-point decoder: smooth, take every local maximum, extend to nearest minima.

    Plateaus of equal values count as one point. Each maximum spans from the frame
    of the nearest minimum on its left to that on its right (the minimum frames
    closest to the peak), as ``[left, right + 1)``; its score is the peak height after
    min-max scaling of the smoothed curve. ``nms_iou`` (off by default) optionally
    suppresses overlapping segments.
    """
    smooth = gaussian_smooth(curve, sigma)
    scaled = minmax_scale(smooth)
    runs = _plateau_runs(smooth)
    values = [smooth[s] for s, _ in runs]
    peaks = set(local_maxima(smooth))
    segs, scores = [], []
    for r, (s, e) in enumerate(runs):
        if (s, e) not in peaks:
            continue
        lr, rr = _descend(values, r, -1), _descend(values, r, +1)
        left = s if lr == r else runs[lr][1] - 1
        right = e - 1 if rr == r else runs[rr][0]
        segs.append((left, right + 1))
        scores.append(scaled[s])
    segs_arr = np.array(segs, dtype=np.int64).reshape(-1, 2)
    scores_arr = np.array(scores, dtype=np.float64)
    if nms_iou is None:
        order = np.argsort(-scores_arr, kind='stable')[:max_segments]
        return segs_arr[order], scores_arr[order]
    return temporal_nms(segs_arr, scores_arr, nms_iou, max_segments)


def loc_head_decode(curve: ArrayLike, offsets: ArrayLike, foreground: ArrayLike,
                    sigma: float = 1.0, nms_iou: float = 0.5,
                    max_segments: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Localization-head decoder: frames picked by critical points, spans regressed.

    ``offsets`` (T, 2) are the head's distances (in frames) from a frame to the
    segment start and end; ``foreground`` (T,) its foreground probabilities. Each
    local maximum t of the smoothed curve gives ``[t - d_s, t + d_e + 1)`` clipped
    to the video, scored by ``foreground[t]``.
    """
    arr = _as_curve(curve)
    offs = np.asarray(offsets.detach().cpu() if isinstance(offsets, torch.Tensor) else offsets,
                      dtype=np.float64)
    fg = _as_curve(foreground)
    if offs.shape != (len(arr), 2) or fg.shape != arr.shape:
        raise ValueError(f'offsets must be ({len(arr)}, 2) and foreground ({len(arr)},), '
                         f'got {offs.shape} and {fg.shape}')
    smooth = gaussian_smooth(arr, sigma)
    centres = [(s + e - 1) // 2 for s, e in local_maxima(smooth)]
    segs = np.array([(max(0, int(np.floor(t - offs[t, 0]))),
                      min(len(arr), int(np.ceil(t + offs[t, 1])) + 1)) for t in centres],
                    dtype=np.int64).reshape(-1, 2)
    return temporal_nms(segs, fg[centres], nms_iou, max_segments)

