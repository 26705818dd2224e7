"""Command line: ``mms2l SUBCOMMAND`` (also ``python -m mms2l``).

Each subcommand lives in its own module exposing ``add_parser(subparsers)``, which
registers the subparser and sets ``func=run(args) -> int`` as its default; adding a
subcommand means adding its module to ``SUBCOMMANDS``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

__all__ = ['SUBCOMMANDS', 'build_parser', 'main']

#: modules (relative to ``mms2l``) that each provide ``add_parser(subparsers)``.
SUBCOMMANDS: tuple[str, ...] = ('.etbench_infer', '.ask', '.etbench_evaluate')


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all subcommands."""
    parser = argparse.ArgumentParser(prog='mms2l', description=(
        'S2L, "Summarize to Localize" (thesis chapter 4).'))
    sub = parser.add_subparsers(dest='command', required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name, package='mms2l').add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == '__main__':
    sys.exit(main())
