"""Two overlapping views of a photo, drawn by PixCon's own two-crop transform."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from ..datasets.transforms import OverlapTwoCrop
from ..errors import PixConInputError


class Views(NamedTuple):
    image: np.ndarray  # (H, W, 3) uint8 RGB, the whole photo
    views: list[np.ndarray]  # two (size, size, 3) uint8 RGB crops
    crops: np.ndarray  # (2, 4) int crop boxes (x1, y1, x2, y2) in image pixels
    boxes: np.ndarray  # (2, 4) float intersection box normalised to each view


def read_rgb(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; errors name the file."""
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert('RGB'))
    except (OSError, ValueError) as err:
        raise PixConInputError(f'{path}: cannot read this image ({err})') from err


def resize(img: np.ndarray, size: int) -> np.ndarray:
    """Square bilinear resize of an RGB uint8 image."""
    return np.asarray(Image.fromarray(img).resize((size, size), Image.BILINEAR))


def two_views(image: np.ndarray, size: int, scale: tuple[float, float] = (0.08, 1.0),
              seed: int = 0) -> Views:
    """Crop two overlapping ``size`` x ``size`` views with :class:`OverlapTwoCrop`.

    The crops are those training draws (same scale range, >= 1 % overlap, same
    resizing); no flip or photometric augmentation, so the figures show the crops'
    geometry alone.
    numpy's global random state is restored afterwards.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        # resized as the training configs do (pillow, bilinear)
        out = OverlapTwoCrop(size=size, scale=scale, backend='pillow')(dict(img=image))
    finally:
        np.random.set_state(state)
    return Views(image, list(out['img']), out['pixcon_crops'], out['pixcon_boxes'])
