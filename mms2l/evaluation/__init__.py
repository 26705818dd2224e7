"""Evaluation of S2L predictions."""
from .tvg import IOU_THRESHOLDS, TVGMetric, first_span, tvg_f1

__all__ = ['IOU_THRESHOLDS', 'TVGMetric', 'first_span', 'tvg_f1']
