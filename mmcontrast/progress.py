"""The one progress bar of the three packages: tqdm on stderr, off when stderr is not a
terminal (CI logs, redirected output) unless asked for explicitly."""
from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

__all__ = ['progress']

T = TypeVar('T')


def progress(iterable: Iterable[T], total: int | None = None, desc: str = '',
             unit: str = 'it', enabled: bool | None = None, position: int | None = None,
             leave: bool = True) -> Iterator[T]:
    """Iterate ``iterable`` with a tqdm bar.

    Args:
        iterable (Iterable): what to iterate.
        total (int | None): its length when ``len()`` does not give it. Defaults to None.
        desc (str): the bar's label. Defaults to ''.
        unit (str): what one step is. Defaults to 'it'.
        enabled (bool | None): force the bar on or off; None (default) shows it only
            when stderr is a terminal.
        position (int | None): the bar's line (one per rank). Defaults to None.
        leave (bool): keep the finished bar on screen. Defaults to True.
    """
    from tqdm import tqdm
    show = sys.stderr.isatty() if enabled is None else enabled
    yield from tqdm(iterable, total=total, desc=desc, unit=unit, disable=not show,
                    position=position, leave=leave, file=sys.stderr)
