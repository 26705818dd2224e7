"""Kernel temporal segmentation (KTS; Potapov et al., ECCV 2014), vectorised.

The video ``[0, T)`` is cut into ``m + 1`` contiguous segments minimising the
sum of within-segment kernel scatters (linear kernel: Gram matrix of the
L2-normalised features), for every ``m`` up to ``max_change_points`` by dynamic
programming; ``m`` is then chosen by the standard penalty

    cost(m) / T + vmax * m / (2T) * (log(T / m) + 1).

Each DP step is a vectorised min over the lower triangle of a ``(T, T)`` table
(in row blocks, so the empty half is skipped). Because scatters are
non-negative and the penalty grows with ``m`` (for ``m < T``), the search stops
exactly once the penalty alone exceeds the best penalised cost found so far.
"""
from __future__ import annotations

import numpy as np

from .scores import l2_normalize

__all__ = ['kts', 'kts_penalty', 'segment_scatter', 'change_points_to_segments']

_BLOCK = 128  # rows of the DP table per vectorised block (skips the empty triangle)


def segment_scatter(feats: np.ndarray) -> np.ndarray:
    """Scatter of every segment ``[i, j)`` of the linear kernel on unit features.

    ``S[i, j] = sum_{t in [i,j)} K[t,t] - sum_{s,t in [i,j)} K[s,t] / (j - i)``
    for ``i < j``, ``+inf`` otherwise.  # (T, D) -> (T + 1, T + 1)
    """
    unit = l2_normalize(feats)
    num = unit.shape[0]
    gram = (unit @ unit.T).astype(np.float64)
    diag = np.concatenate([[0.0], np.cumsum(np.diag(gram))])  # (T + 1,)
    block = np.zeros((num + 1, num + 1))
    block[1:, 1:] = gram.cumsum(0).cumsum(1)
    corner = np.diag(block)  # block[j, j]
    inner = corner[None, :] - block - block.T + corner[:, None]  # [i, j]: sum over [i,j)^2
    length = np.arange(num + 1)[None, :] - np.arange(num + 1)[:, None]  # j - i
    with np.errstate(divide='ignore', invalid='ignore'):
        scatter = (diag[None, :] - diag[:, None]) - inner / length
    scatter = np.maximum(scatter, 0.0)  # round-off can make a zero scatter negative
    scatter[length <= 0] = np.inf
    return scatter


def kts_penalty(num_change_points: np.ndarray | int, num_steps: int,
                vmax: float = 1.0) -> np.ndarray:
    """``vmax * m / (2T) * (log(T / m) + 1)``, 0 for ``m = 0``.  # (M,) -> (M,)"""
    m = np.asarray(num_change_points, dtype=np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        pen = vmax * m / (2.0 * num_steps) * (np.log(num_steps / m) + 1.0)
    return np.where(m > 0, pen, 0.0)


def kts(feats: np.ndarray, max_change_points: int | None = None,
        vmax: float = 1.0) -> np.ndarray:
    """Change points of a video by KTS with the automatic (penalised) choice of m.

    Args:
        feats: frame features (L2-normalised here).  # (T, D)
        max_change_points: largest m tried; default ``T - 1`` (as DSNet does).
        vmax: penalty weight; 1 is the kernel's largest value for unit features.
    Returns:
        sorted indices in ``[1, T)`` where a new segment starts.  # (m,)
    Ties between equal penalised costs pick the smaller m; ties inside the DP pick
    the earliest split. ``T = 1`` gives no change point.
    """
    scatter = segment_scatter(feats)
    num = scatter.shape[0] - 1
    limit = num - 1 if max_change_points is None else min(int(max_change_points), num - 1)
    by_end = np.ascontiguousarray(scatter.T)  # by_end[j, i] = S[i, j]: rows are contiguous
    best = scatter[0].copy()  # (T + 1,) cheapest cost of [0, j) with m change points
    best_m, best_total = 0, best[num] / num
    back = []  # back[m - 1][j]: start of the last segment of [0, j) with m change points
    for m in range(1, max(limit, 0) + 1):
        if kts_penalty(m, num, vmax) >= best_total:
            break  # costs are >= 0, so no larger m can win
        new = np.full(num + 1, np.inf)
        ptr = np.zeros(num + 1, dtype=np.int64)
        for lo in range(m, num + 1, _BLOCK):  # ends j in [lo, hi) need starts i < hi - 1
            hi = min(lo + _BLOCK, num + 1)
            cand = best[None, m - 1:hi - 1] + by_end[lo:hi, m - 1:hi - 1]  # (j, i)
            arg = np.argmin(cand, axis=1)  # first minimum: the earliest split
            new[lo:hi] = np.take_along_axis(cand, arg[:, None], axis=1)[:, 0]
            ptr[lo:hi] = arg + m - 1
        back.append(ptr)
        best = new
        total = best[num] / num + kts_penalty(m, num, vmax)
        if total < best_total:
            best_m, best_total = m, total
    cps, end = [], num
    for m in range(best_m, 0, -1):
        end = int(back[m - 1][end])
        cps.append(end)
    return np.array(cps[::-1], dtype=np.int64)


def change_points_to_segments(change_points: np.ndarray, num_steps: int) -> np.ndarray:
    """Segment ranges ``[begin, end]`` (inclusive) from change points.  # (m,) -> (m+1, 2)"""
    bounds = np.concatenate([[0], np.asarray(change_points, dtype=np.int64), [num_steps]])
    return np.stack([bounds[:-1], bounds[1:] - 1], axis=1)
