#!/usr/bin/env python
"""Train from an MMEngine config: any config of mmpixcon, mmvsumm or mms2l, and
plain mmpretrain / mmdet / mmseg configs. Same arguments as OpenMMLab's tools."""
import argparse
import os.path as osp
import sys
from typing import Sequence

import torch
from cli_common import add_common_args, build_runner, load_config
from mmcontrast.compat import checkpoints_in
from mmcontrast.errors import InputError, exit_on_input_error
from mmengine.config import Config
from mmengine.device import is_mlu_available, is_npu_available

INTERVAL_KEY = 'default_hooks.checkpoint.interval'


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
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
    parser.add_argument('--overwrite-work-dir', action='store_true',
                        help='start a new run in a work dir that holds checkpoints of an '
                        'earlier one, replacing them (without it, such a work dir is refused)')
    add_common_args(parser)
    return parser.parse_args(argv)


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


def check_checkpoint_interval(cfg: Config) -> None:
    """Refuse a checkpoint hook that would save nothing before the end of training
    (mmengine's ``CheckpointHook`` takes ``interval <= 0``, its default -1, as never)."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if not isinstance(hook, dict):  # None: the hook is switched off on purpose
        return
    interval = hook.get('interval', -1)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise InputError(f'{INTERVAL_KEY}={interval!r}: training would save no intermediate '
                         'checkpoint; set it to a positive number of '
                         f'{"epochs" if hook.get("by_epoch", True) else "iterations"} '
                         f'(--cfg-options {INTERVAL_KEY}=N)')


def refuse_to_overwrite_checkpoints(cfg: Config, args: argparse.Namespace) -> None:
    """A run that does not resume must not overwrite an earlier run's checkpoints."""
    if cfg.get('resume') or args.overwrite_work_dir:
        return
    folders = [cfg.work_dir]
    out_dir = ((cfg.get('default_hooks') or {}).get('checkpoint') or {}).get('out_dir')
    if out_dir:  # CheckpointHook saves to out_dir/<name of the work dir>
        folders.append(osp.join(out_dir, osp.basename(osp.normpath(cfg.work_dir))))
    found = [path for folder in folders for path in checkpoints_in(folder)]
    if found:
        names = ', '.join(osp.basename(path) for path in found[:4])
        raise InputError(
            f'--work-dir {cfg.work_dir}: holds checkpoints of an earlier run ({names}'
            f'{", ..." if len(found) > 4 else ""}) that this run would overwrite. Pass '
            '--resume to continue that run, choose a fresh --work-dir (e.g. '
            f'{osp.join(cfg.work_dir, "run2")}) to keep it, or pass --overwrite-work-dir '
            'to start over and replace them.')


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    cfg = apply_train_args(load_config(args), args)
    check_checkpoint_interval(cfg)
    refuse_to_overwrite_checkpoints(cfg, args)
    build_runner(cfg).train()


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='train.py'))
