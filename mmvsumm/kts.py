"""Kernel temporal segmentation (KTS; Potapov et al., ECCV 2014), vectorised.

The video ``[0, T)`` is cut into ``m + 1`` contiguous segments minimising the
sum of within-segment kernel scatters (linear kernel: Gram matrix of the
L2-normalised features), for every ``m`` up to ``max_change_points`` by dynamic
programming; ``m`` is then chosen by the standard penalty

    cost(m) / T + vmax * m / (2T) * (log(T / m) + 1).

Each DP step is one vectorised min over a ``(T, T)`` table; only the costs are
kept, and the argmins are recomputed for the winning m alone. Because scatters are
non-negative and the penalty grows with ``m`` (for ``m < T``), the search stops
exactly once the penalty alone exceeds the best penalised cost found so far.
"""
from __future__ import annotations

import numpy as np

from .scores import l2_normalize

__all__ = ['kts', 'kts_penalty', 'segment_scatter', 'change_points_to_segments']


def segment_scatter(feats: np.ndarray) -> np.ndarray:
    """Scatter of every segment ``[i, j)`` of the linear kernel on unit features.

    ``S[i, j] = sum_{t in [i,j)} K[t,t] - sum_{s,t in [i,j)} K[s,t] / (j - i)``
    for ``i < j``, ``+inf`` otherwise.  # (T, D) -> (T + 1, T + 1)
    """
    unit = l2_normalize(feats)
    num = unit.shape[0]
    block = np.zeros((num + 1, num + 1))  # block[i, j] = sum of K[:i, :j]
    block[1:, 1:] = unit @ unit.T
    diag = np.concatenate([[0.0], np.cumsum(np.diag(block)[1:])])  # (T + 1,)
    block.cumsum(0, out=block)
    block.cumsum(1, out=block)
    corner = np.diag(block).copy()  # block[j, j]
    scatter = block + block.T  # in place from here on: [i, j] -> sum of K over [i,j)^2
    np.subtract(corner[None, :], scatter, out=scatter)
    scatter += corner[:, None]
    length = np.arange(num + 1)[None, :] - np.arange(num + 1)[:, None]  # j - i
    with np.errstate(divide='ignore', invalid='ignore'):
        scatter /= length
    np.subtract(diag[None, :] - diag[:, None], scatter, out=scatter)
    np.maximum(scatter, 0.0, out=scatter)  # round-off can make a zero scatter negative
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
    costs = [scatter[0]]  # costs[m][j]: cheapest cost of [0, j) with m change points
    best_m, best_total = 0, costs[0][num] / num
    for m in range(1, max(limit, 0) + 1):
        if kts_penalty(m, num, vmax) >= best_total:
            break  # costs are >= 0, so no larger m can win
        row = np.full(num + 1, np.inf)
        # last segment [i, j) after m - 1 change points in [0, i), for every end j >= m
        row[m:] = (costs[m - 1][None, m - 1:num] + by_end[m:, m - 1:num]).min(axis=1)
        costs.append(row)
        total = row[num] / num + kts_penalty(m, num, vmax)
        if total < best_total:
            best_m, best_total = m, total
    cps, end = [], num
    for m in range(best_m, 0, -1):  # redo the winning argmins only (earliest split on ties)
        end = m - 1 + int(np.argmin(costs[m - 1][m - 1:end] + scatter[m - 1:end, end]))
        cps.append(end)
    return np.array(cps[::-1], dtype=np.int64)


def change_points_to_segments(change_points: np.ndarray, num_steps: int) -> np.ndarray:
    """Segment ranges ``[begin, end]`` (inclusive) from change points.  # (m,) -> (m+1, 2)"""
    bounds = np.concatenate([[0], np.asarray(change_points, dtype=np.int64), [num_steps]])
    return np.stack([bounds[:-1], bounds[1:] - 1], axis=1)
