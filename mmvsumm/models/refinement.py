"""Contrastive refinement (eq. 3.11) as an MMEngine model, so ``tools/train.py`` trains it.

The loss lives here only: :func:`mmvsumm.refine.train_refiner` (``mmvsumm evaluate
--refine``) calls :func:`refinement_loss` with the same network.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from ..errors import VSummInputError
from ..presets import check_variant, score_options
from ..registry import MODELS
from ..scores import nearest_neighbours
from .losses import align_loss, filter_loss, segment_features, uniform_loss, unique_loss
from .refiner import ContrastiveRefiner

__all__ = ['ContrastiveRefinement', 'refinement_loss', 'variant_network']


def _scaled(values: torch.Tensor, constant: float = 1.0) -> torch.Tensor:
    """Min-max scaling to [0, 1]; a constant vector maps to ``constant``.  # (T,) -> (T,)"""
    low, high = values.min(), values.max()
    if high - low <= 1e-12:
        return torch.full_like(values, constant)
    return (values - low) / (high - low)


def refinement_loss(net: ContrastiveRefiner, feats: Sequence[np.ndarray], ratio: float = 0.1,
                    segment: int = 10, lambda1: float = 0.5, lambda2: float = 0.1,
                    lambda3: float = 0.1, variant: str = 'thesis') -> torch.Tensor:
    """Eq. 3.11 averaged over frames, then over the videos of a batch.

    ``thesis``: N_t = the K = round(aT) nearest *other* frames, L_uniform over the
    other frames, L_unique over the *other* videos' segments, H's target
    ``1 - minmax(L_unique)``. ``release``: N_t includes the frame itself with
    K = int(aT), L_uniform over all frames, L_unique keeps the video's own segments,
    target ``1 - (0.5 minmax(L_unique) + 0.25)``.

    Args:
        feats: frozen features of each video, equal lengths.  # [(F, D), ...]
    """
    release = check_variant(variant) == 'release'
    knn = {k: v for k, v in score_options(variant=variant, ratio=ratio).items()
           if k in ('ratio', 'include_self', 'rounding')}  # N_t as the variant's scores
    if len(feats) < 2 and not release:
        raise VSummInputError('contrastive refinement needs batches of >= 2 videos '
                              '(the uniqueness loss compares videos)')
    device = next(net.parameters()).device
    encoded = net.encode(torch.from_numpy(np.stack(feats)).float().to(device))  # (B, F, d)
    z = F.normalize(encoded, dim=-1)
    uniqueness = net.uniqueness(encoded)  # (B, F)
    segments = [segment_features(zb, segment) for zb in z]
    total = z.new_zeros(())
    for b, frames in enumerate(feats):
        neighbours = nearest_neighbours(frames, **knn)
        others = torch.cat([s for o, s in enumerate(segments) if o != b or release])
        unique = unique_loss(z[b], others)
        scaled = _scaled(unique.detach(), 0.0 if release else 1.0)
        target = 1.0 - (0.5 * scaled + 0.25 if release else scaled)
        loss = (align_loss(z[b], torch.from_numpy(neighbours).to(device)) +
                lambda1 * uniform_loss(z[b], include_self=release) + lambda2 * unique +
                lambda3 * filter_loss(uniqueness[b], target))
        total = total + loss.mean()
    return total / len(feats)


def variant_network(variant: str, d_model: int | None, dropout: float | None) -> dict:
    """Network options of a variant: the thesis's d_model 128 / dropout 0.1, or the
    release's 256 / 0 and its layer style; explicit values win."""
    release = check_variant(variant) == 'release'
    return dict(d_model=d_model or (256 if release else 128),
                dropout=(0.0 if release else 0.1) if dropout is None else dropout,
                style=variant)


@MODELS.register_module()
class ContrastiveRefinement(BaseModel):
    """Projector G + uniqueness filter H trained with eq. 3.11; ``predict`` gives the
    refined eq. 3.12 scores per video (``dict(pred_score, record)``, the input of
    :class:`VSummMetric`).

    Args:
        in_dim: feature size of the h5 (1024 for GoogLeNet pool5).
        layers, heads, d_head, d_inner: :class:`ContrastiveRefiner`.
        d_model, dropout: default by ``variant`` (thesis 128 / 0.1, release 256 / 0).
        ratio: a, neighbours per frame as a fraction of T.
        segment: m, frames per segment of L_unique.
        lambda1, lambda2, lambda3: weights of L_uniform, L_unique, L_filter.
        variant: ``'thesis'`` or ``'release'`` -- network, loss and test-time scores
            (see :func:`refinement_loss`, :func:`mmvsumm.presets.score_options`).
        scores: refined terms multiplied at test time (a ``REFINED_CHOICES`` name).
        dataset: the test dataset (the release post-processes TVSum and SumMe apart).
    """

    def __init__(self, in_dim: int = 1024, layers: int = 4, heads: int = 1,
                 d_model: int | None = None, d_head: int = 64, d_inner: int = 512,
                 dropout: float | None = None, ratio: float = 0.1, segment: int = 10,
                 lambda1: float = 0.5, lambda2: float = 0.1, lambda3: float = 0.1,
                 variant: str = 'thesis', scores: str = 'align+uniform+filter',
                 dataset: str = 'tvsum') -> None:
        super().__init__()
        self.net = ContrastiveRefiner(in_dim, layers, heads, d_head=d_head, d_inner=d_inner,
                                      **variant_network(variant, d_model, dropout))
        self.loss_options = dict(ratio=ratio, segment=segment, lambda1=lambda1,
                                 lambda2=lambda2, lambda3=lambda3, variant=variant)
        self.score_options = score_options(scores, variant, dataset, ratio)

    def forward(self, features: Sequence[np.ndarray], record: Sequence | None = None,
                name=None, sample_idx=None, mode: str = 'loss', **extras):
        """``loss``: ``dict(loss)`` of a batch; ``predict``: scores of each video.
        ``extras``: other item keys (YouTube-8M ``labels``, ``source``), not used."""
        if mode == 'loss':
            return dict(loss=refinement_loss(self.net, [np.asarray(f, np.float32)
                                                        for f in features],
                                             **self.loss_options))
        if mode == 'predict':
            from ..refine import refined_importance
            return [dict(pred_score=refined_importance(np.asarray(f, np.float32), self.net,
                                                       **self.score_options), record=r)
                    for f, r in zip(features, record)]
        raise ValueError(f"mode must be 'loss' or 'predict', got {mode!r}")
