"""Command-line pieces shared by tools/pixcon/vis_*.py."""
from __future__ import annotations

import argparse

from mmcontrast.argtypes import finite_float
from mmcontrast.fileio import refuse_existing

from .features import load_model
from .figures import Named


def add_model_args(parser: argparse.ArgumentParser, many: bool = True) -> None:
    """``--model LABEL CONFIG CHECKPOINT`` (repeatable when ``many``), ``--device``."""
    parser.add_argument(
        '--model', nargs=3, action='append' if many else 'store', required=True,
        metavar=('LABEL', 'CONFIG', 'CHECKPOINT'),
        help='a label, the pre-training config and its checkpoint (a full mmengine '
             "checkpoint or a converted backbone; 'none' = random initialisation)"
             + ('; repeat for more columns/rows' if many else ''))
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")


def load_models(specs: list[list[str]], device: str) -> list[Named]:
    """[(label, model)] for the ``--model`` triples."""
    return [(label, load_model(config, None if ckpt.lower() == 'none' else ckpt, device))
            for label, config, ckpt in specs]


def add_output_args(parser: argparse.ArgumentParser, default_size: int) -> None:
    """``--out`` (+ ``--overwrite``), ``--size`` (network input side) and ``--panel``
    (pixels per panel)."""
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    parser.add_argument('--size', type=int, default=default_size,
                        help='side of the square network input (default %(default)s)')
    parser.add_argument('--panel', type=int, default=256,
                        help='pixel side of each panel of the figure (default %(default)s)')


def add_crop_args(parser: argparse.ArgumentParser) -> None:
    """``--scale`` (crop area range, finite fractions in (0, 1]) and ``--seed``."""
    parser.add_argument('--scale', type=finite_float(0, 1, low_open=True), nargs=2,
                        default=(0.08, 1.0), metavar=('MIN', 'MAX'),
                        help="crop area range (default: training's 0.08 1)")
    parser.add_argument('--seed', type=int, default=0, help='seed of the crops')


def query_point(parser: argparse.ArgumentParser, x: str, y: str) -> tuple[float, float]:
    """(x, y) fractions of a ``--image PATH X Y`` triple; NaN, inf and values outside
    [0, 1] are a command-line error."""
    parse = finite_float(0, 1)
    try:
        return parse(x), parse(y)
    except argparse.ArgumentTypeError as err:
        parser.error(f'--image X Y: {err}')


def parse_figure_args(parser: argparse.ArgumentParser,
                      argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line and refuse an existing ``--out`` (unless ``--overwrite``)
    before any model is loaded."""
    args = parser.parse_args(argv)
    refuse_existing(args.out, args.overwrite)
    return args
