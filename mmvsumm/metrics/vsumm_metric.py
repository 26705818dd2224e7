"""The TVSum/SumMe protocol as an MMEngine metric."""
from __future__ import annotations

from typing import Any, Sequence

from mmengine.evaluator import BaseMetric

from ..registry import METRICS
from .evaluation import VideoResult, evaluate_video, mean_result
from .protocol import Protocol

__all__ = ['VSummMetric']


@METRICS.register_module()
class VSummMetric(BaseMetric):
    """F1 (%), Kendall tau and Spearman rho averaged over videos.

    Each data sample is a dict with ``pred_score`` (n_steps,) and ``record`` (the
    :class:`~mmvsumm.io.h5.VideoRecord` that :class:`Eccv16Dataset` yields).
    Remaining arguments build the :class:`Protocol`.
    """

    default_prefix = 'vsumm'

    def __init__(self, dataset: str = 'tvsum', rank_level: str = 'frame',
                 shot_reduce: str = 'mean', value_scale: float | None = None,
                 proportion: float = 0.15, shots: str = 'h5',
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.protocol = Protocol(dataset, rank_level, shot_reduce, value_scale,
                                 proportion, shots)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            result = evaluate_video(sample['pred_score'], sample['record'], self.protocol)
            self.results.append(result.to_dict())

    def compute_metrics(self, results: list) -> dict:
        mean = mean_result('mean', (VideoResult(**r) for r in results))
        return dict(f1=mean.f1, kendall=mean.kendall, spearman=mean.spearman)
