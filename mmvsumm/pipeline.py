"""``summarize``: from a video file to key shots, a summary video and a plot."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmcontrast.fileio import atomic_paths, refuse_existing, sweep_stale_temporaries

from .io.outputs import (SUMMARY_CONTAINERS, output_folder, plot_scores, summary_container,
                         write_keyshots_json, write_summary_video)
from .models.backbones import DEFAULT_BACKBONE
from .models.features import extract_features
from .presets import score_options
from .scores import importance_scores
from .shots import video_shots
from .summary import frame_scores, keyshot_summary, shot_scores, split_long_shots

__all__ = ['SummaryOutputs', 'summary_paths', 'summarize_video']


@dataclass(frozen=True)
class SummaryOutputs:
    """Paths written by :func:`summarize_video` and the chosen shots."""

    keyshots_json: Path
    summary_video: Path
    score_plot: Path
    shots: np.ndarray  # (S, 2) inclusive frame ranges
    chosen: np.ndarray  # (k,) indices into shots
    summary_frames: int


def summary_paths(video: Path, out: Path) -> tuple[Path, Path, Path]:
    """``(key-shot JSON, summary video, score plot)`` for ``--out``: a name with a
    video suffix of :data:`SUMMARY_CONTAINERS` is the summary video itself (the JSON
    and plot go beside it as ``<name>_keyshots.json`` / ``<name>_scores.png``);
    another video suffix is refused; anything else is a folder receiving
    ``<video>_keyshots.json``, ``<video>_summary.mp4`` and ``<video>_scores.png``.
    """
    from .extract import VIDEO_SUFFIXES
    suffix = out.suffix.lower()
    if suffix in SUMMARY_CONTAINERS or suffix in VIDEO_SUFFIXES:
        summary_container(out)  # a video suffix we cannot write is refused here
        return (out.with_name(f'{out.stem}_keyshots.json'), out,
                out.with_name(f'{out.stem}_scores.png'))
    return (out / f'{video.stem}_keyshots.json', out / f'{video.stem}_summary.mp4',
            out / f'{video.stem}_scores.png')


def summarize_video(video: str | Path, out_dir: str | Path, backbone: str = DEFAULT_BACKBONE,
                    weights: str | Path | None = None, ratio: float = 0.15,
                    every: int = 15, fps: float | None = None, scores: str = 'align+uniform',
                    neighbour_ratio: float = 0.1, cache_dir: str | Path | None = None,
                    progress: bool = True, strict: bool = False, overwrite: bool = False,
                    kts_vmax: float = 1.0,
                    max_shot_seconds: float | None = None) -> SummaryOutputs:
    """Summarise one video: features, importance, KTS shots, knapsack, outputs.

    ``out_dir`` is a folder, or the summary video's own name (see
    :func:`summary_paths`); outputs that exist are refused before any work unless
    ``overwrite``. ``ratio`` is the summary length as a fraction of the video, at
    least one frame (a 1-frame video gets a 1-frame summary). Shots come from KTS
    with penalty weight ``kts_vmax`` and at most ``max_shot_seconds`` long (see
    :func:`mmvsumm.shots.video_shots`); shots longer than the budget could never be
    chosen, so they are cut into equal pieces that fit (the benchmark protocol in
    :mod:`mmvsumm.evaluate` does not do this). Times in the outputs are the frames'
    own timestamps. A video that decodes only partly is summarised up to where it
    breaks, with a warning naming how many frames were read; ``strict`` makes that
    an error. Every output is written under a temporary name and moved into place
    when complete.
    """
    video, out_dir = Path(video), Path(out_dir)
    paths = summary_paths(video, out_dir)
    for path in paths:  # before any work
        refuse_existing(path, overwrite)
    output_folder(paths[0].parent)  # fails early if a file is in the way
    sweep_stale_temporaries(paths[0].parent)  # left by a killed run
    feats = extract_features(video, backbone, weights, every, fps, cache_dir=cache_dir,
                             progress=progress, strict=strict)
    importance = importance_scores(feats.features, **score_options(scores, ratio=neighbour_ratio))
    shots = video_shots(feats.features, feats.picks, feats.times, kts_vmax, max_shot_seconds)
    budget = max(int(feats.n_frames * ratio), 1)
    shots = split_long_shots(shots, budget)
    mask, chosen = keyshot_summary(importance, shots, feats.n_frames, feats.picks, ratio,
                                   capacity=budget)
    values = shot_scores(frame_scores(importance, feats.picks, feats.n_frames), shots)
    outputs = SummaryOutputs(*paths, shots, chosen, int(mask.sum()))
    settings = dict(backbone=backbone, weights=str(weights) if weights else None,
                    every=every, fps=fps, ratio=ratio, scores=scores,
                    neighbour_ratio=neighbour_ratio, kts_vmax=kts_vmax,
                    max_shot_seconds=max_shot_seconds)
    with atomic_paths(outputs.summary_video, outputs.keyshots_json,
                      outputs.score_plot) as (video_tmp, json_tmp, plot_tmp):
        write_summary_video(video, video_tmp, mask)
        write_keyshots_json(json_tmp, video, feats.fps, feats.times, shots, values, chosen,
                            feats.picks, importance, settings)
        plot_scores(plot_tmp, feats.picks, importance, shots, chosen, feats.times,
                    f'{video.name}: {len(chosen)} of {len(shots)} shots, '
                    f'{mask.sum()} of {feats.n_frames} frames')
    return outputs
