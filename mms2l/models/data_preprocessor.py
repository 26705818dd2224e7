"""Data preprocessor: moves a collated S2L batch to the device and normalises frames."""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS


def check_frames(frames: torch.Tensor, name: str) -> None:
    """uint8 frames must be RGB (T, 3, H, W); float inputs are features (T, K, C) or
    normalised frames (T, 3, H, W). Anything else is an error naming ``name``."""
    if frames.dtype == torch.uint8:
        if frames.ndim != 4 or frames.shape[1] != 3:
            raise ValueError(f'{name}: frames must be RGB uint8 (T, 3, H, W) (channel axis of 3), '
                             f'got shape {tuple(frames.shape)}')
    elif frames.ndim not in (3, 4):
        raise ValueError(f'{name}: expected frames (T, 3, H, W) or features (T, K, C), '
                         f'got shape {tuple(frames.shape)}')


@MODELS.register_module()
class S2LDataPreprocessor(BaseDataPreprocessor):
    """Concatenates the per-sample frames and normalises uint8 RGB frames.

    The collated ``inputs`` hold ``frames`` (list of (T_b, 3, H, W) uint8 tensors,
    or (T_b, K, C) float features for a precomputed tower) next to the token
    tensors. After processing, ``frames`` is (sum T_b, ...) float and
    ``num_frames`` (B,) gives each sample's share.

    Args:
        mean, std: per-channel statistics on the [0, 1] scale (CLIP's by default);
            ignored for float inputs (features).
    """

    def __init__(self, mean: Sequence[float] = (0.48145466, 0.4578275, 0.40821073),
                 std: Sequence[float] = (0.26862954, 0.26130258, 0.27577711)) -> None:
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = dict(data['inputs'])
        frames = list(inputs.pop('frames'))
        inputs['num_frames'] = torch.tensor([len(f) for f in frames], dtype=torch.long)
        if any(len(f) == 0 for f in frames):
            raise ValueError('a sample has zero frames; every video needs at least one frame')
        samples = data.get('data_samples') or [{}] * len(frames)
        for b, f in enumerate(frames):
            check_frames(torch.as_tensor(f), f"sample {b} ({samples[b].get('video', 'no video name')})")
        inputs = self.cast_data(inputs)
        stacked = self.cast_data(torch.cat(frames))
        if stacked.dtype == torch.uint8:
            stacked = (stacked.float() / 255.0 - self.mean) / self.std
        inputs['frames'] = stacked
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
