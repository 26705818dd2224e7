"""Vision towers: frames (N, 3, H, W) -> patch features (N, K, C).

* :class:`InstructBlipVisionTower` - the InstructBLIP vision model (its default
  config is EVA ViT-g/14), raw features of a chosen layer with the CLS token dropped.
* :class:`CNNVisionTower` - any CNN whose feature function returns (N, C, h, w)
  maps; the h*w positions become the patches.
* :class:`PrecomputedFeatures` - the frames already are patch features.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..registry import MODELS


class _FrozenMixin:
    """Freezing helper: a frozen tower stays in eval mode (no BN/dropout updates)."""
    frozen: bool

    def train(self, mode: bool = True):
        return super().train(mode and not self.frozen)  # type: ignore[misc]

    def _freeze(self, frozen: bool) -> None:
        self.frozen = frozen
        if frozen:
            for param in self.parameters():  # type: ignore[attr-defined]
                param.requires_grad_(False)
            self.train(False)


@MODELS.register_module()
class InstructBlipVisionTower(_FrozenMixin, nn.Module):
    """InstructBLIP vision model (EVA ViT) returning one layer's raw patch tokens.

    E.T.Chat reads EVA ViT-g/14 at its layer -2, i.e. the output of block 39 of 40,
    without a final norm. InstructBLIP's vision model keeps exactly those 39 blocks,
    so that feature is ``hidden_states[-1]`` here (``select_layer=-1``), taken before
    ``post_layernorm``; that norm (BLIP-2's ``ln_vision``) belongs to the Q-Former's
    input and lives in the compressor (:class:`QFormerFrameCompressor`).

    Args:
        config: kwargs of ``InstructBlipVisionConfig`` (used when ``pretrained`` is None).
        pretrained: local directory of an ``InstructBlipVisionModel`` checkpoint.
        select_layer: index into the hidden states (0 = embeddings, -1 = last block).
        frozen: freeze the weights.
    """

    def __init__(self, config: dict | None = None, pretrained: str | None = None,
                 select_layer: int = -1, frozen: bool = True) -> None:
        super().__init__()
        from transformers import InstructBlipVisionConfig, InstructBlipVisionModel
        if pretrained is not None:
            self.model = InstructBlipVisionModel.from_pretrained(pretrained)
        else:
            self.model = InstructBlipVisionModel(InstructBlipVisionConfig(**(config or {})))
        self.select_layer = select_layer
        self.out_channels = self.model.config.hidden_size
        self.image_size = self.model.config.image_size
        self._freeze(frozen)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (N, 3, S, S) with S = the model's ``image_size`` -> patches (N, K, C), CLS dropped."""
        if frames.ndim != 4 or tuple(frames.shape[1:]) != (3, self.image_size, self.image_size):
            raise ValueError(f'the InstructBLIP vision tower takes frames (N, 3, {self.image_size}, '
                             f'{self.image_size}), got {tuple(frames.shape)}; resize the frames to '
                             f'{self.image_size} (the checkpoint\'s preprocessing frame_size)')
        out = self.model(pixel_values=frames, output_hidden_states=True)
        return out.hidden_states[self.select_layer][:, 1:]


@MODELS.register_module()
class CNNVisionTower(_FrozenMixin, nn.Module):
    """Adapter for a CNN backbone: its (N, C, h, w) feature maps become (N, h*w, C) patches.

    Args:
        backbone: a config of a registered backbone builder (``torchvision_backbone``,
            ``efficientnet_lite0_backbone``) or a module.
        feature_method: name of the backbone's method returning feature maps; None
            calls the backbone itself.
        frozen: freeze the weights.
    """

    def __init__(self, backbone: dict | nn.Module, feature_method: str | None = None,
                 frozen: bool = True) -> None:
        super().__init__()
        self.backbone = MODELS.build(backbone) if isinstance(backbone, dict) else backbone
        self.feature_method = feature_method
        self.backbone.eval()  # the probe must not touch BN statistics
        with torch.no_grad():
            probe = self._features(torch.zeros(1, 3, 64, 64))
        if probe.ndim != 4:
            raise ValueError(f'the backbone must return (N, C, h, w) maps, got {tuple(probe.shape)}')
        self.out_channels = probe.shape[1]
        self._freeze(frozen)

    def _features(self, frames: torch.Tensor) -> torch.Tensor:
        fn: Callable = (getattr(self.backbone, self.feature_method) if self.feature_method
                        else self.backbone)
        return fn(frames)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (N, 3, H, W) -> patches (N, h*w, C)."""
        return self._features(frames).flatten(2).transpose(1, 2)


@MODELS.register_module()
class PrecomputedFeatures(nn.Module):
    """Pass-through tower for inputs that already are patch features (N, K, C)."""

    def __init__(self, out_channels: int) -> None:
        super().__init__()
        self.out_channels = out_channels

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.ndim != 3 or frames.shape[-1] != self.out_channels:
            raise ValueError(f'expected precomputed features (N, K, {self.out_channels}), '
                             f'got {tuple(frames.shape)}')
        return frames


@MODELS.register_module()
def torchvision_backbone(arch: str, checkpoint: str | None = None) -> nn.Module:
    """A torchvision classification CNN without its pooling and classifier.

    ``checkpoint`` is a local state-dict file of the full classifier (never downloaded).
    """
    import torchvision
    model = torchvision.models.get_model(arch, weights=None)
    if checkpoint is not None:
        model.load_state_dict(torch.load(checkpoint, map_location='cpu', weights_only=True))
    if hasattr(model, 'features'):  # VGG, MobileNet, EfficientNet, ConvNeXt, ...
        return model.features
    children = list(model.children())  # ResNet-like: drop avgpool and fc
    return nn.Sequential(*children[:-2])


@MODELS.register_module()
def efficientnet_lite0_backbone() -> nn.Module:
    """The real ImageNet EfficientNet-Lite0 of the offline assets (use
    ``feature_method='extract_features'``; inputs normalised with mean = std = 0.5)."""
    from mmcontrast.assets import efficientnet_lite0
    return efficientnet_lite0()
