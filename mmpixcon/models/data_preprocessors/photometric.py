"""The photometric half of the two-crop augmentation, run batched on the model's device.

The CPU workers keep the geometric half (crops, boxes, flips, resize) and ship uint8
views; :class:`PhotometricDataPreprocessor` then applies, per view and per sample, the
colour jitter, grayscale, Gaussian blur and solarization that the CPU pipeline would
have applied, with the probabilities and ranges read from the same transform dicts
(mmpretrain's ``RandomApply(ColorJitter)``, ``RandomGrayscale``, ``GaussianBlur``,
``Solarize``). The pixel maths is kornia's (torchvision's formulas); the random draws
are made here on the CPU, one record per batch, because kornia's ``ColorJitter`` draws
one application order per batch where torchvision and mmpretrain draw one per image.
Drawing on the CPU also keeps the device free of host syncs (the subsets to augment are
known before any kernel runs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from kornia.color import rgb_to_grayscale
from kornia.enhance import (adjust_brightness_accumulative, adjust_contrast_with_mean_subtraction,
                            adjust_hue, adjust_saturation_with_gray_subtraction, solarize)
from kornia.filters import gaussian_blur2d
from mmengine.dist import get_rank
from mmpretrain.models.utils.data_preprocessor import SelfSupDataPreprocessor
from mmpretrain.registry import MODELS

from ...errors import PixConInputError

__all__ = ['ColorJitterOp', 'GrayscaleOp', 'GaussianBlurOp', 'SolarizeOp', 'ViewPhotometric',
           'parse_view', 'PhotometricDataPreprocessor', 'PHOTOMETRIC_TYPES', 'GEOMETRIC_TYPES']

# transform types of a CPU view pipeline that this module takes over, and the geometric
# ones it leaves to the workers (skipped when a whole CPU view pipeline is passed in)
PHOTOMETRIC_TYPES = ('RandomApply', 'ColorJitter', 'RandomGrayscale', 'GaussianBlur', 'Solarize')
GEOMETRIC_TYPES = ('RandomResizedCrop', 'RandomFlip', 'Resize', 'RandomCrop', 'CenterCrop',
                   'OverlapTwoCrop', 'PairedRandomFlip')

Params = dict[str, torch.Tensor]


def _uniform(n: int, low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=gen, dtype=torch.float64)


def _coin(n: int, prob: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=gen, dtype=torch.float64) < prob


def _on_subset(x: torch.Tensor, index: torch.Tensor,
               fn: Callable[..., torch.Tensor], *per_sample: torch.Tensor) -> None:
    """``x[index] = fn(x[index], *per_sample[index])`` in place; ``index`` lives on the CPU."""
    if index.numel() == 0:
        return
    idx = index.to(x.device, non_blocking=True)
    args = [p[index].to(x.device, torch.float32, non_blocking=True) for p in per_sample]
    x[idx] = fn(x[idx], *args).clamp(0, 1)


def _hue(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    return adjust_hue(x, turns * (2 * math.pi))  # torchvision's factor is in turns


@dataclass(frozen=True)
class ColorJitterOp:
    """torchvision's ColorJitter applied with probability ``prob``: brightness, contrast,
    saturation and hue factors uniform in their ranges (``None`` = not jittered), in an
    order drawn per sample."""
    prob: float
    ranges: tuple[tuple[float, float] | None, ...]  # brightness, contrast, saturation, hue

    KERNELS = (adjust_brightness_accumulative, adjust_contrast_with_mean_subtraction,
               adjust_saturation_with_gray_subtraction, _hue)

    def draw(self, n: int, gen: torch.Generator) -> Params:
        factors = torch.tensor([1.0, 1.0, 1.0, 0.0], dtype=torch.float64).repeat(n, 1)
        for j, rng in enumerate(self.ranges):
            if rng is not None:
                factors[:, j] = _uniform(n, *rng, gen)
        order = torch.rand(n, 4, generator=gen).argsort(dim=1)  # (n, 4) a permutation per row
        return dict(apply=_coin(n, self.prob, gen), factors=factors, order=order)

    def apply(self, x: torch.Tensor, p: Params) -> None:
        for step in range(4):
            for j, kernel in enumerate(self.KERNELS):
                if self.ranges[j] is None:
                    continue
                index = torch.nonzero(p['apply'] & (p['order'][:, step] == j)).flatten()
                _on_subset(x, index, kernel, p['factors'][:, j])


@dataclass(frozen=True)
class GrayscaleOp:
    """Weighted channel sum copied to the three channels, with probability ``prob``."""
    prob: float
    rgb_weights: tuple[float, float, float]

    def draw(self, n: int, gen: torch.Generator) -> Params:
        return dict(apply=_coin(n, self.prob, gen))

    def apply(self, x: torch.Tensor, p: Params) -> None:
        weights = torch.tensor(self.rgb_weights, device=x.device, dtype=x.dtype)
        _on_subset(x, torch.nonzero(p['apply']).flatten(),
                   lambda v: rgb_to_grayscale(v, weights).expand_as(v))


@dataclass(frozen=True)
class GaussianBlurOp:
    """Gaussian blur with σ uniform in ``sigma`` (pixels), reflect border, with
    probability ``prob``."""
    prob: float
    sigma: tuple[float, float]
    kernel_size: int

    def draw(self, n: int, gen: torch.Generator) -> Params:
        return dict(apply=_coin(n, self.prob, gen), sigma=_uniform(n, *self.sigma, gen))

    def apply(self, x: torch.Tensor, p: Params) -> None:
        def blur(v: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
            return gaussian_blur2d(v, self.kernel_size, sigma[:, None].expand(-1, 2),
                                   border_type='reflect')
        _on_subset(x, torch.nonzero(p['apply']).flatten(), blur, p['sigma'])


@dataclass(frozen=True)
class SolarizeOp:
    """Values at or above ``threshold`` (in [0, 1]) become ``1 - value``, with probability
    ``prob``."""
    prob: float
    threshold: float

    def draw(self, n: int, gen: torch.Generator) -> Params:
        return dict(apply=_coin(n, self.prob, gen))

    def apply(self, x: torch.Tensor, p: Params) -> None:
        _on_subset(x, torch.nonzero(p['apply']).flatten(),
                   lambda v: solarize(v, self.threshold))


Op = ColorJitterOp | GrayscaleOp | GaussianBlurOp | SolarizeOp


@dataclass(frozen=True)
class ViewPhotometric:
    """The photometric ops of one view, in their CPU pipeline's order."""
    ops: tuple[Op, ...]

    def draw(self, n: int, gen: torch.Generator) -> list[Params]:
        return [op.draw(n, gen) for op in self.ops]

    def apply(self, x: torch.Tensor, params: Sequence[Params]) -> torch.Tensor:
        """``x``: (B, 3, H, W) RGB float in [0, 1], changed in place and returned."""
        for op, p in zip(self.ops, params, strict=True):
            op.apply(x, p)
        return x


