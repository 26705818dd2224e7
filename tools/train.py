#!/usr/bin/env python
"""Train from an MMEngine config: any config of mmpixcon, mmvsumm or mms2l, and
plain mmpretrain / mmdet / mmseg configs. Same arguments as OpenMMLab's tools."""
import argparse
import sys
from typing import Sequence

from mmcontrast.errors import exit_on_input_error
from mmcontrast.runner import add_common_args, train


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


def main(argv: Sequence[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='train.py'))
