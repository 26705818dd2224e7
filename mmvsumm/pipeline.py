"""``summarize``: from a video file to key shots, a summary video and a plot."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .io.outputs import (atomic_paths, output_folder, plot_scores, write_keyshots_json,
                         write_summary_video)
from .kts import change_points_to_segments, kts
from .models.backbones import DEFAULT_BACKBONE
from .models.features import extract_features
from .presets import score_options
from .scores import importance_scores
from .summary import (frame_scores, keyshot_summary, shot_scores, split_long_shots,
                      step_segments_to_shots)

__all__ = ['SummaryOutputs', 'summarize_video']


@dataclass(frozen=True)
class SummaryOutputs:
    """Paths written by :func:`summarize_video` and the chosen shots."""

    keyshots_json: Path
    summary_video: Path
    score_plot: Path
    shots: np.ndarray  # (S, 2) inclusive frame ranges
    chosen: np.ndarray  # (k,) indices into shots
    summary_frames: int


def summarize_video(video: str | Path, out_dir: str | Path, backbone: str = DEFAULT_BACKBONE,
                    weights: str | Path | None = None, ratio: float = 0.15,
                    every: int = 15, fps: float | None = None, scores: str = 'align+uniform',
                    neighbour_ratio: float = 0.1, cache_dir: str | Path | None = None,
                    progress: bool = True, strict: bool = False) -> SummaryOutputs:
    """Summarise one video: features, importance, KTS shots, knapsack, outputs.

    ``ratio`` is the summary length as a fraction of the video, at least one
    frame (a 1-frame video gets a 1-frame summary). Shots longer than that budget
    could never be chosen, so they are cut into equal pieces that fit (the
    benchmark protocol in :mod:`mmvsumm.evaluate` does not do this). A video that
    decodes only partly is summarised up to where it breaks, with a warning
    naming how many frames were read; ``strict`` makes that an error. Every
    output is written under a temporary name and moved into place when complete.
    """
    video, out_dir = Path(video), output_folder(out_dir)  # fails early if a file is in the way
    feats = extract_features(video, backbone, weights, every, fps, cache_dir=cache_dir,
                             progress=progress, strict=strict)
    importance = importance_scores(feats.features, **score_options(scores, ratio=neighbour_ratio))
    steps = len(feats.features)
    segments = change_points_to_segments(kts(feats.features), steps)
    shots = step_segments_to_shots(segments, feats.picks, feats.n_frames)
    budget = max(int(feats.n_frames * ratio), 1)
    shots = split_long_shots(shots, budget)
    mask, chosen = keyshot_summary(importance, shots, feats.n_frames, feats.picks, ratio,
                                   capacity=budget)
    values = shot_scores(frame_scores(importance, feats.picks, feats.n_frames), shots)
    outputs = SummaryOutputs(out_dir / f'{video.stem}_keyshots.json',
                             out_dir / f'{video.stem}_summary.mp4',
                             out_dir / f'{video.stem}_scores.png', shots, chosen,
                             int(mask.sum()))
    settings = dict(backbone=backbone, weights=str(weights) if weights else None,
                    every=every, fps=fps, ratio=ratio, scores=scores,
                    neighbour_ratio=neighbour_ratio)
    with atomic_paths(outputs.summary_video, outputs.keyshots_json,
                      outputs.score_plot) as (video_tmp, json_tmp, plot_tmp):
        write_summary_video(video, video_tmp, mask)
        write_keyshots_json(json_tmp, video, feats.fps, feats.n_frames, shots, values, chosen,
                            feats.picks, importance, settings)
        plot_scores(plot_tmp, feats.picks, importance, shots, chosen, feats.fps,
                    f'{video.name}: {len(chosen)} of {len(shots)} shots, '
                    f'{mask.sum()} of {feats.n_frames} frames')
    return outputs
