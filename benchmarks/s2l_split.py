"""Data construction of the S2L grounding benchmark: sources, the disjoint split,
spliced samples and the trivial baselines (no LLM; importable without one).

Two splits. *Zero-shot* (:func:`split_sources`, the first one): sources with unique
names, test sources and test names never seen in training. *Seen concepts*
(:func:`split_seen_concepts`): every test source is unseen, but its name is also the
name of at least one training source, seen either in the grounding data or only in
the alignment captions.

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


def split_seen_concepts(labels: dict[str, str], seed: int) -> dict:
    """Sources (names may repeat) -> the seen-concept split.

    For every name with at least two sources one seeded source goes to test; its other
    sources train, alternately (seeded order of the names) in the grounding data and
    the alignment captions (case ``'grounding'``) or in the alignment captions only
    (case ``'alignment'``). Sources of names with one source train in both.
    Returns ``dict(ground=[...], align=[...], test=[...], case={test source: case})``;
    ``align`` holds every training source, ``ground`` the grounding ones.
    """
    by_label: dict[str, list[str]] = {}
    for key in sorted(labels):
        by_label.setdefault(labels[key], []).append(key)
    rng = random.Random(seed)
    repeated = sorted(name for name, keys in by_label.items() if len(keys) > 1)
    rng.shuffle(repeated)
    ground, align_only, test, case = [], [], [], {}
    for i, name in enumerate(repeated):
        keys = list(by_label[name])
        held = keys.pop(rng.randrange(len(keys)))
        test.append(held)
        case[held] = 'grounding' if i % 2 == 0 else 'alignment'
        (ground if case[held] == 'grounding' else align_only).extend(keys)
    ground += [keys[0] for keys in by_label.values() if len(keys) == 1]
    return dict(ground=sorted(ground), align=sorted(ground + align_only), test=sorted(test),
                case=case)


def pick_distinct(names: list[str], labels: dict[str, str], count: int, rng: random.Random,
                  first: str | None = None) -> list[str]:
    """``count`` sources of ``names`` with pairwise different labels, in random order
    (``first``, when given, among them)."""
    pool = list(names)
    rng.shuffle(pool)
    chosen = [first] if first is not None else []
    for name in pool:
        if len(chosen) == count:
            break
        if all(labels[name] != labels[c] for c in chosen):
            chosen.append(name)
    if len(chosen) < count:
        raise ValueError(f'need {count} sources with different labels, have {len(chosen)}')
    rng.shuffle(chosen)
    return chosen


def make_splice(feats: dict[str, torch.Tensor], labels: dict[str, str], names: list[str],
                rng: random.Random, fps: float, num_clips: int = 3,
                clip_frames: tuple[int, int] = (2, 6), target: str | None = None) -> dict:
    """One spliced video of ``num_clips`` clips of sources from ``names`` with different
    labels; one clip (of ``target`` when given) is the target, named by its label."""
    chosen = pick_distinct(names, labels, num_clips, rng, target)
    clips, spans, refs, start = [], [], [], 0
    for name in chosen:
        length = min(rng.randint(*clip_frames), len(feats[name]))
        first = rng.randint(0, len(feats[name]) - length)
        clips.append(feats[name][first:first + length])
        refs += [(name, i) for i in range(first, first + length)]
        spans.append((start, start + length))
        start += length
    target = chosen.index(target) if target is not None else rng.randrange(num_clips)
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
    picks the training sources whose label shares most words with it; the answer is the
    longest run of frames labelled with one of them (whole video when none)."""
    pooled = torch.nn.functional.normalize(sample['frames'].mean(1), dim=-1)  # (N, C)
    bank = torch.nn.functional.normalize(train_bank, dim=-1)  # (M, C)
    nearest = [train_owner[i] for i in (pooled @ bank.T).argmax(1).tolist()]
    words = _words(sample['query'])
    owners = sorted(set(train_owner))
    overlap = [len(words & _words(labels[o])) for o in owners]
    run = None
    if max(overlap) > 0:  # every training source with the best-matching label
        picked = {o for o, v in zip(owners, overlap) if v == max(overlap)}
        run = longest_run(np.array([n in picked for n in nearest]))
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


def caption_text(frame_logits: torch.Tensor, class_names: list[str], k: int = 3) -> str:
    """Alignment caption of a clip from the vision tower's own head: the top-``k``
    ImageNet classes of its mean logits (T, 1000), e.g. ``'It shows tabby, tiger cat or Egyptian cat.'``."""
    top = frame_logits.mean(0).topk(k).indices.tolist()
    names = [class_names[i] for i in top]
    return 'It shows ' + ', '.join(names[:-1]) + f' or {names[-1]}.' if k > 1 else f'It shows {names[0]}.'


def ridge_fit(x: torch.Tensor, y: torch.Tensor, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Ridge regression from standardised rows x (N, C) to targets y (N, D):
    returns (mean (C,), W (C + 1, D)) for :func:`ridge_map`; the bias is not penalised."""
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = torch.cat([(x - mean) / std, torch.ones(len(x), 1)], 1).double()
    reg = lam * torch.eye(z.shape[1], dtype=torch.float64)
    reg[-1, -1] = 0.0
    w = torch.linalg.solve(z.T @ z + reg, z.T @ y.double())
    return torch.stack([mean, std]), w.float()


def ridge_map(stats: torch.Tensor, w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """x (N, C) -> predicted targets (N, D) of a :func:`ridge_fit` model."""
    z = torch.cat([(x - stats[0]) / stats[1], torch.ones(len(x), 1)], 1)
    return z @ w


def linear_matcher_baseline(sample: dict, stats: torch.Tensor, w: torch.Tensor,
                            query_embedding: torch.Tensor, decode) -> np.ndarray:
    """Text-free matcher: each frame's pooled feature mapped by the ridge map, scored by
    cosine with the query embedding (D,); ``decode(curve) -> (start, end)`` frames."""
    pred = ridge_map(stats, w, sample['frames'].mean(1))  # (N, D)
    curve = torch.nn.functional.cosine_similarity(pred, query_embedding[None], dim=-1)
    return _span(decode(curve.numpy()), len(curve), sample['sec_per_frame'])
