"""Training-free importance scores (thesis eqs. 3.4, 3.5 and 3.12).

All functions take frame features ``feats`` of shape ``(T, D)`` (any scale: they
are L2-normalised here) and return one value per frame, shape ``(T,)``.

Degenerate videos are handled explicitly and always give finite values:

* ``T = 1``: the local dissimilarity is 0 and the global consistency is 0
  (``log 1``: a lone frame is perfectly consistent with itself).
* ``K = round(a * T) = 0`` (``T < 1 / (2a)``): the neighbour set is widened to the
  single nearest neighbour (``K`` is clipped to ``[1, T - 1]``).
* the release's neighbour set (``include_self``) with ``K = int(a * T) <= 1`` (``T <
  2 / a``, 20 steps at ``a = 0.1``) is the frame itself alone: eq. 3.4 is 0 for
  every frame, a constant term (ones after :func:`minmax_scale`), announced by a
  :class:`~mmvsumm.errors.VSummWarning`. The release min-max scales the float
  rounding noise of those zeros instead (and divides by zero when it is exactly 0).
* constant features / a constant score: :func:`minmax_scale` maps a constant
  vector to ones, the neutral element of the product in eq. 3.12, so a term that
  carries no ranking information does not change the importance.
"""
from __future__ import annotations

from typing import Sequence

import warnings

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.special import logsumexp

from .errors import VSummInputError, VSummWarning

__all__ = ['l2_normalize', 'pairwise_similarity', 'num_neighbours', 'nearest_neighbours',
           'local_dissimilarity', 'global_consistency', 'minmax_scale', 'importance_scores',
           'combine_scores', 'SCORE_TERMS', 'ROUNDINGS', 'EDGE_MODES']

SCORE_TERMS = ('align', 'uniform')
ROUNDINGS = ('round', 'floor')
# scipy.ndimage boundary modes of the temporal smoothing: the thesis variant holds the
# end values ('nearest'); the release calls gaussian_filter1d with scipy's default 'reflect'
EDGE_MODES = ('nearest', 'reflect')


def _check_feats(feats: np.ndarray) -> np.ndarray:
    feats = np.asarray(feats)
    feats = feats if feats.dtype == np.float32 else feats.astype(np.float64)
    if feats.ndim != 2 or feats.shape[0] == 0:
        raise VSummInputError(f'features must have shape (T >= 1, D), got {feats.shape}')
    if not np.isfinite(feats).all():
        raise VSummInputError('features contain NaN or infinite values')
    return feats


