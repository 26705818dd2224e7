"""ImageNet backbones that turn RGB frames into one feature vector each."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import VSummInputError

__all__ = ['FrameEncoder', 'build_backbone', 'DEFAULT_BACKBONE']

DEFAULT_BACKBONE = 'efficientnet-lite0'
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class FrameEncoder(nn.Module):
    """Normalises ``[0, 1]`` RGB and returns pooled features.  # (B, 3, H, W) -> (B, D)"""

    def __init__(self, body: nn.Module, mean: tuple, std: tuple, pool_maps: bool) -> None:
        super().__init__()
        self.body = body.eval()
        self.pool_maps = pool_maps
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1))

    @torch.no_grad()
    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        if rgb.ndim != 4 or rgb.shape[1] != 3:
            raise VSummInputError(f'frames must be RGB batches (B, 3, H, W); got shape '
                                  f'{tuple(rgb.shape)} (a channel axis is missing or not first)')
        out = self.body((rgb - self.mean) / self.std)
        return out.mean(dim=(2, 3)) if self.pool_maps else out.flatten(1)


class _EfficientNetFeatures(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.extract_features(x)  # (B, 1280, H/32, W/32)


def _load_state(path: Path) -> dict:
    """A local state dict (``.pth``/``.pt`` loaded weights-only, or ``.safetensors``)."""
    if not path.is_file():
        raise VSummInputError(f'{path}: no such weights file')
    try:
        if path.suffix == '.safetensors':
            from safetensors.torch import load_file
            return load_file(str(path))
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:
        raise VSummInputError(f'{path}: cannot load weights ({exc})') from exc
    return state.get('state_dict', state) if isinstance(state, dict) else state


def _torchvision(name: str, weights: str | Path | None) -> FrameEncoder:
    import torchvision
    if name not in torchvision.models.list_models(module=torchvision.models):
        raise VSummInputError(f'unknown backbone {name!r}; use {DEFAULT_BACKBONE!r} or a '
                              'torchvision classification model name (googlenet, resnet50, ...)')
    if weights is None:
        raise VSummInputError(
            f'backbone {name!r} needs its ImageNet weights, which cannot be downloaded '
            f'here: pass --weights /path/to/{name}.pth (a torchvision state dict) or use '
            f'the offline default {DEFAULT_BACKBONE!r}')
    with_aux = name in ('googlenet', 'inception_v3')  # their weight files hold the aux heads
    extra = dict(aux_logits=True, init_weights=False) if with_aux else {}
    model = torchvision.models.get_model(name, weights=None, **extra)
    try:
        model.load_state_dict(_load_state(Path(weights)))
    except RuntimeError as exc:
        raise VSummInputError(f'{weights}: does not fit {name} ({exc})') from exc
    for attr in ('aux1', 'aux2', 'AuxLogits'):
        if hasattr(model, attr):
            setattr(model, attr, None)
    if hasattr(model, 'aux_logits'):
        model.aux_logits = False
    for head in ('fc', 'classifier', 'heads', 'head'):
        if hasattr(model, head):
            setattr(model, head, nn.Identity())
            break
    return FrameEncoder(model, _IMAGENET_MEAN, _IMAGENET_STD, pool_maps=False)


def _timm(name: str, weights: str | Path | None) -> FrameEncoder:
    """A timm model (``timm:<name>``) with its classifier removed, from local weights."""
    try:
        import timm
    except ImportError as exc:
        raise VSummInputError(f'backbone timm:{name} needs the timm package '
                              '(pip install timm)') from exc
    if not timm.is_model(name):
        raise VSummInputError(f'unknown timm model {name!r} (see timm.list_models())')
    if weights is None:
        raise VSummInputError(
            f'backbone timm:{name} needs its weights, which cannot be downloaded here: pass '
            f'--weights /path/to/{name}.safetensors (or .pth, a timm state dict)')
    model = timm.create_model(name, pretrained=False)
    try:
        model.load_state_dict(_load_state(Path(weights)))
    except RuntimeError as exc:
        raise VSummInputError(f'{weights}: does not fit timm:{name} ({exc})') from exc
    model.reset_classifier(0)  # pooled pre-logits features  # (B, num_features)
    cfg = model.pretrained_cfg
    return FrameEncoder(model, tuple(cfg.get('mean', _IMAGENET_MEAN)),
                        tuple(cfg.get('std', _IMAGENET_STD)), pool_maps=False)


def build_backbone(name: str = DEFAULT_BACKBONE, weights: str | Path | None = None) -> FrameEncoder:
    """A frozen frame encoder.

    ``efficientnet-lite0`` (default, offline): the real ImageNet weights of the
    EfficientNet-Lite0 asset package, 1280-d. Any torchvision classification model
    (``googlenet`` gives the 1024-d pool5 of the standard h5 files, ``resnet50``
    2048-d, ...) with its classifier removed, from a local ``weights`` file; any timm
    model as ``timm:<name>`` (its own normalisation, pooled pre-logits features), also
    from a local ``weights`` file (``.safetensors`` or ``.pth``).
    """
    if name == DEFAULT_BACKBONE:
        if weights is not None:
            raise VSummInputError(f'{DEFAULT_BACKBONE} uses the weights of its asset '
                                  'package; --weights is for torchvision backbones')
        from mmcontrast.assets import (EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD,
                                       efficientnet_lite0)
        return FrameEncoder(_EfficientNetFeatures(efficientnet_lite0()),
                            EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, pool_maps=True)
    if name.startswith('timm:'):
        return _timm(name[len('timm:'):], weights)
    return _torchvision(name, weights)
