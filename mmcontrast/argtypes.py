"""One argparse type for every float option of the three CLIs: NaN, inf and values
out of range are refused on the command line, naming the option's value and range."""
from __future__ import annotations

import argparse
import math
from typing import Callable

__all__ = ['finite_float', 'positive_int']


def finite_float(low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False) -> Callable[[str], float]:
    """An argparse ``type=`` accepting a finite float in ``[low, high]`` (an end is
    excluded with ``low_open``/``high_open``; ``None`` leaves a side unbounded)."""
    left = '(' if low_open else '['
    right = ')' if high_open else ']'
    span = f'{left}{"-inf" if low is None else low}, {"inf" if high is None else high}{right}'

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f'{text!r} is not a finite number')
        if low is not None and (value < low or (low_open and value == low)):
            raise argparse.ArgumentTypeError(f'{text} is outside {span}')
        if high is not None and (value > high or (high_open and value == high)):
            raise argparse.ArgumentTypeError(f'{text} is outside {span}')
        return value

    parse.__name__ = 'float'
    return parse


def positive_int(text: str) -> int:
    """An argparse ``type=`` accepting an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text} must be at least 1')
    return value
