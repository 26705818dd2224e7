"""What ``mmvsumm summarize`` writes: key-shot JSON, summary video, score plot."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import VSummInputError
from .video import iter_frames

__all__ = ['write_keyshots_json', 'write_summary_video', 'plot_scores']


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


def write_summary_video(src: Path, dst: Path, mask: np.ndarray, fps: float) -> int:
    """Re-decode ``src`` and encode the frames where ``mask`` is true; returns their count."""
    import av
    if not mask.any():
        raise VSummInputError(f'{src}: the summary selects no frame')
    rate = Fraction(fps).limit_denominator(1001)
    written = 0
    with av.open(str(dst), 'w') as out:
        stream = None
        for index, _, frame in iter_frames(src):
            if index >= len(mask) or not mask[index]:
                continue
            if stream is None:
                codec = 'libx264' if 'libx264' in av.codecs_available else 'mpeg4'
                stream = out.add_stream(codec, rate=rate)
                stream.width, stream.height = frame.width // 2 * 2, frame.height // 2 * 2
                stream.pix_fmt = 'yuv420p'
            image = frame.reformat(width=stream.width, height=stream.height, format='yuv420p')
            image.pts = written
            out.mux(stream.encode(image))
            written += 1
        out.mux(stream.encode())
    return written


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
    fig.savefig(path)
    plt.close(fig)
