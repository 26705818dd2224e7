"""Per-pixel maps behind the thesis' figures 2.4-2.6, from backbone features.

Built on mmpixcon's own matching and weighting functions (``similarity_match``,
``boxes_to_mask``, ``semantic_weights``), so a figure shows what training computes.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..models.utils import boxes_to_mask, semantic_weights, similarity_match
from ..errors import PixConInputError


def cosine_similarity_map(feat: Tensor, point: tuple[float, float]) -> Tensor:
    """Fig. 2.4: cosine similarity of every cell to the cell under ``point``.

    Args:
        feat: (C, H, W) feature map of one image.
        point: (x, y) in [0, 1] image fractions; the cell containing it is the query.

    Returns:
        (H, W) similarities in [-1, 1]; 1 at the query cell.
    """
    _, h, w = feat.shape
    x, y = point
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise PixConInputError(f'point must be (x, y) fractions in [0, 1], got {point}')
    row, col = min(int(y * h), h - 1), min(int(x * w), w - 1)
    flat = F.normalize(feat.flatten(1), dim=0)  # (C, HW)
    return (flat[:, row * w + col] @ flat).view(h, w)


def query_weights(feat_q: Tensor, feat_k: Tensor, box_q: Tensor, alpha: float = 2.0,
                  mode: str = 'semantic') -> Tensor:
    """Fig. 2.5: the SR weight (eq. 2.7) of every query-view cell.

    Args:
        feat_q, feat_k: (C, H, W) backbone features of the query and key views.
        box_q: (4,) intersection box normalised to the query view.
        alpha, mode: as :func:`mmpixcon.models.semantic_weights`.

    Returns:
        (H, W) weights in [0, 1]; 1 on in-box cells for ``mode='semantic'``.
    """
    size = feat_q.shape[-2:]
    _, max_sim = similarity_match(feat_q[None], feat_k[None])  # (1, HW)
    in_box = boxes_to_mask(box_q[None].to(feat_q.device), size).flatten(1)  # (1, HW)
    return semantic_weights(max_sim, in_box, alpha, mode)[0].view(size)


class Matches(NamedTuple):
    """Similarity matches of the in-box query cells (fig. 2.6); all (N,) over those cells."""
    query: Tensor  # flat query-cell index
    key: Tensor  # flat index of its best-matching key cell
    similarity: Tensor  # cosine similarity of the pair ("qk sim.")
    outside: Tensor  # bool: the match lies outside the key view's intersection box


def in_box_matches(feat_q: Tensor, feat_k: Tensor, boxes: Tensor) -> Matches:
    """Match every in-box query cell to its most similar key cell (eq. 2.3).

    Args:
        feat_q, feat_k: (C, H, W) backbone features of the two views (same size).
        boxes: (2, 4) intersection box normalised to the query and to the key view.

    Returns:
        :class:`Matches`, sorted by increasing similarity (the thesis shows the lowest).
    """
    size = feat_q.shape[-2:]
    index, max_sim = similarity_match(feat_q[None], feat_k[None])  # (1, HW)
    masks = boxes_to_mask(boxes.to(feat_q.device), size).flatten(1)  # (2, HW)
    query = masks[0].nonzero()[:, 0]
    key = index[0, query]
    order = max_sim[0, query].argsort()
    query, key = query[order], key[order]
    return Matches(query, key, max_sim[0, query], ~masks[1, key])
