"""Decoding video files with PyAV: sampled frames, frame counts, clear errors."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import VSummInputError, VSummWarning

__all__ = ['VideoSampler', 'VideoFrames', 'open_video_stream', 'iter_frames', 'report_partial']


def open_video_stream(path: str | Path):
    """Open ``path`` and return ``(container, video_stream)``.

    Raises:
        VSummInputError: missing/corrupt file, or no video stream (e.g. audio only).
    """
    import av
    path = Path(path)
    if not path.is_file():
        raise VSummInputError(f'{path}: no such video file')
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VSummInputError(f'{path}: cannot open as a video ({exc})') from exc
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ['none']
        container.close()
        raise VSummInputError(f'{path}: no video stream (streams: {", ".join(kinds)})')
    return container, container.streams.video[0]


class VideoFrames:
    """Every decodable frame of a video as ``(index, time in s, av.VideoFrame)``.

    After a full iteration: ``decoded`` (frames read), ``expected`` (the
    container's frame count, or its duration x rate when ``exact`` is False; 0
    when it says neither), ``rate`` (the stream's average frame rate) and
    ``partial``: '' for a complete video, else a message naming the file and how
    many frames of how many were read.

    Raises:
        VSummInputError: no decodable frame at all; or, with ``strict``, a
            decoding failure or a video shorter than its header says.
    """

    def __init__(self, path: str | Path, strict: bool = True) -> None:
        self.path, self.strict = Path(path), strict
        self.decoded, self.expected, self.exact, self.partial = 0, 0, False, ''
        self.rate = Fraction(25)

    def __iter__(self) -> Iterator[tuple[int, float, 'object']]:
        import av
        container, stream = open_video_stream(self.path)
        self.rate = Fraction(stream.average_rate or stream.guessed_rate or 25)
        self.expected, self.exact = _expected_frames(container, stream, self.rate)
        self.decoded, self.partial = 0, ''
        failure = None
        try:
            for frame in container.decode(stream):
                index = self.decoded
                time = float(frame.time) if frame.time is not None else index / self.rate
                yield index, time, frame
                self.decoded += 1
        except av.error.FFmpegError as exc:
            failure = exc
        finally:
            container.close()
        if self.decoded == 0:
            reason = f' ({failure})' if failure else ''
            raise VSummInputError(f'{self.path}: the video stream has no decodable frame{reason}')
        of = ('' if self.exact else 'about ') + str(self.expected) if self.expected \
            else 'an unknown number of'
        # a count estimated from the duration may be off by a frame or two
        short = self.expected - (0 if self.exact else max(2, self.expected // 100))
        if failure is not None:
            self.partial = (f'{self.path}: read {self.decoded} of {of} frames; decoding '
                            f'failed at frame {self.decoded} ({failure})')
        elif self.decoded < short:
            self.partial = (f'{self.path}: read {self.decoded} of {of} frames; the file '
                            'ends early (truncated?)')
        if self.strict:
            report_partial(self.partial, strict=True)


def _expected_frames(container, stream, rate: Fraction) -> tuple[int, bool]:
    """Frames the container announces: ``(count, exact)``; the stored count (MP4,
    AVI, GIF), else duration x rate (Matroska, WebM), else ``(0, False)``."""
    import av
    if stream.frames:
        return int(stream.frames), True
    if stream.duration and stream.time_base:
        return round(float(stream.duration * stream.time_base * rate)), False
    if container.duration:
        return round(container.duration / av.time_base * float(rate)), False
    return 0, False


def report_partial(message: str, strict: bool) -> None:
    """A partly decoded video: an error with ``strict``, else a warning (nothing if '')."""
    if message and strict:
        raise VSummInputError(f'{message} (strict mode)')
    if message:
        warnings.warn(f'{message}; using the frames read', VSummWarning, stacklevel=2)


def iter_frames(path: str | Path) -> Iterator[tuple[int, float, 'object']]:
    """Yield ``(index, time in s, av.VideoFrame)`` for every frame of a complete video.

    Raises:
        VSummInputError: see :class:`VideoFrames` (strict).
    """
    yield from VideoFrames(path, strict=True)


@dataclass
class VideoSampler:
    """Frames sampled every ``every`` frames, or at ``fps`` frames per second.

    Iterating yields ``(frame index, RGB array (size, size, 3) uint8)``; afterwards
    ``picks``, ``n_frames``, ``times`` (each frame's own presentation time,
    ``pts * time_base``, from the first frame, then the end of the last frame;
    (n_frames + 1,)), ``video_fps`` (the stream's average frame rate, reported only)
    and ``partial`` (see :class:`VideoFrames`) describe the video. ``fps`` samples
    by those timestamps, so a variable-frame-rate video is sampled evenly in time. A
    partly decodable video is sampled up to where it breaks, with a warning (an
    error if ``strict``).
    """

    path: Path
    every: int = 15
    fps: float | None = None
    size: int = 224  # frames are resized (not cropped) to size x size
    strict: bool = False
    picks: list[int] = field(default_factory=list)
    n_frames: int = 0
    times: np.ndarray = field(default_factory=lambda: np.zeros(1))
    video_fps: float = 0.0
    partial: str = ''

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.every < 1 or (self.fps is not None and self.fps <= 0):
            raise VSummInputError('sampling needs every >= 1 frame or fps > 0')

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        self.picks, next_time, times, last = [], 0.0, [], None
        frames = VideoFrames(self.path, strict=self.strict)
        for index, time, frame in frames:
            self.n_frames, last = index + 1, frame
            times.append(time)
            if self.fps is None:
                take = index % self.every == 0
            else:
                next_time = time if index == 0 else next_time  # streams may start after 0 s
                take = time + 1e-9 >= next_time
                if take:
                    next_time += 1.0 / self.fps
            if take:
                self.picks.append(index)
                yield index, frame.to_ndarray(width=self.size, height=self.size,
                                              format='rgb24')
        self.video_fps, self.partial = float(frames.rate), frames.partial
        self.times = _frame_times(times, last, frames.rate)
        report_partial(self.partial, self.strict)


def _frame_times(times: list[float], last, rate: Fraction) -> np.ndarray:
    """Frame times from the first frame, then the end of the last one (its own
    duration when the stream gives it, else one average frame interval).
    # [n_frames] -> (n_frames + 1,)"""
    duration = getattr(last, 'duration', None)
    step = float(duration * last.time_base) if duration and last.time_base else 1 / float(rate)
    out = np.asarray(times + [times[-1] + step], dtype=np.float64)
    return out - out[0]
