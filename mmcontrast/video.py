"""The one video opener of mmvsumm and mms2l (PyAV): a missing, undecodable or
stream-less file is an error naming it, raised as the calling package's error class."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ['open_video_stream']


def open_video_stream(path: str | Path,
                      error: type[InputError] = InputError) -> tuple[Any, Any]:
    """Open ``path`` and return ``(container, first video stream)``.

    Args:
        path (str | Path): the video file.
        error (type[InputError]): the class raised for a bad file (each package passes
            its own). Defaults to :class:`~mmcontrast.errors.InputError`.

    Raises:
        error: no such file, a file PyAV cannot open, or no video stream (e.g. audio only).
    """
    import av
    path = Path(path)
    if not path.is_file():
        raise error(f'{path}: no such video file')
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise error(f'{path}: cannot open as a video ({exc})') from exc
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ['none']
        container.close()
        raise error(f'{path}: no video stream (streams: {", ".join(kinds)})')
    return container, container.streams.video[0]
