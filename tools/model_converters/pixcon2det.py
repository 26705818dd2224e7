#!/usr/bin/env python
"""Convert a PixCon (or mmpretrain MoCo / DenseCL / BYOL) checkpoint into a
backbone-only ResNet checkpoint for the transfer configs of configs/pixcon/benchmarks.

    python tools/model_converters/pixcon2det.py work_dirs/pixcon_sr/epoch_800.pth \\
        work_dirs/pixcon_sr_backbone.pth [--encoder online|momentum] [--format mmcls|torchvision]

``mmcls`` (default) writes ``{'meta': ..., 'state_dict': ...}`` with mmcv ResNet keys,
which mmdet / mmseg load through ``init_cfg=dict(type='Pretrained', checkpoint=...)``.
``torchvision`` writes a plain state dict that ``torchvision.models.resnet50`` loads
(``strict`` except for the missing ``fc``); detectron2 users convert that file further
with detectron2's own torchvision converter.
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Optional, Sequence

import torch

FORMATS = ('mmcls', 'torchvision')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='self-supervised checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the backbone checkpoint')
    parser.add_argument('--encoder', choices=('online', 'momentum'), default='online',
                        help='online (as the official PixCon release, default) or the '
                        'momentum/target encoder (as SlotCon transfers)')
    parser.add_argument('--format', choices=FORMATS, default='mmcls',
                        help='mmcls: mmengine checkpoint with mmcv ResNet keys (default); '
                        'torchvision: plain torchvision ResNet state dict')
    return parser.parse_args(argv)


def convert(src: str, dst: str, encoder: str = 'online',
            fmt: str = 'mmcls') -> dict[str, Any]:
    """Read ``src`` (weights only), write the chosen backbone to ``dst``; return what
    was written."""
    import mmcontrast  # noqa: F401  first: weights-only loading of mmengine checkpoints
    from mmengine.runner.checkpoint import _load_checkpoint
    from mmpixcon.transfer import extract_backbone, to_torchvision
    if fmt not in FORMATS:
        raise ValueError(f'format must be one of {FORMATS}, got {fmt!r}')
    checkpoint = _load_checkpoint(src, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{src} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    backbone = extract_backbone(checkpoint.get('state_dict', checkpoint), encoder)
    if fmt == 'torchvision':
        out: dict[str, Any] = to_torchvision(backbone)
    else:
        meta = dict(converted_from=os.path.basename(src), encoder=encoder,
                    converter='tools/model_converters/pixcon2det.py')
        out = dict(meta=meta, state_dict=backbone)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    torch.save(out, dst)
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        out = convert(args.src, args.dst, args.encoder, args.format)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'pixcon2det: {err}') from err
    weights = out.get('state_dict', out)
    print(f'wrote {len(weights)} tensors of the {args.encoder} backbone to {args.dst} '
          f'({args.format} format)')


if __name__ == '__main__':
    main()
