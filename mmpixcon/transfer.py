"""Turn a self-supervised checkpoint into a ResNet backbone checkpoint for fine-tuning.

A PixCon (or mmpretrain MoCo / DenseCL / BYOL) checkpoint holds two copies of the
ResNet: the online encoder, trained by gradient, and the momentum (target) encoder,
an EMA of it. :func:`extract_backbone` picks one and strips its prefix, giving the
keys of mmpretrain's / mmdet's / mmseg's ``ResNet`` (``conv1.weight``,
``layer1.0.bn1.running_mean``, ...). Three output formats:

- ``mmcls``: ``{'meta', 'state_dict'}`` with those keys, for mmdet / mmseg / mmpretrain;
- ``torchvision``: the same keys as a plain state dict (:func:`to_torchvision`);
- ``detectron2``: a pickle in Detectron2's model-zoo format with its ResNet names
  (:func:`to_detectron2`), as the MoCo / DenseCL / SlotCon converters write.
"""
from __future__ import annotations

import importlib
import os
import pickle
import re
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np
import torch
from mmcontrast.fileio import atomic_path, refuse_existing
from torch import Tensor

from .errors import PixConInputError

# Where each encoder's ResNet lives, per framework. mmpretrain 1.x wraps the momentum
# ``nn.Sequential(backbone, neck)`` in an EMA module (``.module.0.``): PixCon and BYOL
# call it ``target_net``, MoCo and DenseCL ``encoder_k``, MoCo v3 ``momentum_encoder``.
# mmselfsup 0.x (the official PixCon release) kept bare Sequentials.
ENCODER_PREFIXES: dict[str, tuple[str, ...]] = {
    'online': ('backbone.', 'online_net.0.', 'encoder_q.0.'),
    'momentum': ('target_net.module.0.', 'encoder_k.module.0.',
                 'momentum_encoder.module.0.', 'target_net.0.', 'encoder_k.0.'),
}
FORMATS = ('mmcls', 'torchvision', 'detectron2')
# Detectron2 applies its Caffe2 renaming when the author is 'Caffe2'; anything else
# (MoCo writes 'MOCO') means "already Detectron2 names, match them by suffix".
DETECTRON2_AUTHOR = 'mmpixcon'

# ResNet parts torchvision does not have: mmcv's deep stem (ResNetV1c/d) and the
# average-pool shortcut (``avg_down``), whose conv is ``downsample.1``.
_TORCHVISION_ROOTS = ('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.', 'layer4.')
_TORCHVISION_DOWNSAMPLE = ('downsample.0.weight', 'downsample.1.')
# torchvision/mmcv ResNet key -> Detectron2 ResNet key. Detectron2 names the stages
# res2..res5, puts each BN inside its conv (``conv1.norm``; the stem's conv1 holds
# bn1) and calls the projection shortcut ``shortcut`` (+ ``shortcut.norm``).
_BLOCK_KEY = re.compile(r'layer(?P<stage>[1-4])\.(?P<block>\d+)\.(?P<part>conv\d|bn\d|'
                        r'downsample\.[01])\.(?P<leaf>\w+)$')
