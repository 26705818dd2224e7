"""Builders of eccv16-layout h5 files and TVSum-style annotations for tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def synthetic_video(rng: np.random.Generator, n_steps: int, dim: int = 64,
                    users: int = 5, binary_users: bool = False) -> dict:
    """Arrays of one video in the eccv16 layout (shots of piecewise-constant features)."""
    n_frames = n_steps * 15 - int(rng.integers(0, 15))
    picks = np.arange(n_steps) * 15
    bounds = np.unique(np.concatenate([[0], rng.integers(1, n_frames, size=max(n_steps // 6, 1)),
                                       [n_frames]]))
    cps = np.stack([bounds[:-1], bounds[1:] - 1], axis=1)
    shot_of_step = np.searchsorted(bounds, picks, side='right') - 1
    base = rng.normal(size=(len(cps), dim))
    feats = base[shot_of_step] + 0.5 * rng.normal(size=(n_steps, dim))
    shared = rng.normal(size=len(cps))  # annotators agree in part on what matters
    scores = np.clip(np.round(3 + shared + rng.normal(size=(users, len(cps)))), 1, 5)
    flat = np.ptp(scores, axis=1) == 0  # a constant annotator has no defined rank correlation
    scores[flat, 0] = np.where(scores[flat, 0] > 1, 1, 2)
    shot_of_frame = np.searchsorted(bounds, np.arange(n_frames), side='right') - 1
    user_scores = scores[:, shot_of_frame]  # (users, n_frames)
    budget = int(0.15 * n_frames)
    user_summary = np.zeros((users, n_frames), dtype=np.float32)
    for u in range(users):  # each annotator keeps its top shots within the budget
        used = 0
        for shot in np.argsort(-scores[u], kind='stable'):
            length = cps[shot, 1] - cps[shot, 0] + 1
            if used + length <= budget:
                user_summary[u, cps[shot, 0]:cps[shot, 1] + 1] = 1
                used += length
    return dict(features=feats.astype(np.float32), gtscore=user_scores[:, picks].mean(0) / 5,
                gtsummary=(user_summary[:, picks].mean(0) > 0.5).astype(np.float32),
                user_summary=user_summary, change_points=cps,
                n_frame_per_seg=cps[:, 1] - cps[:, 0] + 1, n_frames=n_frames, picks=picks,
                n_steps=n_steps, _user_scores=user_scores)


def write_h5(path: Path, videos: dict[str, dict]) -> None:
    import h5py
    with h5py.File(path, 'w') as handle:
        for key, arrays in videos.items():
            group = handle.create_group(key)
            for name, value in arrays.items():
                if not name.startswith('_'):
                    group[name] = value


def write_anno(path: Path, videos: dict[str, dict]) -> None:
    """A TVSum-style tsv: one line per annotator, videos in key order."""
    lines = []
    for key, arrays in videos.items():
        for row in arrays['_user_scores']:
            lines.append(f'yt_{key}\tVT\t' + ','.join(str(int(v)) for v in row))
    path.write_text('\n'.join(lines) + '\n')


def make_dataset(folder: Path, name: str, keys: list[str], seed: int = 0,
                 n_steps: tuple[int, int] = (30, 60),
                 users: int | None = None) -> tuple[Path, Path, dict]:
    """An h5 named like the public file of ``name`` plus its annotation file, with
    ``users`` annotators per video (default: TVSum's 20, else 5)."""
    rng = np.random.default_rng(seed)
    users = users or (20 if name == 'tvsum' else 5)
    videos = {k: synthetic_video(rng, int(rng.integers(*n_steps)), users=users) for k in keys}
    h5 = folder / f'eccv16_dataset_{name}_google_pool5.h5'
    anno = folder / f'{name}-anno.tsv'
    write_h5(h5, videos)
    write_anno(anno, videos)
    return h5, anno, videos
