"""Backbone features of a pre-trained checkpoint, for the figure tools."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import PixConInputError


def load_model(config: str | Path, checkpoint: str | Path | None,
               device: str = 'cpu') -> nn.Module:
    """Build the model of an mmpretrain/mmpixcon config and load a checkpoint into it.

    Any self-supervised model with a ``backbone`` works (PixCon, DenseCL, MoCo, BYOL).
    ``checkpoint=None`` keeps the random initialisation (a "before training" column).
    SyncBN layers are built as plain BN, so configs meant for GPUs load on a CPU.

    A checkpoint may hold the whole model (``backbone.*`` keys, as training writes it)
    or a backbone only (``conv1.weight``, ..., as ``tools/model_converters`` writes it).

    Raises:
        PixConInputError: the model has no ``backbone``, or the checkpoint lacks backbone
            weights or has weights of other shapes (the file is named).
    """
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmpixcon  # noqa: F401  registers PixCon into mmpretrain's registries

    cfg = Config.fromfile(str(config))
    scope = cfg.get('default_scope', 'mmpretrain')
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    model = revert_sync_batchnorm(model)
    if not hasattr(model, 'backbone'):
        raise PixConInputError(f'{config}: the model ({type(model).__name__}) has no backbone')
    if checkpoint is not None:
        _load_backbone(model, Path(checkpoint))
    return model.to(device).eval()


def _load_backbone(model: nn.Module, checkpoint: Path) -> None:
    from mmengine.runner.checkpoint import _load_checkpoint

    ckpt = _load_checkpoint(str(checkpoint), map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise PixConInputError(f'{checkpoint}: not a state dict or an mmengine checkpoint')
    whole = any(k.startswith('backbone.') for k in state)
    target = model if whole else model.backbone
    try:
        missing, _ = target.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches
        raise PixConInputError(
            f'{checkpoint}: weights do not fit this config\'s model: {err}') from err
    if whole:
        missing = [k for k in missing if k.startswith('backbone.')]
    if missing:
        raise PixConInputError(f'{checkpoint}: {len(missing)} backbone weights are missing '
                               f'(e.g. {missing[:3]}); is it a checkpoint of this config?')


@torch.no_grad()
def backbone_features(model: nn.Module, images: np.ndarray | list[np.ndarray]) -> Tensor:
    """Last backbone stage of RGB images.

    Args:
        model: from :func:`load_model`; its data preprocessor's mean/std (RGB) are used.
        images: (H, W, 3) uint8 RGB arrays of one size, or one such array.

    Returns:
        (B, C, h, w) float32 features on the model's device.
    """
    if isinstance(images, np.ndarray):
        images = [images]
    param = next(model.parameters())
    batch = torch.from_numpy(np.stack(images)).to(param.device).permute(0, 3, 1, 2).float()
    pre = getattr(model, 'data_preprocessor', None)
    if pre is not None and getattr(pre, '_enable_normalize', False):
        batch = (batch - pre.mean.view(1, 3, 1, 1)) / pre.std.view(1, 3, 1, 1)
    return model.backbone(batch)[-1].float()
