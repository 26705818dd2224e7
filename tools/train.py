#!/usr/bin/env python
"""Train from an MMEngine config: any config of mmpixcon, mmvsumm or mms2l, and
plain mmpretrain / mmdet / mmseg configs. Same arguments as OpenMMLab's tools."""
import argparse

import torch
from cli_common import add_common_args, build_runner, load_config
from mmengine.config import Config
from mmengine.device import is_mlu_available, is_npu_available


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the '
        'work dir when no path is given')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    add_common_args(parser)
    return parser.parse_args()


def apply_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the training-only options into the config."""
    if args.amp:
        if not (torch.cuda.is_available() or is_npu_available() or is_mlu_available()):
            raise SystemExit('--amp: mmengine mixed precision (AmpOptimWrapper) needs a '
                             'CUDA, NPU or MLU device; this machine has none')
        if cfg.optim_wrapper.get('type', 'OptimWrapper') not in ('AmpOptimWrapper',
                                                                'mmengine.AmpOptimWrapper'):
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError('--auto-scale-lr needs `auto_scale_lr.base_batch_size` '
                               'in the config')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def main() -> None:
    args = parse_args()
    build_runner(apply_train_args(load_config(args), args)).train()


if __name__ == '__main__':
    main()
