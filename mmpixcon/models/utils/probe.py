"""Dense-feature probe: do similarity matches land on the true corresponding cell?"""
from __future__ import annotations

import torch
from torch import Tensor

from .matching import boxes_to_mask, similarity_match


def corresponding_cells(boxes: Tensor, flips: Tensor, size: tuple[int, int]) -> Tensor:
    """True key-view cell of every query-view cell, via the intersection boxes.

    Args:
        boxes: (B, 2, 4) intersection box in each view's normalised coordinates.
        flips: (B, 2) bool, whether each view was flipped.
        size: (H, W) of both grids.

    Returns:
        (B, H*W, 2) float (row, col) position in the key grid of each query
        cell's centre (meaningful for in-box cells only).
    """
    h, w = size
    ys = (torch.arange(h, dtype=torch.float32) + 0.5) / h
    xs = (torch.arange(w, dtype=torch.float32) + 0.5) / w
    cy, cx = (t.flatten().to(boxes.device) for t in torch.meshgrid(ys, xs, indexing='ij'))
    bq, bk = boxes[:, 0].float(), boxes[:, 1].float()  # (B, 4)
    tx = (cx[None] - bq[:, 0:1]) / (bq[:, 2:3] - bq[:, 0:1])  # (B, HW) position in the box
    ty = (cy[None] - bq[:, 1:2]) / (bq[:, 3:4] - bq[:, 1:2])
    mirrored = (flips[:, 0] != flips[:, 1])[:, None]
    tx = torch.where(mirrored, 1 - tx, tx)
    kx = bk[:, 0:1] + tx * (bk[:, 2:3] - bk[:, 0:1])
    ky = bk[:, 1:2] + ty * (bk[:, 3:4] - bk[:, 1:2])
    return torch.stack([ky * h - 0.5, kx * w - 0.5], dim=-1)


@torch.no_grad()
def correspondence_hits(feat_q: Tensor, feat_k: Tensor, boxes: Tensor, flips: Tensor,
                        tolerance: float = 1.0) -> tuple[int, int]:
    """Count in-box query cells whose similarity match is within ``tolerance`` cells.

    Args:
        feat_q, feat_k: (B, C, H, W) maps of the two views.
        boxes: (B, 2, 4); flips: (B, 2) as packed by the two-crop pipeline.

    Returns:
        (hits, in-box cells); the distance is the larger of the row and column offsets.
    """
    h, w = feat_q.shape[-2:]
    index, _ = similarity_match(feat_q, feat_k)  # (B, HW)
    matched = torch.stack([index // w, index % w], dim=-1).float()  # (B, HW, 2)
    truth = corresponding_cells(boxes, flips, (h, w))
    close = (matched - truth).abs().amax(-1) <= tolerance  # (B, HW)
    in_box = boxes_to_mask(boxes[:, 0], (h, w)).flatten(1)
    return int((close & in_box).sum()), int(in_box.sum())