def _jitter_range(value: float | Sequence[float], name: str, center: float,
                  bound: tuple[float, float]) -> tuple[float, float] | None:
    """mmpretrain ColorJitter's reading of one argument (``_set_range``)."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise PixConInputError(f'ColorJitter {name}={value}: must be >= 0')
        value = (center - value, center + value)
    low, high = (max(bound[0], min(bound[1], float(v))) for v in value)
    return None if low == high == center else (low, high)


def _color_jitter(cfg: dict, prob: float) -> ColorJitterOp:
    ranges = (_jitter_range(cfg.get('brightness', 0.), 'brightness', 1., (0., math.inf)),
              _jitter_range(cfg.get('contrast', 0.), 'contrast', 1., (0., math.inf)),
              _jitter_range(cfg.get('saturation', 0.), 'saturation', 1., (0., math.inf)),
              _jitter_range(cfg.get('hue', 0.), 'hue', 0., (-0.5, 0.5)))
    return ColorJitterOp(prob=float(prob), ranges=ranges)


def _blur(cfg: dict, where: str, kernel_size: int | None) -> GaussianBlurOp:
    if cfg.get('radius') is not None:
        sigma = (float(cfg['radius']),) * 2
    else:
        if cfg.get('magnitude_std', 0.) != 'inf':
            raise PixConInputError(f'{where}: GaussianBlur needs radius or magnitude_std="inf" '
                                   '(a uniform sigma); other magnitude laws are not supported '
                                   'on the device')
        low, high = cfg['magnitude_range']
        share = cfg.get('magnitude_level', 10) / cfg.get('total_level', 10)
        sigma = (float(low), float(low + share * (high - low)))  # mmpretrain's random_magnitude
    size = kernel_size if kernel_size is not None else 2 * math.ceil(3 * sigma[1]) + 1
    if size < 1 or size % 2 == 0:
        raise PixConInputError(f'{where}: blur_kernel_size={size} must be a positive odd int')
    return GaussianBlurOp(prob=float(cfg.get('prob', 0.5)), sigma=sigma, kernel_size=size)


def _grayscale(cfg: dict, where: str) -> GrayscaleOp:
    if not cfg.get('keep_channels', False) or cfg.get('color_format', 'bgr') != 'bgr':
        raise PixConInputError(f'{where}: RandomGrayscale must have keep_channels=True and a '
                               'bgr image (three channels out, as the model expects)')
    bgr = [float(w) for w in cfg.get('channel_weights', (1., 1., 1.))]
    total = sum(bgr)
    # the CPU pipeline weighs the channels of the BGR array; here the batch is RGB
    return GrayscaleOp(prob=float(cfg.get('prob', 0.1)),
                       rgb_weights=(bgr[2] / total, bgr[1] / total, bgr[0] / total))


def parse_view(pipeline: Sequence[dict], where: str = 'views',
               blur_kernel_size: int | None = None) -> ViewPhotometric:
    """The photometric ops of a CPU view pipeline (mmpretrain transform dicts, in order);
    geometric transforms in it are skipped, anything else is refused."""
    ops: list[Op] = []
    for i, t in enumerate(pipeline):
        kind, here = t.get('type'), f'{where}[{i}]'
        if kind in GEOMETRIC_TYPES:
            continue
        if kind == 'RandomApply':
            inner = t['transforms']
            inner = inner if isinstance(inner, (list, tuple)) else [inner]
            if len(inner) != 1 or inner[0].get('type') != 'ColorJitter':
                raise PixConInputError(f'{here}: only RandomApply([ColorJitter]) runs on the '
                                       f'device, got {inner}')
            ops.append(_color_jitter(inner[0], t.get('prob', 0.5)))
        elif kind == 'ColorJitter':
            ops.append(_color_jitter(t, 1.0))
        elif kind == 'RandomGrayscale':
            ops.append(_grayscale(t, here))
        elif kind == 'GaussianBlur':
            ops.append(_blur(t, here, blur_kernel_size))
        elif kind == 'Solarize':
            if t.get('thr') is None:
                raise PixConInputError(f'{here}: Solarize needs a fixed thr on the device')
            # the CPU compares uint8 levels (>= thr); half a level lower decides a level
            # the same way despite float rounding, and a jittered (unrounded) value as
            # the CPU's rounding to uint8 would
            ops.append(SolarizeOp(prob=float(t.get('prob', 0.5)),
                                  threshold=(t['thr'] - 0.5) / 255.))
        else:
            raise PixConInputError(
                f'{here}: transform {kind!r} has no device version; supported photometric '
                f'types are {PHOTOMETRIC_TYPES}, skipped geometric ones {GEOMETRIC_TYPES}')
    return ViewPhotometric(tuple(ops))


@MODELS.register_module()
class PhotometricDataPreprocessor(SelfSupDataPreprocessor):
    """mmpretrain's ``SelfSupDataPreprocessor`` (stacking, BGR->RGB, normalisation) that,
    in training, also runs each view's photometric augmentation on the batch.

    Args:
        views: one CPU view pipeline (transform dicts) per view, e.g. ``[view_pipeline1,
            view_pipeline2]`` of ``coco_pixcon.py``; the worker pipeline must not apply
            them too (the ``*_gpuaug`` configs strip them).
        blur_kernel_size: odd Gaussian kernel size; default ``2 * ceil(3 * sigma_max) + 1``.
        seed: seed of the draws; default the global torch seed mixed with the rank, so
            that ranks draw independently.
        **kwargs: ``SelfSupDataPreprocessor``'s (mean, std, to_rgb, ...). The inputs are
            BGR uint8 views as ``LoadImageFromFile`` reads them.
    """

    def __init__(self, views: Sequence[Sequence[dict]], blur_kernel_size: int | None = None,
                 seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not views:
            raise PixConInputError('PhotometricDataPreprocessor: views must list one view '
                                   'pipeline per view')
        self.views = [parse_view(v, f'data_preprocessor.views[{i}]', blur_kernel_size)
                      for i, v in enumerate(views)]
        self._seed = seed
        self._gen: torch.Generator | None = None

    @property
    def generator(self) -> torch.Generator:
        """CPU generator of the draws, created on first use (after the runner's seeding)."""
        if self._gen is None:
            seed = self._seed if self._seed is not None else \
                (torch.initial_seed() * 1_000_003 + get_rank()) % 2**63
            self._gen = torch.Generator().manual_seed(seed)
        return self._gen

    def forward(self, data: dict, training: bool = False) -> dict:
        out = super().forward(data, training)
        if not training:
            return out
        inputs = out['inputs']
        if not isinstance(inputs, list) or len(inputs) != len(self.views):
            got = len(inputs) if isinstance(inputs, list) else 'a single tensor'
            raise PixConInputError(f'PhotometricDataPreprocessor has {len(self.views)} view '
                                   f'pipelines but the batch has {got} views')
        out['inputs'] = [self._augment(x, view) for x, view in zip(inputs, self.views)]
        return out

    def _augment(self, x: torch.Tensor, view: ViewPhotometric) -> torch.Tensor:
        """``x``: (B, 3, H, W) as the parent returns it (normalised, RGB iff converted)."""
        scale = self.std / 255 if self._enable_normalize else 1 / 255
        shift = self.mean / 255 if self._enable_normalize else 0.
        rgb = x * scale + shift  # back to [0, 1]
        if not self._channel_conversion:
            rgb = rgb.flip(1)  # BGR -> RGB for the colour ops
        view.apply(rgb, view.draw(x.shape[0], self.generator))
        if not self._channel_conversion:
            rgb = rgb.flip(1)
        return (rgb - shift) / scale
