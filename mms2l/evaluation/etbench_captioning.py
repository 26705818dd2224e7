"""Dense captioning scores of ETBench (DVC, SLC): localisation F1 and caption
similarity, as the official ``compute_metrics.py`` (its ``DVCEval``) computes them."""
from __future__ import annotations

import random
import string
from typing import Sequence

from .etbench_parsing import parse_dense_captions
from .etbench_similarity import SentenceSimilarity, ptb_tokenize, remove_nonascii

__all__ = ['caption_iou', 'score_dense_captions']

_MAX_PROPOSALS = 1000  # the official scorer keeps at most this many captions per video


def caption_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two spans as the official captioning scorer computes it (float64):
    max(0, overlap) / (min(hull, len_a + len_b) + 1e-8)."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = min(max(a[1], b[1]) - min(a[0], b[0]), (a[1] - a[0]) + (b[1] - b[0]))
    return float(inter) / (union + 1e-8)


def _detection(videos: list[tuple[list, list]], thr: float) -> tuple[float, float]:
    """Mean over videos of (precision, recall): a GT span is found, and an answered
    span is correct, when some pair has IoU strictly above ``thr``."""
    precisions, recalls = [], []
    for gt_spans, spans in videos:
        found_gt, correct = set(), set()
        for i, span in enumerate(spans):
            for j, gt in enumerate(gt_spans):
                if caption_iou(span, gt) > thr:
                    found_gt.add(j)
                    correct.add(i)
        precisions.append(len(correct) / len(spans))
        recalls.append(len(found_gt) / len(gt_spans))
    return sum(precisions) / len(precisions), sum(recalls) / len(recalls)


def _random_caption(rng: random.Random) -> str:
    return ''.join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(10, 20)))


def _caption_pairs(video: dict, thr: float, rng: random.Random) -> tuple[list, list]:
    """(GT captions, answered captions) to compare at threshold ``thr``: each
    answered caption with the caption of every GT span at IoU >= ``thr``, or with
    a random string of 10-20 letters when there is none; after non-ASCII removal
    and PTB-style tokenisation."""
    refs, hyps = [], []
    for span, caption in zip(video['spans'], video['captions']):
        matched = [gt_cap for gt, gt_cap in zip(video['gt_spans'], video['gt_captions'])
                   if caption_iou(span, gt) >= thr]
        for gt_cap in matched or [_random_caption(rng)]:
            refs.append(ptb_tokenize(remove_nonascii(gt_cap)))
            hyps.append(ptb_tokenize(remove_nonascii(caption)))
    return refs, hyps


def _sentence_similarities(videos: list[dict], thresholds: Sequence[float],
                           sim: SentenceSimilarity, rng: random.Random) -> list[float]:
    """Per threshold, the mean over videos of the mean similarity of their caption
    pairs (every caption embedded once, in one batch)."""
    pairs = [[_caption_pairs(video, thr, rng) for video in videos] for thr in thresholds]
    sim.embed_batched([text for per_thr in pairs for refs, hyps in per_thr
                       for text in (*refs, *hyps)])
    return [sum(sim.mean_paired_similarity(refs, hyps) for refs, hyps in per_thr) / len(videos)
            for per_thr in pairs]


def score_dense_captions(samples: list[dict], sim: SentenceSimilarity,
                         thresholds: Sequence[float], seed: int = 0) -> dict:
    """DVC/SLC scores of one group.

    Samples are keyed by ``video`` as in the official script (a later sample of
    the same video replaces an earlier one). Over the parsed videos, precision P_t
    and recall R_t are averaged (IoU > t), then both are scaled by
    parsed videos / samples; F1 = mean over t of 2 P_t R_t / (P_t + R_t) (0 when
    both are 0). ``Sim`` = mean over t of the caption similarity (IoU >= t,
    parsed videos only, not scaled); 0 when nothing parsed. The random captions
    paired with unmatched answers come from ``random.Random(seed)`` (the official
    script draws them unseeded, so its Sim varies slightly from run to run).
    """
    parsed: dict[str, dict] = {}
    failed = 0
    for sample in samples:
        found = parse_dense_captions(sample['a'])
        if found is None:
            failed += 1
            continue
        spans, captions = found
        parsed[sample['video']] = dict(gt_spans=sample['tgt'], gt_captions=sample['g'],
                                       spans=spans[:_MAX_PROPOSALS],
                                       captions=captions[:_MAX_PROPOSALS])
    out = dict(Total=len(samples), Failed=failed)
    videos = list(parsed.values())
    if not videos:
        f1s, sims = [0.0] * len(thresholds), [0.0] * len(thresholds)
    else:
        scale = len(videos) / len(samples)
        f1s = []
        for thr in thresholds:
            prc, rec = _detection([(v['gt_spans'], v['spans']) for v in videos], thr)
            prc, rec = prc * scale, rec * scale
            f1s.append(0 if prc + rec == 0 else 2 * prc * rec / (prc + rec))
        sims = _sentence_similarities(videos, thresholds, sim, random.Random(seed))
    for thr, f1 in zip(thresholds, f1s):
        out[f'F1@{thr}'] = round(f1, 5)
    out['F1'] = round(sum(f1s) / len(f1s), 5)
    out['Sim'] = round(sum(sims) / len(sims), 5)
    return out
