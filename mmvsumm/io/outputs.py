"""What ``mmvsumm`` writes (key-shot JSON, summary video, score plot) and
:func:`atomic_path`, through which every output of ``mmvsumm`` goes: a file
appears under its name only when it is complete."""
from __future__ import annotations

import json
import os
import uuid
from contextlib import ExitStack, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import VSummInputError
from .video import VideoFrames

__all__ = ['atomic_path', 'atomic_paths', 'write_text_atomic', 'output_folder',
           'write_keyshots_json', 'write_summary_video', 'plot_scores']


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary name next to ``path`` to write to; moved onto ``path`` on success.

    The temporary name keeps the suffix (writers that pick the format from it,
    such as PyAV, matplotlib and numpy, still work) and starts with a dot. If the
    body raises, the temporary file is removed and ``path`` is left as it was.

    Raises:
        VSummInputError: ``path`` is an existing folder, or its parent is a file.
    """
    path = Path(path)
    if path.is_dir():
        raise VSummInputError(f'{path}: is a folder; expected a file name to write')
    output_folder(path.parent)
    tmp = path.with_name(f'.{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial'
                         f'{path.suffix}')
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_paths(*paths: str | Path) -> Iterator[list[Path]]:
    """:func:`atomic_path` for several files that appear together or not at all."""
    with ExitStack() as stack:
        yield [stack.enter_context(atomic_path(path)) for path in paths]


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def output_folder(path: str | Path) -> Path:
    """Create the folder ``path`` (and parents); a file in the way is an error naming it."""
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            raise VSummInputError(f'{folder}: is a file, not a folder; choose another '
                                  f'output folder than {path}')
        if folder.is_dir():
            break
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_keyshots_json(path: Path, video: Path, fps: float, n_frames: int,
                        shots: np.ndarray, shot_values: np.ndarray, chosen: np.ndarray,
                        picks: np.ndarray, scores: np.ndarray, settings: dict) -> None:
    """Every shot (frame range, time range, score, selected) and the sampled scores."""
    chosen_set = set(int(c) for c in chosen)
    shot_list = [dict(index=i, frames=[int(b), int(e)], time=[b / fps, (e + 1) / fps],
                      score=float(v), selected=i in chosen_set)
                 for i, ((b, e), v) in enumerate(zip(shots, shot_values))]
    data = dict(video=str(video), fps=fps, n_frames=n_frames, settings=settings,
                summary_frames=int(sum(e - b + 1 for b, e in shots[sorted(chosen_set)])),
                keyshots=[s for s in shot_list if s['selected']], shots=shot_list,
                sampled=dict(frames=picks.tolist(), scores=scores.tolist()))
    path.write_text(json.dumps(data, indent=2))


def write_summary_video(src: Path, dst: Path, mask: np.ndarray) -> int:
    """Re-decode ``src`` and encode the frames where ``mask`` is true; returns their count.

    The summary plays at the source's frame rate: frame ``k`` of the summary has
    presentation time ``k / rate``, so its duration is ``count / rate``. Frames are
    converted to even-sized yuv420p (any source pixel format: GIF palettes, ...).
    ``mask`` covers the frames the features were computed on; a source that
    decodes only partly is read up to the same point.
    """
    import av
    if not mask.any():
        raise VSummInputError(f'{src}: the summary selects no frame')
    frames = VideoFrames(src, strict=False)
    written = 0
    with av.open(str(dst), 'w') as out:
        stream = None
        for index, _, frame in frames:
            if index >= len(mask):
                break
            if not mask[index]:
                continue
            if stream is None:
                stream = _add_video_stream(out, frames.rate, frame.width, frame.height)
            image = frame.reformat(width=stream.width, height=stream.height, format='yuv420p')
            image.pts, image.time_base = written, stream.codec_context.time_base
            out.mux(stream.encode(image))
            written += 1
        if stream is None:
            raise VSummInputError(f'{src}: the selected frames could not be decoded again')
        out.mux(stream.encode())
    return written


def _add_video_stream(out, rate: Fraction, width: int, height: int):
    """An H.264 (else MPEG-4 part 2) stream at ``rate`` frames per second."""
    import av
    codec = 'libx264' if 'libx264' in av.codecs_available else 'mpeg4'
    rate = Fraction(rate).limit_denominator(1001)
    stream = out.add_stream(codec, rate=rate)
    stream.width, stream.height = max(width // 2 * 2, 2), max(height // 2 * 2, 2)
    stream.pix_fmt = 'yuv420p'
    stream.codec_context.time_base = 1 / rate
    return stream


def plot_scores(path: Path, picks: np.ndarray, scores: np.ndarray, shots: np.ndarray,
                chosen: np.ndarray, fps: float, title: str) -> None:
    """Importance against time, shot boundaries dotted, chosen shots shaded."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 3), dpi=100)
    for first, last in shots[np.asarray(chosen, dtype=np.int64)]:
        ax.axvspan(first / fps, (last + 1) / fps, color='tab:orange', alpha=0.3, lw=0)
    for first in shots[1:, 0]:
        ax.axvline(first / fps, color='grey', ls=':', lw=0.8)
    ax.plot(picks / fps, scores, color='tab:blue', lw=1.5)
    ax.set(xlabel='time (s)', ylabel='importance', title=title,
           xlim=(0, (shots[-1, 1] + 1) / fps))
    fig.tight_layout()
    try:
        fig.savefig(path)
    finally:
        plt.close(fig)
