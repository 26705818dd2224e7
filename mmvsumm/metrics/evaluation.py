"""Per-video evaluation (F1, Kendall tau, Spearman rho) and the human baseline."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np

from ..errors import VSummInputError
from ..io.h5 import VideoRecord
from ..kts import change_points_to_segments, kts
from ..summary import frame_scores, keyshot_summary, step_segments_to_shots
from .functional import f1_score, rank_correlation, rank_correlations
from .protocol import Protocol

__all__ = ['VideoResult', 'evaluate_video', 'human_video', 'reference_scores',
           'kts_shots', 'mean_result']


@dataclass(frozen=True)
class VideoResult:
    """Scores of one video; F1 in percent."""

    name: str
    f1: float
    kendall: float
    spearman: float

    def to_dict(self) -> dict:
        return asdict(self)


def reference_scores(record: VideoRecord, protocol: Protocol) -> np.ndarray:
    """Annotators' references for rank correlation.  # (users, n_frames | n_steps)"""
    if protocol.rank_level == 'gtscore':
        return record.gtscore[None]
    if protocol.dataset == 'tvsum':
        if record.user_scores is None:
            raise VSummInputError(f'{record.name}: TVSum rank correlation needs the '
                                  'per-annotator scores (ydata-tvsum50-anno.tsv, --anno)')
        users = record.user_scores
    else:
        users = record.user_summary
    return users[:, record.picks] if protocol.rank_level == 'step' else users


def kts_shots(record: VideoRecord) -> np.ndarray:
    """Shots (inclusive frame ranges) from KTS on the record's features.  # (S, 2)"""
    steps = len(record.features)
    segments = change_points_to_segments(kts(record.features), steps)
    return step_segments_to_shots(segments, record.picks, record.n_frames)


def evaluate_video(scores: np.ndarray, record: VideoRecord, protocol: Protocol,
                   shots: np.ndarray | None = None) -> VideoResult:
    """F1 of the key-shot summary and rank correlations of ``scores``.

    Args:
        scores: predicted importance at the sampled frames.  # (n_steps,)
        record: the video (h5 arrays, TVSum annotator scores when needed).
        protocol: the evaluation variant.
        shots: inclusive frame ranges; default from ``protocol.shots``.  # (S, 2)
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(record.features),) or not np.isfinite(scores).all():
        raise VSummInputError(f'{record.name}: scores must be finite with shape '
                              f'({len(record.features)},), got {scores.shape}')
    if shots is None:
        shots = kts_shots(record) if protocol.shots == 'kts' else record.change_points
    summary, _ = keyshot_summary(scores, shots, record.n_frames, record.picks,
                                 protocol.proportion, protocol.shot_reduce,
                                 protocol.value_scale)
    f1 = 100.0 * f1_score(summary, record.user_summary, protocol.f1_reduction)
    pred = scores if protocol.rank_level in ('step', 'gtscore') else \
        frame_scores(scores, record.picks, record.n_frames)
    refs = reference_scores(record, protocol)
    try:
        tau = rank_correlation(pred, refs, 'kendall')
        rho = rank_correlation(pred, refs, 'spearman')
    except VSummInputError as exc:
        raise VSummInputError(f'{record.name}: {exc}') from exc
    return VideoResult(record.name, f1, tau, rho)


def human_video(record: VideoRecord, protocol: Protocol) -> VideoResult:
    """Leave-one-out human baseline: each annotator against all the others.

    F1: each ``user_summary`` row against the other rows (dataset reduction),
    averaged over annotators. tau/rho: each reference row against each other row,
    averaged over the ordered pairs -- Otani et al.'s human score (TVSum: 0.177/0.204).
    """
    if protocol.rank_level == 'gtscore':
        raise VSummInputError('the human baseline needs per-annotator references; '
                              "rank level 'gtscore' has a single one")
    refs = reference_scores(record, protocol)
    summaries = record.user_summary
    if len(refs) < 2 or len(summaries) < 2:
        raise VSummInputError(f'{record.name}: the human baseline needs >= 2 annotators')
    taus, rhos = [], []  # unordered pairs: the same mean as ordered ones, half the work
    try:
        for user in range(len(refs) - 1):
            taus.append(rank_correlations(refs[user], refs[user + 1:], 'kendall'))
            rhos.append(rank_correlations(refs[user], refs[user + 1:], 'spearman'))
    except VSummInputError as exc:
        raise VSummInputError(f'{record.name}: annotator {user} against the later '
                              f'ones: {exc}') from exc
    f1s = [f1_score(summaries[user], np.delete(summaries, user, axis=0), protocol.f1_reduction)
           for user in range(len(summaries))]
    return VideoResult(record.name, 100.0 * float(np.mean(f1s)),
                       float(np.concatenate(taus).mean()), float(np.concatenate(rhos).mean()))


def mean_result(name: str, results: Iterable[VideoResult]) -> VideoResult:
    """Average of several results (videos or splits)."""
    results: Sequence[VideoResult] = list(results)
    if not results:
        raise VSummInputError(f'{name}: nothing to average (no test videos)')
    return VideoResult(name, *(float(np.mean([getattr(r, f) for r in results]))
                               for f in ('f1', 'kendall', 'spearman')))
