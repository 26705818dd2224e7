"""The training-free scorer as an MMEngine model, so a Runner can validate with it."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from mmengine.model import BaseModel

from ..presets import score_options
from ..registry import MODELS
from ..scores import importance_scores

__all__ = ['ZeroShotSummarizer']


@MODELS.register_module()
class ZeroShotSummarizer(BaseModel):
    """Eq. 3.12 scores of each video of an :class:`Eccv16Dataset` batch.

    ``predict`` returns ``dict(pred_score, record)`` per video, the input of
    :class:`VSummMetric`. Arguments as ``mmvsumm evaluate``'s ``--scores``,
    ``--variant``, ``--dataset`` and ``--neighbour-ratio``.
    """

    def __init__(self, scores: str = 'align+uniform', variant: str = 'thesis',
                 dataset: str = 'tvsum', ratio: float = 0.1) -> None:
        super().__init__()
        self.options = score_options(scores, variant, dataset, ratio)
        self.register_buffer('_device_anchor', torch.zeros(0))  # nothing to learn

    def forward(self, features: Sequence[np.ndarray], record: Sequence, name=None,
                sample_idx=None, mode: str = 'predict') -> list[dict]:
        """Scores of a batch (``name`` and ``sample_idx`` come with the items)."""
        if mode != 'predict':
            raise ValueError(f'{type(self).__name__} is training-free: mode must be '
                             f"'predict', got {mode!r}")
        return [dict(pred_score=importance_scores(f, **self.options), record=r)
                for f, r in zip(features, record)]
