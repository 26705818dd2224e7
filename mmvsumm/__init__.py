"""mmvsumm: training-free zero-shot video summarization from contrastive losses.

Thesis chapter 3: importance scores from local dissimilarity (eq. 3.4) and global
consistency (eq. 3.5), KTS shots, knapsack key shots, and the TVSum/SumMe
protocol (F1, Kendall tau, Spearman rho).
"""
import mmcontrast  # noqa: F401  applies upstream compatibility fixes

from .errors import VSummInputError
from .kts import change_points_to_segments, kts, kts_penalty, segment_scatter
from .knapsack import knapsack
from .metrics.functional import f1_score, rank_correlation, rank_correlations
from .scores import global_consistency, importance_scores, local_dissimilarity, minmax_scale
from .summary import frame_scores, keyshot_summary, shot_scores

__all__ = ['VSummInputError', 'local_dissimilarity', 'global_consistency', 'minmax_scale',
           'importance_scores', 'kts', 'kts_penalty', 'segment_scatter',
           'change_points_to_segments', 'knapsack', 'frame_scores', 'shot_scores',
           'keyshot_summary', 'f1_score', 'rank_correlation', 'rank_correlations']
