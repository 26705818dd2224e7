"""Evaluation: functional metrics, the protocol, and the registered metric."""
from .evaluation import VideoResult, evaluate_video, human_video, mean_result
from .functional import f1_score, rank_correlation, rank_correlations
from .protocol import RANK_LEVELS, Protocol
from .vsumm_metric import VSummMetric

__all__ = ['f1_score', 'rank_correlation', 'rank_correlations', 'Protocol', 'RANK_LEVELS',
           'VideoResult', 'evaluate_video', 'human_video', 'mean_result', 'VSummMetric']
