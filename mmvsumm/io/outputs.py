"""What ``mmvsumm summarize`` writes: the key-shot JSON, the summary video (its
container follows the name's suffix, :data:`SUMMARY_CONTAINERS`) and the score
plot. Every file goes through the project's one atomic writer,
:func:`mmcontrast.fileio.atomic_path` (a file appears under its name only when
it is complete)."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import VSummInputError
from .video import VideoFrames

__all__ = ['SUMMARY_CONTAINERS', 'output_folder', 'write_keyshots_json',
           'write_summary_video', 'summary_container', 'plot_scores', 'shot_times']

# summary video suffix -> (PyAV container format, codecs to try in order, pixel format)
SUMMARY_CONTAINERS = {
    '.mp4': ('mp4', ('libx264', 'mpeg4'), 'yuv420p'),
    '.m4v': ('mp4', ('libx264', 'mpeg4'), 'yuv420p'),
    '.mov': ('mov', ('libx264', 'mpeg4'), 'yuv420p'),
    '.mkv': ('matroska', ('libx264', 'mpeg4'), 'yuv420p'),
    '.webm': ('webm', ('libvpx-vp9', 'libvpx', 'libaom-av1'), 'yuv420p'),
    '.avi': ('avi', ('mpeg4',), 'yuv420p'),
    '.gif': ('gif', ('gif',), 'rgb8'),
}


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


def shot_times(shots: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Start and end time (s) of each shot from the frames' own timestamps: a shot
    ``[b, e]`` spans ``times[b]`` to ``times[e + 1]``.  # (S, 2), (n_frames + 1,) -> (S, 2)"""
    shots = np.asarray(shots, dtype=np.int64)
    return np.stack([times[shots[:, 0]], times[shots[:, 1] + 1]], axis=1)


def write_keyshots_json(path: Path, video: Path, fps: float, times: np.ndarray,
                        shots: np.ndarray, shot_values: np.ndarray, chosen: np.ndarray,
                        picks: np.ndarray, scores: np.ndarray, settings: dict) -> None:
    """Every shot (frame range, time range from the frames' timestamps, score,
    selected) and the sampled scores with their times.

    Args:
        fps: the stream's average frame rate (reported only; no time uses it).
        times: each frame's presentation time from the first frame, then the end
            of the last frame.  # (n_frames + 1,)
    """
    chosen_set = set(int(c) for c in chosen)
    spans = shot_times(shots, times)
    shot_list = [dict(index=i, frames=[int(b), int(e)], time=[float(t0), float(t1)],
                      score=float(v), selected=i in chosen_set)
                 for i, ((b, e), (t0, t1), v) in enumerate(zip(shots, spans, shot_values))]
    data = dict(video=str(video), fps=fps, n_frames=len(times) - 1,
                duration=float(times[-1]), settings=settings,
                summary_frames=int(sum(e - b + 1 for b, e in shots[sorted(chosen_set)])),
                keyshots=[s for s in shot_list if s['selected']], shots=shot_list,
                sampled=dict(frames=picks.tolist(), times=times[picks].tolist(),
                             scores=scores.tolist()))
    path.write_text(json.dumps(data, indent=2))


def summary_container(path: Path) -> tuple[str, tuple[str, ...], str]:
    """``(format, codecs, pixel format)`` of a summary video named ``path``.

    Raises:
        VSummInputError: the suffix is not one of :data:`SUMMARY_CONTAINERS`.
    """
    try:
        return SUMMARY_CONTAINERS[path.suffix.lower()]
    except KeyError:
        raise VSummInputError(f'{path}: cannot write a summary video with suffix '
                              f'{path.suffix!r}; use one of '
                              f'{", ".join(sorted(SUMMARY_CONTAINERS))}') from None


def write_summary_video(src: Path, dst: Path, mask: np.ndarray) -> int:
    """Re-decode ``src`` and encode the frames where ``mask`` is true; returns their count.

    The container follows ``dst``'s suffix (:data:`SUMMARY_CONTAINERS`: H.264, else
    MPEG-4 part 2, in mp4/mov/mkv; VP9/VP8/AV1 in webm; MPEG-4 in avi; a GIF). The
    summary plays at the source's average frame rate: frame ``k`` has presentation
    time ``k / rate`` (a GIF stores delays in 1/100 s, so its times are rounded to
    that). ``mask`` covers the frames the features were computed on; a source that
    decodes only partly is read up to the same point.
    """
    import av
    if not mask.any():
        raise VSummInputError(f'{src}: the summary selects no frame')
    fmt, codecs, pix_fmt = summary_container(dst)
    frames = VideoFrames(src, strict=False)
    written = 0
    with av.open(str(dst), 'w', format=fmt) as out:
        stream = None
        for index, _, frame in frames:
            if index >= len(mask):
                break
            if not mask[index]:
                continue
            if stream is None:
                stream = _add_video_stream(out, dst, codecs, pix_fmt, frames.rate,
                                           frame.width, frame.height)
            image = frame.reformat(width=stream.width, height=stream.height, format=pix_fmt)
            image.pts, image.time_base = written, stream.codec_context.time_base
            out.mux(stream.encode(image))
            written += 1
        if stream is None:
            raise VSummInputError(f'{src}: the selected frames could not be decoded again')
        out.mux(stream.encode())
    return written


def _add_video_stream(out, dst: Path, codecs: tuple[str, ...], pix_fmt: str, rate: Fraction,
                      width: int, height: int):
    """A stream of the first available of ``codecs`` at ``rate`` frames per second."""
    import av
    codec = next((c for c in codecs if c in av.codecs_available), None)
    if codec is None:
        raise VSummInputError(f'{dst}: this PyAV build has none of the encoders '
                              f'{", ".join(codecs)} for {dst.suffix}; choose another suffix')
    rate = Fraction(rate).limit_denominator(1001)
    stream = out.add_stream(codec, rate=rate)
    stream.width, stream.height = max(width // 2 * 2, 2), max(height // 2 * 2, 2)
    stream.pix_fmt = pix_fmt
    stream.codec_context.time_base = 1 / rate
    return stream


def plot_scores(path: Path, picks: np.ndarray, scores: np.ndarray, shots: np.ndarray,
                chosen: np.ndarray, times: np.ndarray, title: str) -> None:
    """Importance against time (the frames' timestamps, ``times`` (n_frames + 1,)),
    shot boundaries dotted, chosen shots shaded."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    spans = shot_times(shots, times)
    fig, ax = plt.subplots(figsize=(10, 3), dpi=100)
    for start, end in spans[np.asarray(chosen, dtype=np.int64)]:
        ax.axvspan(start, end, color='tab:orange', alpha=0.3, lw=0)
    for start in spans[1:, 0]:
        ax.axvline(start, color='grey', ls=':', lw=0.8)
    ax.plot(times[picks], scores, color='tab:blue', lw=1.5)
    ax.set(xlabel='time (s)', ylabel='importance', title=title, xlim=(0, times[-1]))
    fig.tight_layout()
    try:
        fig.savefig(path)
    finally:
        plt.close(fig)
