"""Data construction of the S2L grounding benchmark: sources, the disjoint split,
spliced samples and the trivial baselines (no LLM; importable without one).

A *source* is a short real clip: a Ken-Burns pan/zoom over one real photo, or the
frames of one real video, named by the ImageNet class that EfficientNet-Lite0 gives
its mean logits. Sources with a repeated name are dropped, so a name identifies one
source. Training and test sources are disjoint and, because names are unique, no
test query text occurs in training.
"""
from __future__ import annotations

import random
import re

import numpy as np
import torch

KB_FRAMES = 6  # Ken-Burns frames per photo (3 s at 2 fps)


def query_text(label: str) -> str:
    return f'When does the video show {label}?'


def answer_text(label: str) -> str:
    return f'It shows {label}.'


def ken_burns(rgb: np.ndarray, num: int = KB_FRAMES, size: int = 224, zoom: float = 0.7,
              seed: int = 0) -> torch.Tensor:
    """A pan/zoom over a photo (H, W, 3) uint8 -> frames (num, 3, size, size) in [0, 1]:
    the square crop shrinks from the full short side to ``zoom`` of it while its centre
    moves between two seeded points."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    img, side = Image.fromarray(rgb), min(h, w)
    start, end = rng.uniform(0.3, 0.7, 2), rng.uniform(0.3, 0.7, 2)
    frames = []
    for t in np.linspace(0.0, 1.0, num):
        crop = side * (1.0 - (1.0 - zoom) * t)
        cy, cx = (1 - t) * start + t * end
        top = float(np.clip(cy * h - crop / 2, 0, h - crop))
        left = float(np.clip(cx * w - crop / 2, 0, w - crop))
        patch = img.resize((size, size), Image.BICUBIC, box=(left, top, left + crop, top + crop))
        frames.append(torch.from_numpy(np.asarray(patch).copy()).permute(2, 0, 1))
    return torch.stack(frames).float() / 255.0


def unique_by_label(labels: dict[str, str]) -> dict[str, str]:
    """Keep the first source (in sorted key order) of every label."""
    seen, kept = set(), {}
    for key in sorted(labels):
        if labels[key] not in seen:
            seen.add(labels[key])
            kept[key] = labels[key]
    return kept


def split_sources(keys: list[str], test_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Seeded disjoint split of source keys into (train, test)."""
    order = sorted(keys)
    random.Random(seed).shuffle(order)
    num_test = max(1, round(len(order) * test_fraction))
    return sorted(order[num_test:]), sorted(order[:num_test])


def make_splice(feats: dict[str, torch.Tensor], labels: dict[str, str], names: list[str],
                rng: random.Random, fps: float, num_clips: int = 3,
                clip_frames: tuple[int, int] = (2, 6)) -> dict:
    """One spliced video of ``num_clips`` clips of different sources from ``names``;
    one clip is the target, named by its source's label."""
    chosen = rng.sample(names, num_clips)
    clips, spans, refs, start = [], [], [], 0
    for name in chosen:
        length = min(rng.randint(*clip_frames), len(feats[name]))
        first = rng.randint(0, len(feats[name]) - length)
        clips.append(feats[name][first:first + length])
        refs += [(name, i) for i in range(first, first + length)]
        spans.append((start, start + length))
        start += length
    target = rng.randrange(num_clips)
    label = labels[chosen[target]]
    frames = torch.cat(clips)
    return dict(frames=frames, query=query_text(label), summaries=[answer_text(label)],
                segments=[[spans[target][0] / fps, spans[target][1] / fps]],
                sec_per_frame=1.0 / fps, duration=len(frames) / fps, idx=chosen[target],
                frame_refs=refs)  # (source, frame index) of every frame


def longest_run(mask: np.ndarray) -> tuple[int, int] | None:
    """(start, end) frame indices of the longest run of True (the first on a tie)."""
    best, run_start = None, None
    for i, on in enumerate(list(mask) + [False]):
        if on and run_start is None:
            run_start = i
        elif not on and run_start is not None:
            if best is None or i - run_start > best[1] - best[0]:
                best = (run_start, i)
            run_start = None
    return best


def _words(text: str) -> set[str]:
    return set(re.findall(r'[a-z]+', text.lower())) - {'when', 'does', 'the', 'video', 'show', 'a', 'an'}


def nearest_frame_baseline(sample: dict, train_bank: torch.Tensor, train_owner: list[str],
                           labels: dict[str, str]) -> np.ndarray:
    """Label each frame (pooled feature) by its nearest training frame (cosine); the query
    picks the training source whose label shares most words with it; the answer is the
    longest run of frames labelled with that source (whole video when none)."""
    pooled = torch.nn.functional.normalize(sample['frames'].mean(1), dim=-1)  # (N, C)
    bank = torch.nn.functional.normalize(train_bank, dim=-1)  # (M, C)
    nearest = [train_owner[i] for i in (pooled @ bank.T).argmax(1).tolist()]
    words = _words(sample['query'])
    owners = sorted(set(train_owner))
    overlap = [len(words & _words(labels[o])) for o in owners]
    run = None
    if max(overlap) > 0:
        picked = owners[int(np.argmax(overlap))]
        run = longest_run(np.array([n == picked for n in nearest]))
    return _span(run, len(nearest), sample['sec_per_frame'])


def class_name_baseline(sample: dict, frame_logits: torch.Tensor, class_names: list[str]) -> np.ndarray:
    """Frame-feature / query-text match of the vision tower alone: each frame's softmax
    probability of the ImageNet classes whose name shares a word with the query;
    the answer is the longest run of frames at >= half the peak score."""
    words = _words(sample['query'])
    cls = [i for i, n in enumerate(class_names) if words & _words(n)]
    if not cls:
        return _span(None, len(frame_logits), sample['sec_per_frame'])
    score = frame_logits.softmax(-1)[:, cls].sum(-1).numpy()  # (N,)
    return _span(longest_run(score >= 0.5 * score.max()), len(score), sample['sec_per_frame'])


def whole_video_baseline(sample: dict) -> np.ndarray:
    return np.array([0.0, sample['duration']])


def random_span_baseline(sample: dict, rng: random.Random) -> np.ndarray:
    a, b = sorted(rng.uniform(0.0, sample['duration']) for _ in range(2))
    return np.array([a, b])


def _span(run: tuple[int, int] | None, num_frames: int, sec_per_frame: float) -> np.ndarray:
    start, end = run if run is not None else (0, num_frames)
    return np.array([start * sec_per_frame, end * sec_per_frame])
