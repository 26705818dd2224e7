"""Command line: ``mms2l SUBCOMMAND`` (also ``python -m mms2l``).

Each subcommand lives in its own module exposing ``add_parser(subparsers)``, which
registers the subparser and sets ``func=run(args) -> int`` as its default; adding a
subcommand means adding its module to ``SUBCOMMANDS``. A subcommand raises
:class:`~mms2l.errors.S2LInputError` for unusable input; :func:`main` maps it (and
every other :class:`mmcontrast.errors.InputError`) to exit code 2 here, in one place.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from mmcontrast.errors import exit_on_input_error

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


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit status (2 on
    unusable input, the message on stderr naming the file, sample or option)."""
    return exit_on_input_error(_run, argv, 'mms2l')


if __name__ == '__main__':
    sys.exit(main())
