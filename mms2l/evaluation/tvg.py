"""Temporal video grounding score as ETBench reports it ("F1" = mean hit rate of the
first predicted span over IoU thresholds), on decoded spans rather than answer text
(the text route is :mod:`.etbench_metrics`; both share its float32 IoU)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from ..registry import METRICS
from .etbench_metrics import ETBENCH_THRESHOLDS as IOU_THRESHOLDS
from .etbench_metrics import etbench_iou


def tvg_f1(first_spans: Sequence[np.ndarray | None], gt_spans: Sequence[np.ndarray],
           thresholds: Sequence[float] = IOU_THRESHOLDS) -> float:
    """Mean over thresholds of the fraction of samples whose first predicted span
    (seconds, (2,)) has IoU >= threshold with the ground truth (2,), the IoU in
    float32 as ETBench's script computes it. A missing prediction (None) counts as
    a miss."""
    if len(first_spans) != len(gt_spans) or not gt_spans:
        raise ValueError(f'need equally many predictions and ground truths (> 0), got '
                         f'{len(first_spans)} and {len(gt_spans)}')
    ious = np.array([0.0 if p is None else float(etbench_iou(g, p)[0, 0])
                     for p, g in zip(first_spans, gt_spans)])
    return float(np.mean([(ious >= t).mean() for t in thresholds]))


def first_span(result: dict) -> np.ndarray | None:
    """The top segment (seconds) of the first ``<loc>`` of a prediction, or None."""
    locs = result.get('locs') or []
    if not locs or len(locs[0]['segments']) == 0:
        return None
    return np.asarray(locs[0]['segments'][0], dtype=np.float64)


@METRICS.register_module()
class TVGMetric(BaseMetric):
    """TVG F1 over the model's predictions (first ``<loc>``, top segment) against
    each sample's first ground-truth segment."""
    default_prefix = 'tvg'

    def __init__(self, thresholds: Sequence[float] = IOU_THRESHOLDS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.thresholds = tuple(thresholds)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for result in data_samples:
            gt = np.asarray(result['gt_segments'], dtype=np.float64).reshape(-1, 2)
            if len(gt):
                self.results.append((first_span(result), gt[0]))

    def compute_metrics(self, results: list) -> dict[str, float]:
        preds, gts = zip(*results)
        return dict(f1=tvg_f1(preds, gts, self.thresholds))
