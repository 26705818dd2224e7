"""Command-line pieces shared by tools/pixcon/vis_*.py."""
from __future__ import annotations

import argparse

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
    """``--out``, ``--size`` (network input side) and ``--panel`` (pixels per panel)."""
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument('--size', type=int, default=default_size,
                        help='side of the square network input (default %(default)s)')
    parser.add_argument('--panel', type=int, default=256,
                        help='pixel side of each panel of the figure (default %(default)s)')
