"""The one check of a sample's stated ``duration`` against its video's container duration.

ETBench and ETSum samples state the video's length in seconds; the frames are sampled
over that length. A duration that disagrees with the video by more than one frame
samples wrong times (300 s stated for a 2.9 s video answers in a 300 s timeline of
repeated frames), so it is announced with an :class:`~mms2l.errors.S2LWarning` naming
the sample and both durations, or refused under ``strict``.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from .errors import S2LInputError, S2LWarning

__all__ = ['container_timing', 'check_duration']

#: one frame when the container states no frame rate (seconds, 25 fps).
DEFAULT_FRAME = 1 / 25


def container_timing(video: str | Path) -> tuple[float, float] | None:
    """(duration, one frame) in seconds from the container of ``video``, or None when it
    states no duration."""
    from .datasets.transforms import open_video
    with open_video(video) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1e6
        else:
            return None
        rate = stream.average_rate or stream.guessed_rate
        return duration, (1 / float(rate) if rate else DEFAULT_FRAME)


def check_duration(name: str, stated: float | None, video: str | Path,
                   strict: bool = False, flag: str = '--strict') -> None:
    """Warn (``strict``: raise :class:`S2LInputError`) when ``stated`` seconds and the
    container duration of ``video`` differ by more than one frame. Frame arrays
    (``.npy``), a missing ``stated`` and containers without a duration are not checked."""
    if stated is None or Path(video).suffix == '.npy':
        return
    timing = container_timing(video)
    if timing is None:
        return
    actual, frame = timing
    if abs(float(stated) - actual) <= frame + 1e-6:
        return
    message = (f'{name}: duration {float(stated):g} s but its video {video} lasts {actual:g} s '
               f'(more than one frame, {frame:.3g} s, apart)')
    if strict:
        raise S2LInputError(f'{message}; correct the duration, or drop {flag} to use it '
                            'anyway')
    warnings.warn(f'{message}; the stated duration is used as given (frames are sampled over '
                  f'{float(stated):g} s); set {flag} to refuse such samples', S2LWarning,
                  stacklevel=2)
