"""Pixel matching between two views: similarity (eq. 2.3) and coordinates (eq. 2.5)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align

from ...errors import PixConInputError


def _flatten(feat: Tensor) -> Tensor:
    """(B, C, H, W) or (B, C, N) -> (B, C, N)."""
    if feat.dim() == 4:
        return feat.flatten(2)
    if feat.dim() == 3:
        return feat
    raise PixConInputError(
        f'expected a (B, C, H, W) or (B, C, N) tensor, got shape {tuple(feat.shape)}')


def similarity_match(feat_q: Tensor, feat_k: Tensor) -> tuple[Tensor, Tensor]:
    """Match every query pixel to its most similar key pixel (eq. 2.3).

    Args:
        feat_q: query-view backbone features, (B, C, H, W) or (B, C, N).
        feat_k: key-view backbone features, (B, C, H', W') or (B, C, M).

    Returns:
        index: (B, N) long, l(i) = argmax_j cos(F(i), F'(j)), a flat index into M.
        max_sim: (B, N) the cosine similarity of each query pixel to its match.
    """
    q = F.normalize(_flatten(feat_q), dim=1)  # (B, C, N)
    k = F.normalize(_flatten(feat_k), dim=1)  # (B, C, M)
    if q.shape[:2] != k.shape[:2]:
        raise PixConInputError(f'batch/channels differ: {tuple(q.shape)} vs {tuple(k.shape)}')
    sim = torch.bmm(q.transpose(1, 2), k)  # (B, N, M)
    max_sim, index = sim.max(dim=2)
    return index, max_sim


def boxes_to_mask(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Which cells of an H x W grid have their centre inside the box.

    Args:
        boxes: (B, 4) boxes (x1, y1, x2, y2) normalised to [0, 1] in the view.
        size: (H, W) of the feature grid.

    Returns:
        (B, H, W) bool; cell (r, c) has centre ((c + 0.5) / W, (r + 0.5) / H);
        a centre on the box edge counts as inside.
    """
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise PixConInputError(f'boxes must be (B, 4), got shape {tuple(boxes.shape)}')
    h, w = size
    ys = (torch.arange(h, device=boxes.device, dtype=torch.float32) + 0.5) / h  # (H,)
    xs = (torch.arange(w, device=boxes.device, dtype=torch.float32) + 0.5) / w  # (W,)
    b = boxes.float()
    in_x = (xs[None] >= b[:, 0:1]) & (xs[None] <= b[:, 2:3])  # (B, W)
    in_y = (ys[None] >= b[:, 1:2]) & (ys[None] <= b[:, 3:4])  # (B, H)
    return in_y[:, :, None] & in_x[:, None, :]


def check_boxes(boxes: Tensor, names: Sequence[str] | None = None) -> None:
    """Refuse non-finite boxes (B, ..., 4) before RoIAlign, which crashes on them.

    The error names the first bad sample: ``names[b]`` (e.g. its image path)
    when given, else its position in the batch.
    """
    bad = ~torch.isfinite(boxes).reshape(boxes.shape[0], -1).all(dim=1)  # (B,)
    if bad.any():
        b = int(bad.nonzero()[0])
        who = names[b] if names is not None else f'sample {b} of the batch'
        raise PixConInputError(f'{who}: non-finite intersection box {boxes[b].tolist()} '
                               f'({int(bad.sum())} of {len(bad)} samples in this batch)')


def inverse_augment(feat: Tensor, boxes: Tensor, flipped: Tensor,
                    output_size: tuple[int, int], sampling_ratio: int = 2,
                    check: bool = True) -> Tensor:
    """Warp a view's dense map onto the two views' intersection box (PixCon-Coord).

    RoIAlign crops the intersection box (given in this view's own, possibly
    flipped, coordinates) and resamples it to ``output_size``; views that were
    flipped are flipped back, so the outputs of both views are aligned: cell i
    of one covers the same image region as cell i of the other (eq. 2.5).

    Args:
        feat: (B, C, H, W) dense map of the view.
        boxes: (B, 4) intersection box (x1, y1, x2, y2) normalised to the view.
        flipped: (B,) bool, whether the view was horizontally flipped.
        output_size: (h, w) of the aligned map.
        sampling_ratio: RoIAlign samples per output cell and axis.
        check: run :func:`check_boxes` (a host sync when ``boxes`` is on a GPU);
            ``False`` only where the caller has already checked them.

    Returns:
        (B, C, h, w) aligned map in the image's original orientation.

    Raises:
        PixConInputError: a non-finite box (see :func:`check_boxes`), when ``check``.
    """
    if check:
        check_boxes(boxes)
    b, _, h, w = feat.shape
    scale = boxes.new_tensor([w, h, w, h], dtype=feat.dtype)
    rois = torch.cat([torch.arange(b, device=feat.device, dtype=feat.dtype)[:, None],
                      boxes.to(feat.dtype) * scale], dim=1)  # (B, 5)
    out = roi_align(feat, rois, output_size, spatial_scale=1.0,
                    sampling_ratio=sampling_ratio, aligned=True)  # (B, C, h, w)
    flipped = flipped.to(device=feat.device, dtype=torch.bool).view(b, 1, 1, 1)
    return torch.where(flipped, out.flip(-1), out)