_STEM_KEY = re.compile(r'(?P<part>conv1|bn1)\.(?P<leaf>\w+)$')


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
        PixConInputError: unknown ``encoder``; the checkpoint has no such encoder; or it
            holds two different candidates (mmselfsup 0.x saves the online ResNet
            twice, as ``backbone.`` and ``encoder_q.0.``: identical copies are fine).
    """
    if encoder not in ENCODER_PREFIXES:
        raise PixConInputError(
            f'encoder must be one of {sorted(ENCODER_PREFIXES)}, got {encoder!r}')
    keys = [key[len('module.'):] if key.startswith('module.') else key for key in state_dict]
    found = [prefix for prefix in ENCODER_PREFIXES[encoder]
             if any(key.startswith(prefix) for key in keys)]
    if not found:
        raise PixConInputError(
            f'no {encoder} encoder in this checkpoint: expected keys starting with one of '
            f'{ENCODER_PREFIXES[encoder]}, found top-level names {_top_level(keys)}')
    values = list(state_dict.values())
    first, *others = (_strip(keys, values, prefix) for prefix in found)
    if not all(_same(first, other) for other in others):
        raise PixConInputError(f'ambiguous checkpoint: {found} all look like the {encoder} '
                               'encoder but hold different weights')
    return first


def to_torchvision(backbone: Mapping[str, Tensor]) -> OrderedDict[str, Tensor]:
    """The same weights as a plain torchvision ResNet state dict (without ``fc``).

    mmcv-style ResNet keys already follow torchvision's names; this checks that the
    backbone uses no part torchvision lacks and returns an ordinary ``OrderedDict``.

    Raises:
        PixConInputError: a key torchvision's ResNet does not have (deep stem, avg_down, ...).
    """
    foreign = [key for key in backbone
               if not key.startswith(_TORCHVISION_ROOTS)
               or ('downsample.' in key and not key.split('.', 2)[2].startswith(
                   _TORCHVISION_DOWNSAMPLE))]
    if foreign:
        raise PixConInputError(f'{len(foreign)} keys have no torchvision ResNet counterpart '
                               f'(deep stem or avg_down ResNet?), e.g. {foreign[:3]}')
    return OrderedDict(backbone)


def _detectron2_name(key: str) -> str:
    """``layer1.0.bn2.weight`` -> ``res2.0.conv2.norm.weight`` (see module notes)."""
    stem = _STEM_KEY.fullmatch(key)
    if stem:
        return f'stem.conv1.{"norm." if stem["part"] == "bn1" else ""}{stem["leaf"]}'
    block = _BLOCK_KEY.fullmatch(key)
    if block is None:
        raise PixConInputError(f'{key!r} is not a key of a torchvision-layout ResNet')
    part = block['part']
    if part.startswith('bn'):
        part = f'conv{part[2:]}.norm'
    elif part.startswith('downsample'):
        part = 'shortcut' if part.endswith('0') else 'shortcut.norm'
    return f'res{int(block["stage"]) + 1}.{block["block"]}.{part}.{block["leaf"]}'


def to_detectron2(backbone: Mapping[str, Tensor]) -> dict[str, np.ndarray]:
    """The weights under Detectron2's ResNet names, as numpy arrays (its pickle format).

    ``conv1`` / ``bn1`` -> ``stem.conv1`` / ``stem.conv1.norm``; ``layer{i}`` ->
    ``res{i+1}``; ``bn{j}`` -> ``conv{j}.norm``; ``downsample.0`` / ``.1`` ->
    ``shortcut`` / ``shortcut.norm``. Detectron2's loader matches these names as
    suffixes of its model's keys (``backbone.bottom_up.res2.0.conv1.weight``; in a C4
    model ``roi_heads.res5.*``).

    Raises:
        PixConInputError: a ResNet torchvision (and so Detectron2's ``ResNet``) cannot hold.
    """
    return {_detectron2_name(key): value.detach().cpu().numpy()
            for key, value in to_torchvision(backbone).items()}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = module in ('numpy', 'numpy.core.multiarray', 'numpy._core.multiarray',
                             'numpy.core.numeric', 'numpy._core.numeric', 'numpy.dtypes')
        obj = getattr(importlib.import_module(module), name, None) if allowed else None
        multiarray = (np._core if hasattr(np, '_core') else np.core)
        safe = (np.ndarray, np.dtype, multiarray.multiarray._reconstruct,
                multiarray.multiarray.scalar, getattr(multiarray.numeric, '_frombuffer', None))
        if obj is None or not (any(obj is s for s in safe)
                               or (isinstance(obj, type) and issubclass(obj, np.dtype))):
            raise pickle.UnpicklingError(f'refusing to unpickle {module}.{name}: a Detectron2 '
                                         'weights file holds only numpy arrays')
        return obj


def read_detectron2(path: str) -> dict[str, Any]:
    """A Detectron2 ``.pkl`` weights file, unpickling nothing but numpy arrays.

    Raises:
        pickle.UnpicklingError: the file pickles anything else (never executed).
    """
    with open(path, 'rb') as f:
        return _ArrayUnpickler(f, encoding='latin1').load()


def refuse_same_file(src: str, dst: str) -> None:
    """Refuse a ``dst`` that is ``src`` itself (the same path in another spelling, a
    symlink to it, or a hard link: the same inode), which the conversion would replace
    by its backbone.

    Raises:
        PixConInputError: naming both paths.
    """
    if '://' in src:  # a URL is never a local file the output could replace
        return
    same = os.path.realpath(src) == os.path.realpath(dst)
    if not same and os.path.exists(src) and os.path.exists(dst):
        same = os.path.samefile(src, dst)
    if same:
        raise PixConInputError(f'DST {dst} is the same file as SRC {src}: writing the backbone '
                               'there would destroy the training checkpoint; choose another DST')


def convert_checkpoint(src: str, dst: str, encoder: str = 'online', fmt: str = 'mmcls',
                       overwrite: bool = False) -> dict[str, Any]:
    """Read ``src`` (weights only, any mmengine scheme), write one encoder's ResNet to
    ``dst`` in format ``fmt`` (one of :data:`FORMATS`) through the project's atomic
    writer; return what was written. Everything is checked before ``src`` is read.

    Raises:
        PixConInputError: unknown format, a Detectron2 file not named ``*.pkl``
            (Detectron2 picks its reader by the extension), ``dst`` is ``src``
            (:func:`refuse_same_file`), or see :func:`extract_backbone`.
        InputError: ``dst`` exists and not ``overwrite``.
    """
    import mmcontrast  # noqa: F401  first: weights-only loading of mmengine checkpoints
    from mmengine.runner.checkpoint import _load_checkpoint
    if fmt not in FORMATS:
        raise PixConInputError(f'format must be one of {FORMATS}, got {fmt!r}')
    if fmt == 'detectron2' and not dst.endswith('.pkl'):
        raise PixConInputError(f'{dst}: Detectron2 reads its model-zoo format only from '
                               'files named *.pkl')
    refuse_same_file(src, dst)
    refuse_existing(dst, overwrite, option='DST')
    checkpoint = _load_checkpoint(src, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise PixConInputError(f'{src} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    backbone = extract_backbone(checkpoint.get('state_dict', checkpoint), encoder)
    out: dict[str, Any]
    if fmt == 'detectron2':
        out = dict(model=to_detectron2(backbone), __author__=DETECTRON2_AUTHOR,
                   matching_heuristics=True)
    elif fmt == 'torchvision':
        out = to_torchvision(backbone)
    else:
        meta = dict(converted_from=os.path.basename(src), encoder=encoder,
                    converter='tools/model_converters/pixcon2det.py')
        out = dict(meta=meta, state_dict=backbone)
    with atomic_path(dst) as tmp, open(tmp, 'wb') as f:
        if fmt == 'detectron2':
            pickle.dump(out, f)
        else:
            torch.save(out, f)
    return out
