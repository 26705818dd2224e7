"""Overlap-aware two-crop, paired flip and per-view pipelines (PixCon augmentation)."""
from __future__ import annotations

import math
from typing import Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmpretrain.registry import TRANSFORMS

from ...errors import PixConInputError

Crop = tuple[int, int, int, int]  # x1, y1, x2, y2 in image pixels (x2, y2 exclusive)


def _as_rgb_array(results: dict) -> np.ndarray:
    """The loaded image as (H, W, 3); a 2-D grey image is replicated to 3 channels."""
    img, name = results.get('img'), results.get('img_path', '<in-memory image>')
    if not isinstance(img, np.ndarray):
        raise PixConInputError(f'{name}: no decoded image (got {type(img).__name__}); '
                               'is the file corrupt or not an image?')
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3 or min(img.shape[:2]) < 1:
        raise PixConInputError(f'{name}: expected an H x W x 3 image, got shape {img.shape}')
    return img


def sample_crop(height: int, width: int, scale: tuple[float, float],
                ratio: tuple[float, float], rng=np.random) -> Crop:
    """A random-resized-crop box (area fraction in ``scale``, aspect in ``ratio``).

    ``rng`` defaults to numpy's global stream, which mmengine seeds per worker.

    After 10 rejected draws it falls back to the largest centred crop whose
    aspect ratio lies in ``ratio``; works for any image of at least 1 x 1 px.
    """
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        cw = int(round(math.sqrt(target * aspect)))
        ch = int(round(math.sqrt(target / aspect)))
        if 0 < cw <= width and 0 < ch <= height:
            x1 = rng.randint(0, width - cw + 1)
            y1 = rng.randint(0, height - ch + 1)
            return x1, y1, x1 + cw, y1 + ch
    aspect = min(max(width / height, ratio[0]), ratio[1])
    cw = max(1, min(width, int(round(height * aspect))))
    ch = max(1, min(height, int(round(cw / aspect))))
    x1, y1 = (width - cw) // 2, (height - ch) // 2
    return x1, y1, x1 + cw, y1 + ch


def intersection(a: Crop, b: Crop) -> Crop | None:
    """Pixel intersection of two crops, or None when they do not overlap."""
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def _area(box: Crop) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def box_in_view(box: Crop, view: Crop) -> np.ndarray:
    """(4,) ``box`` in ``view``'s own coordinates, normalised to [0, 1]."""
    w, h = view[2] - view[0], view[3] - view[1]
    return np.array([(box[0] - view[0]) / w, (box[1] - view[1]) / h,
                     (box[2] - view[0]) / w, (box[3] - view[1]) / h], dtype=np.float32)


@TRANSFORMS.register_module()
class OverlapTwoCrop(BaseTransform):
    """Two random resized crops of one image that are guaranteed to overlap.

    The second crop is redrawn up to ``max_tries`` times until the crops'
    intersection covers at least ``min_overlap`` of its area. If that never
    happens the documented fallback is to reuse the first crop for the second
    view (full overlap; the views still differ by flip and photometric
    augmentation) and ``pixcon_fallback`` is set to True.

    Adds: ``img`` = [view1, view2] (size x size x 3 each), ``pixcon_boxes``
    (2, 4) float32 intersection box (x1, y1, x2, y2) in each view's normalised
    coordinates, ``pixcon_crops`` (2, 4) crops in image pixels, ``pixcon_flips``
    (2,) bool all False (see :class:`PairedRandomFlip`), ``pixcon_fallback``.

    ``interpolation`` and ``backend`` (``'cv2'`` or ``'pillow'``) choose how
    ``mmcv.imresize`` resizes each crop; the PixCon configs use pillow + bilinear, the
    official release's ``torchvision.transforms.functional.resized_crop`` on a PIL image.
    """

    def __init__(self, size: int, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3), min_overlap: float = 0.01,
                 max_tries: int = 10, interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        if not 0.0 <= min_overlap <= 1.0:
            raise PixConInputError(f'min_overlap must be in [0, 1], got {min_overlap}')
        self.size = size
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.min_overlap = min_overlap
        self.max_tries = max_tries
        self.interpolation = interpolation
        self.backend = backend

    def transform(self, results: dict) -> dict:
        img = _as_rgb_array(results)
        h, w = img.shape[:2]
        first = sample_crop(h, w, self.scale, self.ratio)
        fallback = False
        for _ in range(self.max_tries):
            second = sample_crop(h, w, self.scale, self.ratio)
            inter = intersection(first, second)
            if inter is not None and _area(inter) >= self.min_overlap * _area(second):
                break
        else:
            second = inter = first
            fallback = True
        crops = (first, second)
        results['img'] = [
            mmcv.imresize(img[c[1]:c[3], c[0]:c[2]], (self.size, self.size),
                          interpolation=self.interpolation, backend=self.backend)
            for c in crops]
        results['img_shape'] = (self.size, self.size)
        results['pixcon_boxes'] = np.stack([box_in_view(inter, c) for c in crops])
        results['pixcon_crops'] = np.array(crops, dtype=np.int64)
        results['pixcon_flips'] = np.zeros(2, dtype=bool)
        results['pixcon_fallback'] = fallback
        return results


@TRANSFORMS.register_module()
class PairedRandomFlip(BaseTransform):
    """Flip each view horizontally with probability ``prob``, mirroring its box.

    A flipped view's box becomes (1 - x2, y1, 1 - x1, y2) and its entry of
    ``pixcon_flips`` becomes True.
    """

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: dict) -> dict:
        boxes = results['pixcon_boxes'].copy()
        flips = results['pixcon_flips'].copy()
        views = list(results['img'])
        for i in range(len(views)):
            if np.random.rand() < self.prob:
                views[i] = np.ascontiguousarray(views[i][:, ::-1])
                boxes[i, [0, 2]] = 1.0 - boxes[i, [2, 0]]
                flips[i] = ~flips[i]
        results.update(img=views, pixcon_boxes=boxes, pixcon_flips=flips)
        return results


@TRANSFORMS.register_module()
class PerViewPipeline(BaseTransform):
    """Run pipeline i on view i only (asymmetric photometric augmentation).

    Args:
        pipelines: one list of transform configs per view.
    """

    def __init__(self, pipelines: Sequence[Sequence[dict]]) -> None:
        self.pipelines = [Compose([TRANSFORMS.build(t) if isinstance(t, dict) else t for t in p])
                          for p in pipelines]

    def transform(self, results: dict) -> dict:
        views = results['img']
        if len(views) != len(self.pipelines):
            raise PixConInputError(f'{len(views)} views but {len(self.pipelines)} pipelines')
        out = []
        for view, pipeline in zip(views, self.pipelines):
            res = pipeline(dict(img=view, img_shape=view.shape[:2], ori_shape=view.shape[:2]))
            if res is None:
                raise PixConInputError('a per-view transform dropped a view of '
                                       f'{results.get("img_path", "<in-memory image>")}')
            out.append(res['img'])
        results['img'] = out
        return results
