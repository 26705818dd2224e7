"""F1 of key-shot summaries and rank correlation of importance scores."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import kendalltau, spearmanr

from ..errors import VSummInputError

__all__ = ['f1_score', 'rank_correlation', 'rank_correlations', 'RANK_METRICS']

RANK_METRICS = ('kendall', 'spearman')


def _as_users(pred: np.ndarray, users: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred)
    users = np.asarray(users)
    if users.ndim == 1:
        users = users[None]
    if pred.ndim != 1 or users.ndim != 2 or users.shape[1] != pred.shape[0] or users.shape[0] == 0:
        raise VSummInputError(f'{what}: prediction {pred.shape} and annotations '
                              f'{users.shape} must be (n,) and (users, n)')
    if pred.dtype.kind in 'fc' and not np.isfinite(pred).all():
        bad = np.flatnonzero(~np.isfinite(pred))
        raise VSummInputError(f'{what}: the prediction has {len(bad)} NaN or infinite '
                              f'value(s), the first at index {bad[0]}')
    if users.dtype.kind in 'fc' and not np.isfinite(users).all():
        user, index = np.argwhere(~np.isfinite(users))[0]
        raise VSummInputError(f'{what}: annotator {user} has a NaN or infinite value at '
                              f'index {index}')
    return pred, users


def f1_score(pred_summary: np.ndarray, user_summary: np.ndarray,
             reduction: str = 'mean') -> float:
    """F1 (eqs. 3.13-3.14) of a binary summary against each annotator's summary.

    Args:
        pred_summary: predicted frame mask.  # (n_frames,)
        user_summary: annotators' frame masks.  # (users, n_frames)
        reduction: ``'mean'`` over annotators (TVSum) or ``'max'`` (SumMe).
    Returns:
        F1 in [0, 1]; 0 for an annotator with no overlap.
    """
    pred, users = _as_users(pred_summary, user_summary, 'f1_score')
    pred, users = pred > 0, users > 0
    overlap = (users & pred).sum(axis=1).astype(np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        precision = overlap / pred.sum()
        recall = overlap / users.sum(axis=1)
        f1 = np.where(overlap > 0, 2 * precision * recall / (precision + recall), 0.0)
    if reduction == 'mean':
        return float(f1.mean())
    if reduction == 'max':
        return float(f1.max())
    raise VSummInputError(f"F1 reduction must be 'mean' or 'max', got {reduction!r}")


def rank_correlations(pred: np.ndarray, user_scores: np.ndarray,
                      metric: str = 'kendall') -> np.ndarray:
    """Kendall tau-b or Spearman rho of ``pred`` with each annotator.  # (n,), (U, n) -> (U,)

    Raises:
        VSummInputError: when a coefficient is undefined (constant prediction or
            constant annotator), instead of returning NaN.
    """
    pred, users = _as_users(pred, user_scores, 'rank_correlation')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if metric == 'kendall':
            values = np.array([kendalltau(pred, user).statistic for user in users])
        elif metric == 'spearman' and len(users) == 1:
            values = np.array([spearmanr(pred, users[0]).statistic])
        elif metric == 'spearman':  # one call: the first row of the rank correlation matrix
            values = spearmanr(np.column_stack([pred, users.T])).statistic[0, 1:]
        else:
            raise VSummInputError(f'rank metric must be one of {RANK_METRICS}, got {metric!r}')
    if not np.isfinite(values).all():
        which = 'the prediction is constant' if np.ptp(pred) == 0 else \
            f'annotator(s) {np.flatnonzero(~np.isfinite(values)).tolist()} are constant'
        raise VSummInputError(f'rank correlation undefined: {which}')
    return values


def rank_correlation(pred: np.ndarray, user_scores: np.ndarray,
                     metric: str = 'kendall') -> float:
    """Mean over annotators of Kendall's tau-b or Spearman's rho (Otani et al.).

    Args:
        pred: predicted importance.  # (n,)
        user_scores: each annotator's scores on the same n positions.  # (users, n)
        metric: ``'kendall'`` (scipy ``kendalltau``, tau-b, tie-aware) or
            ``'spearman'`` (scipy ``spearmanr``, average ranks for ties).
    """
    return float(rank_correlations(pred, user_scores, metric).mean())
