"""Decoding video files with PyAV: sampled frames, frame counts, clear errors."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import VSummInputError

__all__ = ['VideoSampler', 'open_video_stream', 'iter_frames']


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


def iter_frames(path: str | Path) -> Iterator[tuple[int, float, 'object']]:
    """Yield ``(index, time in s, av.VideoFrame)`` for every decoded frame.

    Raises:
        VSummInputError: decoding failure (naming the file and the frame index) or
            a video with no decodable frame.
    """
    import av
    container, stream = open_video_stream(path)
    rate = float(stream.average_rate or stream.guessed_rate or 25)
    index = 0
    try:
        for frame in container.decode(stream):
            time = float(frame.time) if frame.time is not None else index / rate
            yield index, time, frame
            index += 1
    except av.error.FFmpegError as exc:
        raise VSummInputError(f'{path}: decoding failed at frame {index} ({exc})') from exc
    finally:
        container.close()
    if index == 0:
        raise VSummInputError(f'{path}: the video stream has no decodable frame')


@dataclass
class VideoSampler:
    """Frames sampled every ``every`` frames, or at ``fps`` frames per second.

    Iterating yields ``(frame index, RGB array (size, size, 3) uint8)``; afterwards
    ``picks``, ``n_frames`` and ``fps`` describe the whole video.
    """

    path: Path
    every: int = 15
    fps: float | None = None
    size: int = 224  # frames are resized (not cropped) to size x size
    picks: list[int] = field(default_factory=list)
    n_frames: int = 0
    video_fps: float = 0.0

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.every < 1 or (self.fps is not None and self.fps <= 0):
            raise VSummInputError('sampling needs every >= 1 frame or fps > 0')

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        self.picks, next_time = [], 0.0
        last_time = 0.0
        for index, time, frame in iter_frames(self.path):
            self.n_frames, last_time = index + 1, time
            if self.fps is None:
                take = index % self.every == 0
            else:
                take = time + 1e-9 >= next_time
                if take:
                    next_time += 1.0 / self.fps
            if take:
                self.picks.append(index)
                yield index, frame.to_ndarray(width=self.size, height=self.size,
                                              format='rgb24')
        self.video_fps = (self.n_frames - 1) / last_time if last_time > 0 else 25.0
