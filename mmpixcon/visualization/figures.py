"""The thesis' figures 2.4-2.6, each drawn on a :class:`PanelGrid`."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .canvas import PanelGrid
from .features import backbone_features
from .maps import cosine_similarity_map, in_box_matches, query_weights
from .views import Views, resize

Named = tuple[str, nn.Module]  # (column / row label, model from load_model)


def similarity_figure(images: Sequence[tuple[np.ndarray, tuple[float, float]]],
                      models: Sequence[Named], size: int = 448,
                      panel: int = 256) -> PanelGrid:
    """Fig. 2.4: per image (row), the photo with the query point, then per model the
    cosine-similarity map of its backbone features to the query cell, coloured from
    its minimum (blue) to 1 (red); the label gives the range.

    Args:
        images: (H, W, 3) uint8 RGB photos, each with its query point (x, y) in [0, 1].
        models: labelled models; one column each.
        size: side the photo is resized to before the backbone (C5 grid = size / 32).
        panel: pixel side of every panel.
    """
    grid = PanelGrid(len(images), 1 + len(models), panel)
    for row, (photo, point) in enumerate(images):
        rgb = resize(photo, size)
        grid.image(row, 0, rgb)
        grid.axes[row][0].plot([point[0] * panel], [point[1] * panel], 'o', color='red',
                               markersize=grid.fontsize(8), markeredgecolor='white')
        for col, (name, model) in enumerate(models, start=1):
            sim = cosine_similarity_map(backbone_features(model, rgb)[0], point)
            # each map on its own colour range (printed): raw cosines of a network
            # with ReLU features often all lie close to 1
            grid.image(row, col, rgb, sim.cpu().numpy(), alpha=0.6)
            grid.label(row, col, f'{name} [{float(sim.min()):.2f}, 1]')
    return grid


def sr_weights_figure(examples: Sequence[Views], model: nn.Module, alpha: float = 2.0,
                      panel: int = 256) -> PanelGrid:
    """Fig. 2.5: per example (column), row 1 the photo with the query view (blue) and
    key view (yellow), row 2 the SR weights (eq. 2.7) of the query view's cells with
    the intersection box (red).
    """
    grid = PanelGrid(2, len(examples), panel)
    for col, ex in enumerate(examples):
        h, w = ex.image.shape[:2]
        grid.image(0, col, ex.image)
        for crop, colour in zip(ex.crops, ('blue', 'yellow')):
            grid.box(0, col, crop / np.array([w, h, w, h]), colour)
        feats = backbone_features(model, ex.views)  # (2, C, h, w)
        weights = query_weights(feats[0], feats[1], torch.as_tensor(ex.boxes[0]), alpha)
        grid.image(1, col, ex.views[0], weights.cpu().numpy(), alpha=0.65, vmin=0, vmax=1,
                   smooth=False)
        grid.box(1, col, ex.boxes[0], 'red')
        grid.label(1, col, f'SR weights, alpha {alpha:g}')
    return grid


def mismatch_figure(example: Views, models: Sequence[Named], top: int = 5,
                    panel: int = 256) -> tuple[PanelGrid, dict[str, tuple[int, int]]]:
    """Fig. 2.6: per model (row), the query view with its ``top`` in-box cells of lowest
    match similarity and the key view with their matches, joined by lines; a match
    outside the key view's intersection box is drawn as a red cross, one inside as a
    green dot. The caption counts all in-box cells whose match leaves the box.

    Returns:
        The figure and, per model label, (in-box cells matched outside, in-box cells).
    """
    from matplotlib.patches import ConnectionPatch

    grid = PanelGrid(len(models), 2, panel)
    counts = {}
    for row, (name, model) in enumerate(models):
        feats = backbone_features(model, example.views)  # (2, C, h, w)
        h, w = feats.shape[-2:]
        found = in_box_matches(feats[0], feats[1], torch.as_tensor(example.boxes))
        for col in (0, 1):
            grid.image(row, col, example.views[col])
            grid.box(row, col, example.boxes[col], 'red')
        counts[name] = (int(found.outside.sum()), len(found.query))
        caption = grid.label(row, 0, f'{name}: {counts[name][0]}/{counts[name][1]} in-box '
                             'matches outside')
        taken = [grid.extent(caption)]  # similarity labels avoid the caption and each other
        for q, k, sim, out in list(zip(*found))[:top]:
            (qx, qy), (kx, ky) = (_centre(int(i), h, w, panel) for i in (q, k))
            colour = 'red' if out else 'lime'
            grid.axes[row][0].plot([qx], [qy], 'o', color=colour, markersize=grid.fontsize(6))
            grid.free_text(row, 0, qx, qy, f'{float(sim):.2f}', taken, color='white',
                           fontsize=grid.fontsize(9))
            grid.axes[row][1].plot([kx], [ky], 'x' if out else 'o', color=colour,
                                   markersize=grid.fontsize(8))
            grid.figure.add_artist(ConnectionPatch(
                (qx, qy), (kx, ky), 'data', 'data', axesA=grid.axes[row][0],
                axesB=grid.axes[row][1], color=colour, linewidth=grid.fontsize(1)))
    return grid, counts


def _centre(index: int, h: int, w: int, panel: int) -> tuple[float, float]:
    """Panel pixel (x, y) of the centre of flat cell ``index`` of an h x w grid."""
    return (index % w + 0.5) / w * panel, (index // w + 0.5) / h * panel
