"""What ``tools/train.py`` and ``tools/test.py`` do between parsing and running:
the common options, the config with the options folded in, the data-safety checks
of a training run, and the Runner the config asks for."""
from __future__ import annotations

import argparse
import contextlib
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .checkpoint import checkpoints_in
from .errors import InputError
from .fileio import atomic_path, refuse_existing
from .launcher import exit_with_launcher

__all__ = ['add_common_args', 'load_config', 'build_runner', 'apply_train_args',
           'check_checkpoint_interval', 'refuse_to_overwrite_checkpoints', 'train',
           'apply_test_args', 'test']

INTERVAL_KEY = 'default_hooks.checkpoint.interval'


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """--work-dir, --cfg-options, --launcher and the launcher's --local-rank."""
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and metrics')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """The config file ``args.config`` with the common options folded in."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.launcher == 'pytorch':  # a SIGKILLed torchrun must not leave us orphaned
        exit_with_launcher()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The config's own runner type when it names one, else mmengine's Runner."""
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def apply_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the training-only options (--amp, --auto-scale-lr, --no-validate,
    --resume) into the config."""
    import torch
    from mmengine.device import is_mlu_available, is_npu_available
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


def refuse_to_overwrite_checkpoints(cfg: Config, overwrite_work_dir: bool = False) -> None:
    """A run that does not resume must not overwrite an earlier run's checkpoints
    (in ``cfg.work_dir`` or the checkpoint hook's ``out_dir``), unless
    ``overwrite_work_dir``."""
    if cfg.get('resume') or overwrite_work_dir:
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


def train(args: argparse.Namespace) -> None:
    """``tools/train.py``: the config, checked, trained by its Runner."""
    cfg = apply_train_args(load_config(args), args)
    check_checkpoint_interval(cfg)
    refuse_to_overwrite_checkpoints(cfg, args.overwrite_work_dir)
    build_runner(cfg).train()


def apply_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the test-only options (checkpoint, --amp, --show-dir) into the config."""
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.show_dir is not None:
        visualization = cfg.get('default_hooks', {}).get('visualization')
        if visualization is None:
            raise RuntimeError('--show-dir needs a `default_hooks.visualization` hook '
                               'in the config')
        visualization.update(draw=True, test_out_dir=args.show_dir)
    return cfg


def test(args: argparse.Namespace) -> None:
    """``tools/test.py``: the checkpoint tested by the config's Runner; ``--out``
    (refused when it exists, unless ``--overwrite``) is dumped by rank 0 through the
    atomic writer."""
    from mmengine.dist import get_rank
    from mmengine.evaluator import DumpResults
    if args.out is not None:
        refuse_existing(args.out, args.overwrite, '--out', '--overwrite')
    runner = build_runner(apply_test_args(load_config(args), args))
    with contextlib.ExitStack() as stack:
        if args.out is not None:
            dump = str(stack.enter_context(atomic_path(args.out))) if get_rank() == 0 \
                else args.out
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=dump))
        runner.test()
