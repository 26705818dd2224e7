"""KTS against a loop implementation; knapsack against brute force."""
import numpy as np
import pytest

from mmvsumm import VSummInputError, change_points_to_segments, knapsack, kts, segment_scatter
from mmvsumm.kts import kts_penalty

from .reference import kts_plain, knapsack_brute, scatter_ref, unit_rows


def piecewise_features(rng, num, dim, cuts, noise):
    labels = np.searchsorted(np.asarray(cuts), np.arange(num), side='right')
    base = rng.normal(size=(len(cuts) + 1, dim))
    return base[labels] + noise * rng.normal(size=(num, dim))


def test_segment_scatter_matches_loops():
    feats = np.random.default_rng(0).normal(size=(12, 5))
    gram = unit_rows(feats) @ unit_rows(feats).T
    table = segment_scatter(feats)
    for i in range(12):
        for j in range(13):
            if i < j:
                assert table[i, j] == pytest.approx(scatter_ref(gram, i, j), abs=1e-9)
            else:
                assert table[i, j] == np.inf


@pytest.mark.parametrize('seed', range(6))
def test_kts_matches_plain_implementation(seed):
    rng = np.random.default_rng(seed)
    num = int(rng.integers(8, 45))
    cuts = np.sort(rng.choice(np.arange(1, num), size=min(3, num - 1), replace=False))
    feats = piecewise_features(rng, num, 16, cuts, noise=float(rng.uniform(0.2, 1.5)))
    np.testing.assert_array_equal(kts(feats), kts_plain(feats))
    np.testing.assert_array_equal(kts(feats, max_change_points=2),
                                  kts_plain(feats, max_change_points=2))


def test_kts_recovers_clear_segments():
    rng = np.random.default_rng(7)
    cuts = [20, 45, 60, 90]
    feats = piecewise_features(rng, 120, 64, cuts, noise=0.3)
    assert kts(feats).tolist() == cuts


def test_kts_degenerate_inputs():
    assert kts(np.ones((1, 4))).size == 0
    assert kts(np.ones((30, 4))).size == 0  # constant features: nothing to cut
    assert change_points_to_segments(np.array([3, 7]), 10).tolist() == [[0, 2], [3, 6], [7, 9]]


def test_kts_penalty_formula():
    m = np.array([0, 1, 5])
    expected = [0.0, 1 / 200 * (np.log(100) + 1), 5 / 200 * (np.log(20) + 1)]
    np.testing.assert_allclose(kts_penalty(m, 100, vmax=1.0), expected)


@pytest.mark.parametrize('seed', range(40))
def test_knapsack_matches_brute_force_including_ties(seed):
    rng = np.random.default_rng(seed)
    num = int(rng.integers(1, 11))
    values = rng.integers(0, 6, size=num).astype(float)  # small integers: many ties
    weights = rng.integers(0, 9, size=num)
    capacity = int(rng.integers(0, 25))
    chosen = knapsack(values, weights, capacity)
    assert chosen.tolist() == knapsack_brute(values.tolist(), weights.tolist(), capacity)


def test_knapsack_float_values_optimal():
    rng = np.random.default_rng(99)
    for _ in range(20):
        values, weights = rng.random(9), rng.integers(1, 20, size=9)
        chosen = knapsack(values, weights, 40)
        best = knapsack_brute(values.tolist(), weights.tolist(), 40)
        assert values[chosen].sum() == pytest.approx(values[best].sum())
        assert weights[chosen].sum() <= 40


@pytest.mark.parametrize('values,weights,capacity', [
    ([1.0, np.nan], [1, 1], 3), ([1.0], [1.5], 3), ([1.0], [-1], 3), ([1.0, 2.0], [1], 3),
    ([1.0], [1], -1)])
def test_knapsack_bad_input(values, weights, capacity):
    with pytest.raises(VSummInputError):
        knapsack(np.array(values), np.array(weights), capacity)
