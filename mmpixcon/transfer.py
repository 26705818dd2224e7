"""Turn a self-supervised checkpoint into a ResNet backbone checkpoint for fine-tuning.

A PixCon (or mmpretrain MoCo / DenseCL / BYOL) checkpoint holds two copies of the
ResNet: the online encoder, trained by gradient, and the momentum (target) encoder,
an EMA of it. :func:`extract_backbone` picks one and strips its prefix, giving the
keys of mmpretrain's / mmdet's / mmseg's ``ResNet`` (``conv1.weight``,
``layer1.0.bn1.running_mean``, ...). :func:`to_torchvision` checks that those keys
are also those of ``torchvision.models.resnet*`` and returns them as a plain dict.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Mapping

import torch
from torch import Tensor

# Where each encoder's ResNet lives, per framework. mmpretrain 1.x wraps the momentum
# ``nn.Sequential(backbone, neck)`` in an EMA module (``.module.0.``): PixCon and BYOL
# call it ``target_net``, MoCo and DenseCL ``encoder_k``, MoCo v3 ``momentum_encoder``.
# mmselfsup 0.x (the official PixCon release) kept bare Sequentials.
ENCODER_PREFIXES: dict[str, tuple[str, ...]] = {
    'online': ('backbone.', 'online_net.0.', 'encoder_q.0.'),
    'momentum': ('target_net.module.0.', 'encoder_k.module.0.',
                 'momentum_encoder.module.0.', 'target_net.0.', 'encoder_k.0.'),
}

# ResNet parts torchvision does not have: mmcv's deep stem (ResNetV1c/d) and the
# average-pool shortcut (``avg_down``), whose conv is ``downsample.1``.
_TORCHVISION_ROOTS = ('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.', 'layer4.')
_TORCHVISION_DOWNSAMPLE = ('downsample.0.weight', 'downsample.1.')


def _top_level(keys: list[str]) -> list[str]:
    return sorted({key.split('.', 1)[0] for key in keys})


def _strip(keys: list[str], values: list[Tensor], prefix: str) -> OrderedDict[str, Tensor]:
    return OrderedDict((key[len(prefix):], value) for key, value in zip(keys, values)
                       if key.startswith(prefix))


def _same(a: Mapping[str, Tensor], b: Mapping[str, Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)


def extract_backbone(state_dict: Mapping[str, Tensor],
                     encoder: str = 'online') -> OrderedDict[str, Tensor]:
    """The ResNet weights of one encoder, with the encoder's prefix removed.

    Args:
        state_dict: the ``state_dict`` of a self-supervised checkpoint
            (a leading ``module.`` from a DDP-wrapped save is tolerated).
        encoder: ``'online'`` or ``'momentum'``.

    Raises:
        ValueError: unknown ``encoder``; the checkpoint has no such encoder; or it
            holds two different candidates (mmselfsup 0.x saves the online ResNet
            twice, as ``backbone.`` and ``encoder_q.0.``: identical copies are fine).
    """
    if encoder not in ENCODER_PREFIXES:
        raise ValueError(f'encoder must be one of {sorted(ENCODER_PREFIXES)}, got {encoder!r}')
    keys = [key[len('module.'):] if key.startswith('module.') else key for key in state_dict]
    found = [prefix for prefix in ENCODER_PREFIXES[encoder]
             if any(key.startswith(prefix) for key in keys)]
    if not found:
        raise ValueError(
            f'no {encoder} encoder in this checkpoint: expected keys starting with one of '
            f'{ENCODER_PREFIXES[encoder]}, found top-level names {_top_level(keys)}')
    values = list(state_dict.values())
    first, *others = (_strip(keys, values, prefix) for prefix in found)
    if not all(_same(first, other) for other in others):
        raise ValueError(f'ambiguous checkpoint: {found} all look like the {encoder} '
                         'encoder but hold different weights')
    return first


def to_torchvision(backbone: Mapping[str, Tensor]) -> OrderedDict[str, Tensor]:
    """The same weights as a plain torchvision ResNet state dict (without ``fc``).

    mmcv-style ResNet keys already follow torchvision's names; this checks that the
    backbone uses no part torchvision lacks and returns an ordinary ``OrderedDict``.

    Raises:
        ValueError: a key torchvision's ResNet does not have (deep stem, avg_down, ...).
    """
    foreign = [key for key in backbone
               if not key.startswith(_TORCHVISION_ROOTS)
               or ('downsample.' in key and not key.split('.', 2)[2].startswith(
                   _TORCHVISION_DOWNSAMPLE))]
    if foreign:
        raise ValueError(f'{len(foreign)} keys have no torchvision ResNet counterpart '
                         f'(deep stem or avg_down ResNet?), e.g. {foreign[:3]}')
    return OrderedDict(backbone)
