"""The one base of every package's bad-input error and documented-fallback warning.

Each of mmpixcon, mmvsumm and mms2l derives its own input-error class from
:class:`InputError` and its warning category from :class:`InputWarning`; each CLI
maps :class:`InputError` to exit code 2 in one place (:func:`exit_on_input_error`).
"""
from __future__ import annotations

import sys
from typing import Callable, Sequence

__all__ = ['InputError', 'InputWarning', 'exit_on_input_error']


class InputError(ValueError):
    """An input (file, option, annotation, array) is unusable; the message names it
    and says what to do."""


class InputWarning(UserWarning):
    """A documented fallback taken on a doubtful input; the message names the input."""


def exit_on_input_error(main: Callable[[Sequence[str] | None], int | None],
                        argv: Sequence[str] | None = None, prog: str = '') -> int:
    """Run a CLI's ``main(argv)``; an :class:`InputError` prints ``prog: error: …`` to
    stderr and returns 2 (argparse's code for a bad command line), anything else
    propagates with its traceback."""
    try:
        return int(main(argv) or 0)
    except InputError as error:
        print(f'{prog or "error"}: error: {error}', file=sys.stderr)
        return 2
