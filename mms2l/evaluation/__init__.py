"""Evaluation of S2L predictions: ETBench (all 12 tasks, from answer text, as the
official script) and TVG on decoded spans."""
from .etbench_data import ETBENCH_TASKS, load_predictions
from .etbench_metrics import ETBENCH_THRESHOLDS, etbench_iou, score_group
from .etbench_report import ETBenchReport, evaluate_etbench
from .etbench_similarity import SentenceSimilarity
from .tvg import IOU_THRESHOLDS, TVGMetric, first_span, tvg_f1

__all__ = ['ETBENCH_TASKS', 'ETBENCH_THRESHOLDS', 'ETBenchReport',
           'IOU_THRESHOLDS', 'SentenceSimilarity', 'TVGMetric', 'etbench_iou', 'evaluate_etbench',
           'first_span', 'load_predictions', 'score_group', 'tvg_f1']
