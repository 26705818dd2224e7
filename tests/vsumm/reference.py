"""Direct, loop-based reference implementations for the mmvsumm tests and benchmark.

Written for obviousness, not speed: each follows the thesis formula term by term.
"""
from __future__ import annotations

import itertools
import math

import numpy as np


def unit_rows(feats: np.ndarray) -> np.ndarray:
    out = np.array(feats, dtype=np.float64)
    for row in out:
        norm = math.sqrt(sum(v * v for v in row))
        if norm > 0:
            row /= norm
    return out


def sq_dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b)))


def local_dissimilarity_ref(feats: np.ndarray, k: int) -> np.ndarray:
    """Eq. 3.4 with an explicit neighbour count ``k`` (self excluded)."""
    x = unit_rows(feats)
    out = []
    for t in range(len(x)):
        others = [(-float(np.dot(x[t], x[s])), s) for s in range(len(x)) if s != t]
        neighbours = [s for _, s in sorted(others)[:k]]
        out.append(sum(sq_dist(x[t], x[s]) for s in neighbours) / k)
    return np.array(out)


def global_consistency_ref(feats: np.ndarray) -> np.ndarray:
    """Eq. 3.5, literally."""
    x = unit_rows(feats)
    num = len(x)
    return np.array([math.log(sum(math.exp(-2 * sq_dist(x[t], x[s]))
                                  for s in range(num) if s != t) / (num - 1))
                     for t in range(num)])


def scatter_ref(gram: np.ndarray, start: int, end: int) -> float:
    """Within-segment scatter of ``[start, end)`` from the kernel, by loops."""
    length = end - start
    diag = sum(gram[t, t] for t in range(start, end))
    block = sum(gram[s, t] for s in range(start, end) for t in range(start, end))
    return diag - block / length


def kts_plain(feats: np.ndarray, max_change_points: int | None = None,
              vmax: float = 1.0) -> np.ndarray:
    """Straightforward KTS: scatter table and DP with Python loops, same penalty and
    the same exact early stop as the library version."""
    x = unit_rows(feats)
    num = len(x)
    gram = x @ x.T
    # row_cum[t][s] = sum of gram[t, :s]; scatter[i][j] by running sums over j
    row_cum = [[0.0] * (num + 1) for _ in range(num)]
    for t in range(num):
        for s in range(num):
            row_cum[t][s + 1] = row_cum[t][s] + gram[t, s]
    scatter = [[math.inf] * (num + 1) for _ in range(num + 1)]
    for i in range(num):
        diag = block = 0.0
        for j in range(i + 1, num + 1):
            t = j - 1
            diag += gram[t, t]
            block += 2 * (row_cum[t][t] - row_cum[t][i]) + gram[t, t]
            scatter[i][j] = max(diag - block / (j - i), 0.0)
    limit = num - 1 if max_change_points is None else min(max_change_points, num - 1)

    def penalty(m: int) -> float:
        return 0.0 if m == 0 else vmax * m / (2 * num) * (math.log(num / m) + 1)

    best = [scatter[0][j] for j in range(num + 1)]
    back, best_m, best_total = [], 0, best[num] / num
    for m in range(1, max(limit, 0) + 1):
        if penalty(m) >= best_total:
            break
        new, ptr = [math.inf] * (num + 1), [0] * (num + 1)
        for j in range(m + 1, num + 1):
            for i in range(m, j):
                value = best[i] + scatter[i][j]
                if value < new[j]:
                    new[j], ptr[j] = value, i
        back.append(ptr)
        best = new
        total = best[num] / num + penalty(m)
        if total < best_total:
            best_m, best_total = m, total
    cps, end = [], num
    for m in range(best_m, 0, -1):
        end = back[m - 1][end]
        cps.append(end)
    return np.array(cps[::-1], dtype=np.int64)


def knapsack_brute(values, weights, capacity: int) -> list[int]:
    """Best subset by enumeration; ties go to the subset that avoids later items
    (smallest indicator vector read from the last item)."""
    best, best_code, best_set = -math.inf, None, []
    for size in range(len(values) + 1):
        for subset in itertools.combinations(range(len(values)), size):
            if sum(weights[i] for i in subset) > capacity:
                continue
            value = sum(values[i] for i in subset)
            code = sum(1 << i for i in subset)
            if value > best or (value == best and code < best_code):
                best, best_code, best_set = value, code, list(subset)
    return best_set
