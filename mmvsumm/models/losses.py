"""Contrastive refinement losses per frame (thesis eqs. 3.6, 3.7, 3.9, 3.10).

``z`` are projected, L2-normalised frame features of one video, shape ``(T, d)``;
every loss returns one value per frame, shape ``(T,)``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ['align_loss', 'uniform_loss', 'segment_features', 'unique_loss', 'filter_loss']


def _sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances between rows.  # (N, d), (M, d) -> (N, M)"""
    return (a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1)[None] - 2 * a @ b.T).clamp_min(0)


def align_loss(z: torch.Tensor, neighbours: torch.Tensor) -> torch.Tensor:
    """Eq. 3.6: mean squared distance to the neighbours chosen on the frozen features.

    Args:
        z: projected frames.  # (T, d)
        neighbours: indices of each frame's neighbours.  # (T, K), K >= 1
    """
    return (z[:, None, :] - z[neighbours]).pow(2).sum(-1).mean(1)


def uniform_loss(z: torch.Tensor, include_self: bool = False) -> torch.Tensor:
    """Eq. 3.7: ``log(mean over the other frames of exp(-2 ||z_t - z||^2))``; 0 if T = 1.
    ``include_self``: average over all T frames including t (the release)."""
    num = z.shape[0]
    if num == 1:
        return z.new_zeros(1)
    logits = -2 * _sq_dists(z, z)
    if include_self:
        return torch.logsumexp(logits, 1) - math.log(num)
    logits = logits.masked_fill(torch.eye(num, dtype=torch.bool, device=z.device), -math.inf)
    return torch.logsumexp(logits, 1) - math.log(num - 1)


def segment_features(z: torch.Tensor, length: int) -> torch.Tensor:
    """L2-normalised means of consecutive segments of ``length`` frames (a shorter
    last segment is kept).  # (T, d) -> (ceil(T / length), d)"""
    parts = torch.split(z, length)
    return F.normalize(torch.stack([p.mean(0) for p in parts]), dim=1)


def unique_loss(z: torch.Tensor, other_segments: torch.Tensor) -> torch.Tensor:
    """Eq. 3.9: ``log(mean over other videos' segments of exp(-2 ||z_t - s||^2))``.

    Args:
        z: projected frames of one video.  # (T, d)
        other_segments: segment features of the other videos of the batch.  # (A, d)
    """
    logits = -2 * _sq_dists(z, other_segments)
    return torch.logsumexp(logits, 1) - math.log(other_segments.shape[0])


def filter_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 3.10 as a real binary cross-entropy (the thesis prints a sign slip):
    ``-(y log r + (1 - y) log(1 - r))``.  # (T,), (T,) -> (T,)"""
    return F.binary_cross_entropy(pred, target, reduction='none')
