"""Contrastive refinement (eq. 3.11) as an MMEngine model, so ``tools/train.py`` trains it.

The loss lives here only: :func:`mmvsumm.refine.train_refiner` (``mmvsumm evaluate
--refine``) calls :func:`refinement_loss` with the same network.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from mmengine.model import BaseModel

from ..errors import VSummInputError
from ..registry import MODELS
from ..scores import nearest_neighbours
from .losses import align_loss, filter_loss, segment_features, uniform_loss, unique_loss
from .refiner import ContrastiveRefiner

__all__ = ['ContrastiveRefinement', 'refinement_loss']


def _scaled(values: torch.Tensor) -> torch.Tensor:
    """Min-max scaling to [0, 1] (a constant vector maps to ones).  # (T,) -> (T,)"""
    low, high = values.min(), values.max()
    if high - low <= 1e-12:
        return torch.ones_like(values)
    return (values - low) / (high - low)


def refinement_loss(net: ContrastiveRefiner, feats: Sequence[np.ndarray], ratio: float = 0.1,
                    segment: int = 10, lambda1: float = 0.5, lambda2: float = 0.1,
                    lambda3: float = 0.1, own_segments: bool = False) -> torch.Tensor:
    """Eq. 3.11 averaged over frames, then over the >= 2 videos of a batch.

    Args:
        feats: frozen features of each video, equal lengths.  # [(F, D), ...]
    """
    device = next(net.parameters()).device
    z = net(torch.from_numpy(np.stack(feats)).float().to(device))  # (B, F, d)
    segments = [segment_features(zb, segment) for zb in z]
    total = z.new_zeros(())
    for b, frames in enumerate(feats):
        neighbours = torch.from_numpy(nearest_neighbours(frames, ratio)).to(device)
        others = torch.cat([s for o, s in enumerate(segments) if o != b or own_segments])
        unique = unique_loss(z[b], others)
        target = 1.0 - _scaled(unique.detach())
        loss = (align_loss(z[b], neighbours) + lambda1 * uniform_loss(z[b]) + lambda2 * unique +
                lambda3 * filter_loss(net.uniqueness(z[b:b + 1])[0], target))
        total = total + loss.mean()
    return total / len(feats)


@MODELS.register_module()
class ContrastiveRefinement(BaseModel):
    """Projector G + uniqueness filter H trained with eq. 3.11; ``predict`` gives the
    refined eq. 3.12 scores per video (``dict(pred_score, record)``, the input of
    :class:`VSummMetric`).

    Args:
        in_dim: feature size of the h5 (1024 for GoogLeNet pool5).
        layers, heads, d_model, d_head, d_inner, dropout: :class:`ContrastiveRefiner`.
        ratio: a, neighbours per frame as a fraction of T.
        segment: m, frames per segment of L_unique.
        lambda1, lambda2, lambda3: weights of L_uniform, L_unique, L_filter.
        own_segments: keep the video's own segments in L_unique (the release).
        scores: refined terms multiplied at test time.
        eps, sigma: eq. 3.12's epsilon and Gaussian smoothing.
    """

    def __init__(self, in_dim: int = 1024, layers: int = 4, heads: int = 1,
                 d_model: int = 128, d_head: int = 64, d_inner: int = 512,
                 dropout: float = 0.1, ratio: float = 0.1, segment: int = 10,
                 lambda1: float = 0.5, lambda2: float = 0.1, lambda3: float = 0.1,
                 own_segments: bool = False,
                 scores: Sequence[str] = ('align', 'uniform', 'filter'),
                 eps: float = 0.05, sigma: float = 1.0) -> None:
        super().__init__()
        self.net = ContrastiveRefiner(in_dim, layers, heads, d_model, d_head, d_inner, dropout)
        self.loss_options = dict(ratio=ratio, segment=segment, lambda1=lambda1,
                                 lambda2=lambda2, lambda3=lambda3, own_segments=own_segments)
        self.score_options = dict(terms=tuple(scores), ratio=ratio, eps=eps, sigma=sigma)

    def forward(self, features: Sequence[np.ndarray], record: Sequence | None = None,
                name=None, sample_idx=None, mode: str = 'loss'):
        """``loss``: ``dict(loss)`` of a batch; ``predict``: scores of each video."""
        if mode == 'loss':
            if len(features) < 2:
                raise VSummInputError('contrastive refinement needs batches of >= 2 videos '
                                      '(the uniqueness loss compares videos)')
            return dict(loss=refinement_loss(self.net, [np.asarray(f, np.float32)
                                                        for f in features],
                                             **self.loss_options))
        if mode == 'predict':
            from ..refine import refined_importance
            return [dict(pred_score=refined_importance(np.asarray(f, np.float32), self.net,
                                                       **self.score_options), record=r)
                    for f, r in zip(features, record)]
        raise ValueError(f"mode must be 'loss' or 'predict', got {mode!r}")
