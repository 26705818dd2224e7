"""Exact 0/1 knapsack by dynamic programming over integer capacities.

Tie-breaking follows the DP of DR-DSN's ``knapsack_dp`` (and so the common
reference implementation of the field): an item enters the table only when it
*strictly* improves the value, and the solution is read back from the last item.
Among all optimal subsets this returns the one that avoids later items: comparing
subsets by their indicator vectors read from the last item to the first, the
smallest one wins. DSNet solves the same problem with OR-tools and integer values
``int(1000 * mean score)``; :func:`mmvsumm.keyshot_summary` offers that value
quantisation (``value_scale=1000``) so the optimum is the same.
"""
from __future__ import annotations

import numpy as np

from .errors import VSummInputError

__all__ = ['knapsack']


def knapsack(values: np.ndarray, weights: np.ndarray, capacity: int) -> np.ndarray:
    """Indices of the items of an optimal 0/1 knapsack, ascending.

    Args:
        values: item values, finite.  # (N,)
        weights: item weights, non-negative integers.  # (N,)
        capacity: non-negative integer capacity.
    Returns:
        chosen item indices.  # (k,)
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights)
    if values.ndim != 1 or weights.shape != values.shape:
        raise VSummInputError(f'values {values.shape} and weights {weights.shape} '
                              'must be 1-D of the same length')
    if not np.isfinite(values).all():
        raise VSummInputError('knapsack values contain NaN or infinite values')
    if weights.size and (not np.issubdtype(weights.dtype, np.integer) and
                         not np.array_equal(weights, np.round(weights))):
        raise VSummInputError('knapsack weights must be integers')
    weights = weights.astype(np.int64)
    if (weights < 0).any() or int(capacity) < 0:
        raise VSummInputError('knapsack weights and capacity must be non-negative')
    capacity = int(capacity)
    table = np.zeros(capacity + 1)  # best value for each capacity, items so far
    keep = np.zeros((len(values), capacity + 1), dtype=bool)
    for item, (value, weight) in enumerate(zip(values, weights)):
        if weight > capacity:
            continue
        with_item = table[:capacity + 1 - weight] + value  # capacities weight..capacity
        better = with_item > table[weight:]
        keep[item, weight:] = better
        table[weight:] = np.where(better, with_item, table[weight:])
    chosen, room = [], capacity
    for item in range(len(values) - 1, -1, -1):
        if keep[item, room]:
            chosen.append(item)
            room -= int(weights[item])
    return np.array(chosen[::-1], dtype=np.int64)
