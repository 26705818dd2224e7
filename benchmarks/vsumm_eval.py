"""Benchmark: full TVSum-sized evaluation, and vectorised KTS against a plain one.

A synthetic dataset in the exact eccv16 layout (50 videos of ~700 steps, 1024-d
features made of shots plus noise, 20 annotators with frame-level 1-5 scores and
binary summaries) is written to a temporary folder; then ``run_evaluation``
(h5 + annotation reading, importance scores, KTS shots, knapsack, F1, Kendall tau
and Spearman rho at frame level) is timed end to end. Finally KTS is timed on the
first videos against the loop implementation of tests/vsumm/reference.py.

    python benchmarks/vsumm_eval.py [--videos 50] [--steps 700] [--plain-videos 2]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

# one BLAS thread per process: the parallel run uses one process per core, and a
# spinning second BLAS thread only steals time on a busy 2-core machine
for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmvsumm import kts  # noqa: E402
from mmvsumm.evaluate import run_evaluation  # noqa: E402
from mmvsumm.metrics.protocol import Protocol  # noqa: E402
from mmvsumm.splits import DATASETS, Split, write_dsnet_yml  # noqa: E402
from tests.vsumm.h5fixture import write_anno, write_h5  # noqa: E402
from tests.vsumm.reference import kts_plain  # noqa: E402


def tvsum_like_video(rng: np.random.Generator, steps: int, users: int = 20) -> dict:
    """One video: shots of ~15 steps, features = shot centre + noise, annotators who
    agree on a latent per-shot importance (2-second annotation units, like TVSum)."""
    n_frames = steps * 15
    picks = np.arange(steps) * 15
    cuts = np.sort(rng.choice(np.arange(1, steps), size=steps // 15, replace=False))
    step_bounds = np.concatenate([[0], cuts, [steps]])
    bounds = step_bounds * 15
    bounds[-1] = n_frames
    cps = np.stack([bounds[:-1], bounds[1:] - 1], axis=1)
    shot_of_step = np.searchsorted(cuts, np.arange(steps), side='right')
    centres = rng.normal(size=(len(cps), 1024))
    feats = centres[shot_of_step] + 0.5 * rng.normal(size=(steps, 1024))
    unit_of_frame = np.arange(n_frames) // 60  # 2-second units at 30 fps
    latent = rng.normal(size=unit_of_frame[-1] + 1)
    noisy = latent[None] + 1.5 * rng.normal(size=(users, len(latent)))
    user_scores = np.clip(np.round(3 + noisy), 1, 5)[:, unit_of_frame]
    user_summary = np.zeros((users, n_frames), dtype=np.float32)
    budget = int(0.15 * n_frames)
    for u in range(users):
        shot_value = [user_scores[u, b:e + 1].mean() for b, e in cps]
        used = 0
        for shot in np.argsort(shot_value)[::-1]:
            b, e = cps[shot]
            if used + e - b + 1 <= budget:
                user_summary[u, b:e + 1] = 1
                used += e - b + 1
    return dict(features=feats.astype(np.float32), gtscore=user_scores[:, picks].mean(0) / 5,
                gtsummary=user_summary[:, picks].mean(0), user_summary=user_summary,
                change_points=cps, n_frame_per_seg=cps[:, 1] - cps[:, 0] + 1,
                n_frames=n_frames, picks=picks, n_steps=steps, _user_scores=user_scores)


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--videos', type=int, default=50)
    parser.add_argument('--steps', type=int, default=700)
    parser.add_argument('--plain-videos', type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    keys = DATASETS['tvsum'][:args.videos]
    videos = {k: tvsum_like_video(rng, int(args.steps + rng.integers(-50, 51))) for k in keys}
    with tempfile.TemporaryDirectory() as tmp:
        h5 = Path(tmp) / 'eccv16_dataset_tvsum_google_pool5.h5'
        anno = Path(tmp) / 'anno.tsv'
        splits = Path(tmp) / 'all.yml'
        write_h5(h5, videos)
        write_anno(anno, videos)
        write_dsnet_yml([Split((), tuple(f'{h5.stem}/{k}' for k in keys))], splits)
        steps = np.mean([len(v['features']) for v in videos.values()])
        print(f'full evaluation of {len(keys)} videos ({steps:.0f} steps on average, 20 '
              'annotators): h5 + annotations, scores, KTS shots, knapsack, F1, frame-level tau/rho')
        for workers in (1, 2):
            start, cpu = time.perf_counter(), _cpu_seconds()
            report = run_evaluation(h5, 'tvsum', 'transfer', anno=anno, split_file=splits,
                                    protocol=Protocol('tvsum', shots='kts'), workers=workers)
            total, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            overall = report.overall
            print(f'  {workers} process(es): {total:.2f} s wall, {cpu:.2f} s CPU (load average '
                  f'{os.getloadavg()[0]:.1f}); F1 {overall.f1:.1f}, tau {overall.kendall:.4f}, '
                  f'rho {overall.spearman:.4f}')
    plain_keys = keys[:args.plain_videos]
    fast_time = plain_time = 0.0
    for key in plain_keys:
        feats = videos[key]['features']
        start = time.perf_counter()
        fast = kts(feats)
        fast_time += time.perf_counter() - start
        start = time.perf_counter()
        plain = kts_plain(feats)
        plain_time += time.perf_counter() - start
        assert np.array_equal(fast, plain), f'{key}: KTS implementations disagree'
    print(f'KTS on {len(plain_keys)} videos: vectorised {fast_time / len(plain_keys):.3f} s/video, '
          f'plain {plain_time / len(plain_keys):.2f} s/video, '
          f'speed-up {plain_time / fast_time:.1f}x (identical change points)')


if __name__ == '__main__':
    main()