def l2_normalize(feats: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm; an all-zero row stays zero.  # (T, D) -> (T, D)

    float32 input stays float32 (the h5 and extractor features are float32);
    anything else is computed in float64.
    """
    feats = _check_feats(feats)
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    return feats / np.maximum(norms, 1e-12).astype(feats.dtype)


def pairwise_similarity(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and squared distances of the L2-normalised rows.

    Returns:
        (similarities, squared distances).  # (T, T), (T, T)
    """
    unit = l2_normalize(feats)
    sims = (unit @ unit.T).astype(np.float64)
    sq_norms = np.diag(sims).copy()  # 1, or 0 for an all-zero row
    return sims, np.clip(sq_norms[:, None] + sq_norms[None, :] - 2.0 * sims, 0.0, None)


def num_neighbours(num_frames: int, ratio: float, rounding: str = 'round',
                   include_self: bool = False) -> int:
    """Neighbour count K of ``ratio * T``: ``'round'`` (half up, the thesis's round(aT))
    or ``'floor'`` (``int(T * a)``, the official release), clipped to ``[1, T - 1]``
    (``[1, T]`` when the set includes the frame itself); 0 only when ``T = 1``.

    The release would average an empty set (NaN) when ``int(T * a) = 0``; here K = 1.
    """
    if not 0.0 < ratio <= 1.0:
        raise VSummInputError(f'neighbour ratio must be in (0, 1], got {ratio}')
    if rounding not in ROUNDINGS:
        raise VSummInputError(f'rounding must be one of {ROUNDINGS}, got {rounding!r}')
    if num_frames <= 1:
        return 0
    if rounding == 'floor':
        k = int(num_frames * ratio)
    else:
        k = int(np.floor(ratio * num_frames + 0.5))
    if include_self and k <= 1:
        warnings.warn(f'a {num_frames}-step video has the frame itself as its only '
                      f'neighbour (K = {k} at a = {ratio}, the release\'s neighbour set): '
                      'L_align is a constant term here (the release scales float rounding '
                      'noise); see docs/vsumm.md, release variant', VSummWarning, stacklevel=3)
    return int(min(max(k, 1), num_frames if include_self else num_frames - 1))


def _neighbour_index(sims: np.ndarray, k: int, include_self: bool) -> np.ndarray:
    """Indices of the K most similar frames of each frame.  # (T, T) -> (T, K)"""
    keys = -sims
    if not include_self:
        np.fill_diagonal(keys, np.inf)
    return np.argpartition(keys, k - 1, axis=1)[:, :k]


def nearest_neighbours(feats: np.ndarray, ratio: float = 0.1,
                       include_self: bool = False, rounding: str = 'round') -> np.ndarray:
    """The neighbour sets N_t of eq. 3.4 (K from :func:`num_neighbours`); empty for a
    single frame.  # (T, D) -> (T, K)"""
    sims, _ = pairwise_similarity(feats)
    k = num_neighbours(sims.shape[0], ratio, rounding, include_self)
    if k == 0:
        return np.zeros((sims.shape[0], 0), dtype=np.int64)
    return _neighbour_index(sims, k, include_self)


def _local(sims: np.ndarray, dists: np.ndarray, ratio: float,
           include_self: bool, rounding: str = 'round') -> np.ndarray:
    num = sims.shape[0]
    k = num_neighbours(num, ratio, rounding, include_self)
    if k == 0:
        return np.zeros(num)
    # neighbours tied in similarity are equally distant, so which one is taken
    # does not change the mean (all-zero rows aside, which have no direction)
    nearest = _neighbour_index(sims, k, include_self)  # (T, K)
    return np.take_along_axis(dists, nearest, axis=1).mean(axis=1)


def _global(dists: np.ndarray, include_self: bool) -> np.ndarray:
    num = dists.shape[0]
    if num == 1:
        return np.zeros(1)
    logits = -2.0 * dists
    if not include_self:
        np.fill_diagonal(logits, -np.inf)
    return logsumexp(logits, axis=1) - np.log(num if include_self else num - 1)


def local_dissimilarity(feats: np.ndarray, ratio: float = 0.1,
                        include_self: bool = False, rounding: str = 'round') -> np.ndarray:
    """Eq. 3.4: mean squared distance of each frame to its K cosine nearest neighbours.

    Args:
        feats: frame features.  # (T, D)
        ratio: ``a`` in ``K = round(a * T)``.
        include_self: the official release's neighbour set, which contains the
            frame itself (its own nearest neighbour); the thesis excludes it.
        rounding: ``'round'`` or ``'floor'`` for K (see :func:`num_neighbours`).
    Returns:
        scores.  # (T,)
    """
    return _local(*pairwise_similarity(feats), ratio, include_self, rounding)


def global_consistency(feats: np.ndarray, include_self: bool = False) -> np.ndarray:
    """Eq. 3.5: ``log(mean over the other frames of exp(-2 ||x_t - x||^2))``.

    Args:
        feats: frame features.  # (T, D)
        include_self: average over all T frames including t (the release's choice).
    Returns:
        scores in ``[-8, 0]``; 0 for a single frame.  # (T,)
    """
    return _global(pairwise_similarity(feats)[1], include_self)


def minmax_scale(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the video; a constant vector maps to ones.  # (T,) -> (T,)"""
    values = np.asarray(values, dtype=np.float64)
    low, high = values.min(), values.max()
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return np.ones_like(values)
    return (values - low) / (high - low)


def importance_scores(feats: np.ndarray, ratio: float = 0.1,
                      terms: Sequence[str] = SCORE_TERMS, eps: float = 0.05,
                      sigma: float = 1.0, include_self: bool = False,
                      transform: str = 'none', rounding: str = 'round',
                      edge: str = 'nearest') -> np.ndarray:
    """Eq. 3.12 without refinement: product of min-max scaled terms + eps, smoothed.

    Args:
        feats: frame features.  # (T, D)
        ratio: neighbour ratio ``a`` of the local dissimilarity.
        terms: any non-empty subset of ``('align', 'uniform')``: ``align`` = eq. 3.4,
            ``uniform`` = eq. 3.5.
        eps: added to the product (the thesis gives no value; 0.05 is the
            constant the official release adds for SumMe).
        sigma: standard deviation (in sampled steps) of the temporal Gaussian
            smoothing; 0 disables it.
        include_self: the release's neighbour/uniformity convention (see above).
        transform: ``'none'`` or ``'exp'`` (``exp(p - 1)``, the release's TVSum
            post-processing), applied before smoothing.
        rounding: K = round(aT) (``'round'``) or int(aT) (``'floor'``, the release).
        edge: boundary mode of the smoothing, ``'nearest'`` or ``'reflect'`` (the release).
    Returns:
        importance, finite and positive.  # (T,)
    """
    unknown = set(terms) - set(SCORE_TERMS)
    if not terms or unknown:
        raise VSummInputError(f'terms must be a non-empty subset of {SCORE_TERMS}, got {terms}')
    sims, dists = pairwise_similarity(feats)
    values = []
    if 'align' in terms:
        values.append(_local(sims, dists, ratio, include_self, rounding))
    if 'uniform' in terms:
        values.append(_global(dists, include_self))
    return combine_scores(values, eps, sigma, transform, edge)


def combine_scores(values: Sequence[np.ndarray], eps: float = 0.05, sigma: float = 1.0,
                   transform: str = 'none', edge: str = 'nearest') -> np.ndarray:
    """Product of the min-max scaled terms + eps, optionally ``exp(p - 1)``, then a
    Gaussian filter of ``sigma`` steps (0: none) with boundary mode ``edge``.
    # [(T,), ...] -> (T,)"""
    if transform not in ('none', 'exp'):
        raise VSummInputError(f"transform must be 'none' or 'exp', got {transform!r}")
    if edge not in EDGE_MODES:
        raise VSummInputError(f'edge must be one of {EDGE_MODES}, got {edge!r}')
    product = np.ones(len(values[0]))
    for value in values:
        product *= minmax_scale(value)
    scores = product + eps
    if transform == 'exp':
        scores = np.exp(scores - 1.0)
    if sigma > 0:
        scores = gaussian_filter1d(scores, sigma, mode=edge)
    return scores
