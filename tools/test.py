#!/usr/bin/env python
"""Test a checkpoint from an MMEngine config: any config of mmpixcon, mmvsumm or
mms2l, and plain mmpretrain / mmdet / mmseg configs. Same arguments as OpenMMLab's."""
import argparse
import sys
from typing import Sequence

from mmcontrast.errors import exit_on_input_error
from mmcontrast.runner import add_common_args, test


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


def main(argv: Sequence[str] | None = None) -> None:
    test(parse_args(argv))


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='test.py'))
