#!/usr/bin/env python
"""Convert a PixCon (or mmpretrain MoCo / DenseCL / BYOL) checkpoint into a
backbone-only ResNet checkpoint for fine-tuning.

    python tools/model_converters/pixcon2det.py work_dirs/pixcon_sr/epoch_800.pth \\
        work_dirs/pixcon_backbone.pth [--encoder online|momentum] \\
        [--format mmcls|torchvision|detectron2] [--overwrite]

``mmcls`` (default) writes ``{'meta': ..., 'state_dict': ...}`` with mmcv ResNet keys,
which mmdet / mmseg load through ``init_cfg=dict(type='Pretrained', checkpoint=...)``
(the configs of configs/pixcon/benchmarks). ``torchvision`` writes a plain state dict
that ``torchvision.models.resnet50`` loads (only ``fc`` missing). ``detectron2`` writes
a ``.pkl`` in Detectron2's model-zoo format (``model`` with Detectron2's ResNet names,
``__author__``, ``matching_heuristics``), for ``MODEL.WEIGHTS``.

DST must not be SRC (any spelling, symlink or hard link) and must not exist unless
``--overwrite``; bad input exits with code 2 and a message naming it.
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from mmcontrast.errors import exit_on_input_error
from mmpixcon.transfer import FORMATS, convert_checkpoint


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='self-supervised checkpoint (.pth, path or URL)')
    parser.add_argument('dst', help='where to write the backbone checkpoint')
    parser.add_argument('--encoder', choices=('online', 'momentum'), default='online',
                        help='online (as the official PixCon release, default) or the '
                        'momentum/target encoder (as SlotCon transfers)')
    parser.add_argument('--format', choices=FORMATS, default='mmcls',
                        help='mmcls: mmengine checkpoint with mmcv ResNet keys for mmdet / '
                        'mmseg (default); torchvision: plain torchvision ResNet state dict; '
                        'detectron2: Detectron2 model-zoo .pkl')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing DST (never SRC itself)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        out = convert_checkpoint(args.src, args.dst, args.encoder, args.format,
                                 overwrite=args.overwrite)
    except FileNotFoundError as err:
        raise SystemExit(f'pixcon2det: {err}') from err
    weights = out.get('state_dict', out.get('model', out))
    print(f'wrote {len(weights)} tensors of the {args.encoder} backbone to {args.dst} '
          f'({args.format} format)')


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='pixcon2det'))
