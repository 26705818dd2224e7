"""Pixel weights (eq. 2.7) and the (weighted) InfoNCE losses (eqs. 2.1, 2.4, 2.6)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ...errors import PixConInputError

REWEIGHTINGS = (None, 'semantic', 'spatial', 'similarity')
_EPS = 1e-6


def _minmax(values: Tensor, select: Tensor) -> Tensor:
    """Min-max normalise ``values`` over the ``select``-ed entries of each row.

    values, select: (B, N). Rows whose selected range is below 1e-6 give values
    that shrink to 0 with the range (x - min <= range), so a flat row gets 0.
    """
    big = torch.finfo(values.dtype).max
    lo = torch.where(select, values, torch.full_like(values, big)).amin(1, keepdim=True)
    hi = torch.where(select, values, torch.full_like(values, -big)).amax(1, keepdim=True)
    span = (hi - lo).clamp_min(_EPS)
    return ((values - lo) / span).clamp(0.0, 1.0)


@torch.no_grad()
def semantic_weights(max_sim: Tensor, in_box: Tensor, alpha: float = 2.0,
                     mode: Optional[str] = 'semantic') -> Tensor:
    """Per-pixel loss weights of PixCon-SR (eq. 2.7) and its ablations.

    Args:
        max_sim: (B, N) max_j cos(F(i), F'(j)) of each query pixel (any float dtype).
        in_box: (B, N) bool, the query pixel lies in the views' intersection.
        alpha: sharpening exponent.
        mode: ``'semantic'`` eq. 2.7 (1 in-box, min-max normalised similarity^alpha
            over the out-of-box pixels elsewhere); ``'spatial'`` 1 in-box, 0 elsewhere;
            ``'similarity'`` normalised similarity^alpha over all pixels; ``None`` all 1.

    Returns:
        (B, N) float32 weights in [0, 1], no gradient. Degenerate rows stay finite:
        no out-of-box pixel -> all 1; equal out-of-box similarities -> those get 0.
    """
    if mode not in REWEIGHTINGS:
        raise PixConInputError(f'mode must be one of {REWEIGHTINGS}, got {mode!r}')
    if max_sim.shape != in_box.shape:
        raise PixConInputError(
            f'max_sim {tuple(max_sim.shape)} and in_box {tuple(in_box.shape)} differ')
    sim = torch.nan_to_num(max_sim.float(), nan=0.0)
    in_box = in_box.bool()
    if mode is None:
        return torch.ones_like(sim)
    if mode == 'spatial':
        return in_box.float()
    if mode == 'similarity':
        return _minmax(sim, torch.ones_like(in_box)).pow(alpha)
    out_w = _minmax(sim, ~in_box).pow(alpha)
    return torch.where(in_box, torch.ones_like(out_w), out_w)


def dense_info_nce(query: Tensor, key: Tensor, queue: Tensor, temperature: float,
                   weights: Optional[Tensor] = None) -> Tensor:
    """Weighted pixel InfoNCE (eq. 2.6; eq. 2.4 when ``weights`` is None).

    Args:
        query: (B, N, C) L2-normalised predicted query pixels u_i.
        key: (B, N, C) L2-normalised positive keys v_{l(i)}, row-aligned with query.
        queue: (K, C) L2-normalised negative keys.
        temperature: tau.
        weights: (B, N) non-negative weights w(i), or None for a plain mean.

    Returns:
        Scalar: mean over images of sum_i w(i) l(i) / sum_i w(i); an image whose
        weights sum to 0 contributes 0. With N = 1 this is eq. 2.1.
    """
    if query.shape != key.shape or query.dim() != 3:
        raise PixConInputError(f'query {tuple(query.shape)} and key {tuple(key.shape)} must be '
                               'equal (B, N, C) shapes')
    scaled = query / temperature  # scaling the query, not the (B, N, K) logits, saves a pass
    pos = (scaled * key).sum(-1).float()  # (B, N)
    neg = (scaled @ queue.to(query.dtype).t()).float()  # (B, N, K)
    # -log softmax of the positive, without materialising the (B, N, 1 + K) concatenation
    per_pixel = torch.logaddexp(pos, torch.logsumexp(neg, dim=-1)) - pos  # (B, N)
    if weights is None:
        return per_pixel.mean()
    w = weights.to(per_pixel.dtype).detach()
    per_image = (w * per_pixel).sum(1) / w.sum(1).clamp_min(_EPS)  # (B,)
    return per_image.mean()


def info_nce(query: Tensor, key: Tensor, queue: Tensor, temperature: float) -> Tensor:
    """Image-level InfoNCE (eq. 2.1): query, key (B, C) normalised, queue (K, C)."""
    return dense_info_nce(query[:, None], key[:, None], queue, temperature)
