#!/usr/bin/env python
"""Test a checkpoint from an MMEngine config: any config of mmpixcon, mmvsumm or
mms2l, and plain mmpretrain / mmdet / mmseg configs. Same arguments as OpenMMLab's."""
import argparse
import contextlib
import sys
from typing import Sequence

from cli_common import add_common_args, build_runner, load_config
from mmcontrast.errors import exit_on_input_error
from mmcontrast.fileio import atomic_path, refuse_existing
from mmengine.config import Config
from mmengine.dist import get_rank
from mmengine.evaluator import DumpResults


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out file (refused without it)')
    parser.add_argument('--show-dir', help='save drawn predictions under this dir '
                        '(configs with a visualization hook)')
    parser.add_argument('--amp', action='store_true', help='test with mixed precision')
    add_common_args(parser)
    args = parser.parse_args(argv)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error('--out must be a .pkl or .pickle file')
    return args


def apply_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the test-only options into the config."""
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


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.out is not None:
        refuse_existing(args.out, args.overwrite, '--out', '--overwrite')
    runner = build_runner(apply_test_args(load_config(args), args))
    with contextlib.ExitStack() as stack:
        if args.out is not None:  # rank 0 dumps: through the atomic writer
            dump = str(stack.enter_context(atomic_path(args.out))) if get_rank() == 0 \
                else args.out
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=dump))
        runner.test()


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='test.py'))
