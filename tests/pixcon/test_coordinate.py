"""Coordinate matching and the correspondence probe on a synthetic image with known crops."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmpixcon.datasets import OverlapTwoCrop, PairedRandomFlip
from mmpixcon.models import inverse_augment
from mmpixcon.models.utils import correspondence_hits, corresponding_cells

H, W, VIEW, GRID = 150, 200, 64, 16


def _views(seed):
    """Two views of an image whose pixels hold their own (x, y) image coordinates."""
    ys, xs = np.meshgrid(np.arange(H) + 0.5, np.arange(W) + 0.5, indexing='ij')
    img = np.stack([xs, ys, np.zeros_like(xs)], -1).astype(np.float32)
    np.random.seed(seed)
    r = PairedRandomFlip(0.5)(OverlapTwoCrop(VIEW, scale=(0.2, 1.0))(dict(img=img)))
    maps = torch.stack([torch.from_numpy(v[..., :2]).permute(2, 0, 1) for v in r['img']])
    maps = F.avg_pool2d(maps, VIEW // GRID)  # (2, 2, GRID, GRID): "features" = image coords
    return maps, torch.from_numpy(r['pixcon_boxes']), torch.from_numpy(r['pixcon_flips']), \
        r['pixcon_crops']


@pytest.mark.parametrize('seed', range(8))
def test_coordinate_matching_aligns_the_same_image_location(seed):
    maps, boxes, flips, crops = _views(seed)
    out = 6
    aligned = [inverse_augment(maps[i:i + 1], boxes[i:i + 1], flips[i:i + 1], (out, out))[0]
               for i in range(2)]  # (2, out, out) image coordinates per view
    # the intersection of the known crops, sampled on the same out x out grid
    x1, y1 = max(crops[0][0], crops[1][0]), max(crops[0][1], crops[1][1])
    x2, y2 = min(crops[0][2], crops[1][2]), min(crops[0][3], crops[1][3])
    centres = (torch.arange(out) + 0.5) / out
    truth_x = (x1 + centres * (x2 - x1))[None].expand(out, out)
    truth_y = (y1 + centres * (y2 - y1))[:, None].expand(out, out)
    cell = max(c[2] - c[0] for c in crops) / GRID  # one feature cell in image pixels
    for a in aligned:
        assert (a[0] - truth_x).abs().max() <= cell
        assert (a[1] - truth_y).abs().max() <= cell
    assert (aligned[0] - aligned[1]).abs().max() <= cell  # c(i) = i hits one location


@pytest.mark.parametrize('seed', range(4))
def test_corresponding_cells_point_at_the_same_image_location(seed):
    maps, boxes, flips, crops = _views(seed)
    truth = corresponding_cells(boxes[None], flips[None], (GRID, GRID))[0]  # (GRID^2, 2)
    x1, y1, x2, y2 = boxes[0].tolist()
    centres = (torch.arange(GRID) + 0.5) / GRID
    in_box = ((centres[:, None] >= y1) & (centres[:, None] <= y2)
              & (centres[None] >= x1) & (centres[None] <= x2)).flatten()
    # sample view 2 at the predicted positions (grid_sample uses [-1, 1] corners convention)
    grid = torch.stack([(truth[:, 1] + 0.5) / GRID * 2 - 1,
                        (truth[:, 0] + 0.5) / GRID * 2 - 1], -1)[None, None]
    at_key = F.grid_sample(maps[1:2], grid, align_corners=False,
                           padding_mode='border')[0, :, 0]  # (2, GRID^2)
    at_query = maps[0].flatten(1)
    cell = max(c[2] - c[0] for c in crops) / GRID
    assert (at_key - at_query)[:, in_box].abs().max() <= cell


def _rbf_features(maps, anchors=12, sigma=12.0):
    """Location-coding features: Gaussian bumps around anchor points of the image."""
    ax, ay = torch.meshgrid(torch.linspace(0, W, anchors), torch.linspace(0, H, anchors),
                            indexing='xy')
    centres = torch.stack([ax.flatten(), ay.flatten()])  # (2, A)
    d2 = ((maps.flatten(2)[:, :, :, None] - centres[None, :, None]) ** 2).sum(1)  # (2, N, A)
    return torch.exp(-d2 / (2 * sigma ** 2)).transpose(1, 2).unflatten(2, (GRID, GRID))


def test_probe_scores_location_features_high_and_random_features_low():
    hits_loc = hits_rand = total = 0
    torch.manual_seed(0)
    for seed in range(6):
        maps, boxes, flips, _ = _views(seed)
        feats = _rbf_features(maps)
        h, n = correspondence_hits(feats[0:1], feats[1:2], boxes[None], flips[None])
        hits_loc, total = hits_loc + h, total + n
        rand = torch.randn(2, 8, GRID, GRID)
        hits_rand += correspondence_hits(rand[0:1], rand[1:2], boxes[None], flips[None])[0]
    assert total > 0
    assert hits_loc / total > 0.9
    assert hits_rand / total < 0.3
