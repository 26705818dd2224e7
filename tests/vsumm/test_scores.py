"""Eqs. 3.4, 3.5 and 3.12 against direct references, including degenerate videos."""
import math

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from mmvsumm import (VSummInputError, global_consistency, importance_scores,
                     local_dissimilarity, minmax_scale)
from mmvsumm.scores import num_neighbours

from .reference import global_consistency_ref, local_dissimilarity_ref


@pytest.mark.parametrize('num,dim,ratio', [(37, 16, 0.1), (20, 5, 0.25), (9, 3, 0.5)])
def test_local_dissimilarity_matches_reference(num, dim, ratio):
    feats = np.random.default_rng(num).normal(size=(num, dim)) * 3.0  # unnormalised input
    k = max(1, int(math.floor(ratio * num + 0.5)))
    np.testing.assert_allclose(local_dissimilarity(feats, ratio),
                               local_dissimilarity_ref(feats, k), atol=1e-10)


@pytest.mark.parametrize('num,dim', [(2, 4), (23, 8), (50, 32)])
def test_global_consistency_matches_reference(num, dim):
    feats = np.random.default_rng(dim).normal(size=(num, dim))
    np.testing.assert_allclose(global_consistency(feats), global_consistency_ref(feats),
                               atol=1e-10)


def test_release_variant_includes_the_frame_itself():
    feats = np.random.default_rng(1).normal(size=(12, 6))
    # with itself among its K nearest neighbours, a frame averages one zero distance
    k = num_neighbours(12, 0.25)
    excl = local_dissimilarity_ref(feats, k - 1)
    np.testing.assert_allclose(local_dissimilarity(feats, 0.25, include_self=True),
                               excl * (k - 1) / k, atol=1e-10)
    ref = np.log((np.exp(global_consistency_ref(feats)) * 11 + 1) / 12)
    np.testing.assert_allclose(global_consistency(feats, include_self=True), ref, atol=1e-10)


def test_neighbour_count_rounding_and_clipping():
    assert num_neighbours(25, 0.1) == 3  # 2.5 rounds half up
    assert num_neighbours(24, 0.1) == 2
    assert num_neighbours(4, 0.1) == 1  # K = 0 widened to the nearest neighbour
    assert num_neighbours(1, 0.1) == 0
    assert num_neighbours(3, 1.0) == 2  # never more than the other frames
    with pytest.raises(VSummInputError):
        num_neighbours(10, 0.0)


def test_short_video_below_one_over_a_uses_nearest_neighbour():
    feats = np.random.default_rng(2).normal(size=(6, 4))  # a = 0.05: 0.3 -> K = 1
    np.testing.assert_allclose(local_dissimilarity(feats, 0.05),
                               local_dissimilarity_ref(feats, 1), atol=1e-10)


def test_single_frame_is_finite_and_documented():
    feats = np.ones((1, 8))
    assert local_dissimilarity(feats).tolist() == [0.0]
    assert global_consistency(feats).tolist() == [0.0]
    scores = importance_scores(feats)
    assert scores.shape == (1,) and np.isfinite(scores).all() and scores[0] > 0


def test_constant_features_give_finite_uniform_scores():
    feats = np.tile(np.arange(1.0, 6.0), (10, 1))
    np.testing.assert_allclose(local_dissimilarity(feats), 0.0, atol=1e-12)
    np.testing.assert_allclose(global_consistency(feats), 0.0, atol=1e-12)
    scores = importance_scores(feats, eps=0.05, sigma=1.0)
    np.testing.assert_allclose(scores, 1.05)  # both terms neutral (ones) + eps


def test_zero_feature_rows_stay_finite():
    feats = np.random.default_rng(5).normal(size=(8, 3))
    feats[[2, 6]] = 0.0  # e.g. black frames after a ReLU
    assert np.isfinite(importance_scores(feats)).all()
    np.testing.assert_allclose(local_dissimilarity(feats, 0.25),
                               local_dissimilarity_ref(feats, 2), atol=1e-10)
    np.testing.assert_allclose(global_consistency(feats), global_consistency_ref(feats),
                               atol=1e-10)


def test_float32_features_agree_with_float64():
    feats = np.random.default_rng(6).normal(size=(30, 64))
    np.testing.assert_allclose(importance_scores(feats.astype(np.float32)),
                               importance_scores(feats), atol=1e-5)


def test_importance_is_product_of_scaled_terms_plus_eps_then_smoothed():
    feats = np.random.default_rng(3).normal(size=(40, 10))
    k = num_neighbours(40, 0.1)
    align = local_dissimilarity_ref(feats, k)
    uniform = global_consistency_ref(feats)
    scale = lambda v: (v - v.min()) / (v.max() - v.min())  # noqa: E731
    raw = scale(align) * scale(uniform) + 0.01
    expected = gaussian_filter1d(raw, 2.0, mode='nearest')
    np.testing.assert_allclose(importance_scores(feats, 0.1, eps=0.01, sigma=2.0), expected,
                               atol=1e-10)
    np.testing.assert_allclose(importance_scores(feats, 0.1, ('align',), eps=0.01, sigma=0),
                               scale(align) + 0.01, atol=1e-10)
    release = importance_scores(feats, 0.1, eps=0.0, sigma=0, transform='exp')
    np.testing.assert_allclose(np.log(release) + 1, scale(align) * scale(uniform), atol=1e-6)


def test_minmax_scale_constant_is_ones():
    np.testing.assert_array_equal(minmax_scale(np.full(4, 2.5)), np.ones(4))
    np.testing.assert_allclose(minmax_scale(np.array([2.0, 4.0, 3.0])), [0, 1, 0.5])


@pytest.mark.parametrize('feats', [np.zeros((0, 4)), np.zeros(5), np.array([[1.0, np.nan]])])
def test_bad_features_raise(feats):
    with pytest.raises(VSummInputError):
        importance_scores(feats)


def test_bad_terms_raise():
    with pytest.raises(VSummInputError, match='terms'):
        importance_scores(np.eye(3), terms=('unique',))
