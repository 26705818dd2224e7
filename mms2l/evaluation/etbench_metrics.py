"""ETBench scores of one (task, source) group of answered samples, rule for rule as
the official ``compute_metrics.py`` computes them.

Every scorer takes the group's samples (validated by :mod:`.etbench_data`) and
returns ``{'Total', 'Failed', <metrics>}`` with fractions rounded to 5 decimals
as the official script reports them. Metric names: ``Acc`` (RAR, ECA, RVQ),
``F1`` (TVG, EPM, TAL, EVS, VHD, DVC, SLC), ``Sim`` (DVC, SLC; the official
"SentSim"), ``Rec`` (TEM, GVQ; the official "mRec"), plus the per-threshold
``F1@t`` / ``R@t``, ``mIoU`` and GVQ's ``Acc``.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .etbench_captioning import score_dense_captions
from .etbench_parsing import parse_letter_answer, parse_point, parse_spans
from .etbench_similarity import SentenceSimilarity

__all__ = ['ETBENCH_THRESHOLDS', 'LETTER_RULES', 'etbench_iou', 'score_group', 'TASK_SCORERS']

#: IoU thresholds of every span-based ETBench score.
ETBENCH_THRESHOLDS = (0.1, 0.3, 0.5, 0.7)
#: how a valid option letter that is wrong is treated in RAR/ECA/RVQ answers:
#: 'fallthrough' (the official script: the later readers and the similarity
#: fallback still get a chance) or 'final' (a public variant of the script: the
#: first valid letter decides).
LETTER_RULES = ('fallthrough', 'final')
_LETTERS = 'abcde'


def etbench_iou(a: Sequence, b: Sequence) -> np.ndarray:
    """IoU of spans a (N, 2) and b (M, 2) -> (N, M), float32 as the official script
    computes it (``torch.Tensor`` inputs): inter = max(min(ends) - max(starts), 0),
    union = (len_a + len_b) - inter, every step rounded to float32. Two empty
    spans (union 0, 0/0 officially) get IoU 0."""
    a = np.asarray(a, dtype=np.float32).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 2)
    inter = np.maximum(np.minimum(a[:, None, 1], b[None, :, 1]) -
                       np.maximum(a[:, None, 0], b[None, :, 0]), np.float32(0))
    union = ((a[:, 1] - a[:, 0])[:, None] + (b[:, 1] - b[:, 0])[None, :]) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = inter / union
    return np.where(np.isnan(iou), np.float32(0), iou).astype(np.float32)


def _out(total: int, failed: int, **metrics: float) -> dict:
    return dict(Total=total, Failed=failed, **{k: round(v, 5) for k, v in metrics.items()})


def _first_span_scores(samples: list[dict], gt_spans: Callable[[dict], list], prefix: str,
                       name: str, keep: Callable[[int], bool] = lambda i: True
                       ) -> tuple[dict, int]:
    """Hit rate over all samples of each kept sample's first answered span: best
    IoU with its GT spans >= t (the float32 IoU compared with the threshold as a
    Python float); also the number of kept samples whose spans failed to parse."""
    hits, failed, sum_iou = [0] * len(ETBENCH_THRESHOLDS), 0, 0.0
    for i, sample in enumerate(samples):
        if not keep(i):
            continue
        spans = parse_spans(sample['a'])
        if spans is None:
            failed += 1
            continue
        iou = float(etbench_iou(gt_spans(sample), spans[:1]).max())
        sum_iou += iou
        for k, thr in enumerate(ETBENCH_THRESHOLDS):
            hits[k] += iou >= thr
    recall = [h / len(samples) for h in hits]
    per_thr = {f'{prefix}@{t}': r for t, r in zip(ETBENCH_THRESHOLDS, recall)}
    return _out(len(samples), failed, mIoU=sum_iou / len(samples), **per_thr,
                **{name: sum(recall) / len(recall)}), failed


def score_grounding(samples: list[dict], **_) -> dict:
    """TVG, EPM: first answered span against the single GT span ``tgt`` = [s, e];
    F1 = mean over thresholds of the hit rate over all samples."""
    return _first_span_scores(samples, lambda s: [s['tgt']], 'F1', 'F1')[0]


def score_tem(samples: list[dict], **_) -> dict:
    """TEM: first answered span against the best of the GT spans ``tgt``."""
    return _first_span_scores(samples, lambda s: s['tgt'], 'R', 'Rec')[0]


def score_tal(samples: list[dict], **_) -> dict:
    """TAL: per sample and threshold t (compared in float32), recall = share of GT
    spans whose best IoU >= t, precision = share of answered spans whose best IoU
    >= t, F1 = 2PR / (P + R), 0 when no pair reaches t; averaged over all samples."""
    sums, failed = [0.0] * len(ETBENCH_THRESHOLDS), 0
    for sample in samples:
        spans = parse_spans(sample['a'])
        if spans is None:
            failed += 1
            continue
        iou = etbench_iou(sample['tgt'], spans)
        for k, thr in enumerate(ETBENCH_THRESHOLDS):
            thr32 = np.float32(thr)
            if iou.max() < thr32:
                continue
            rec = float(np.float32((iou.max(axis=1) >= thr32).sum() / iou.shape[0]))
            prc = float(np.float32((iou.max(axis=0) >= thr32).sum() / iou.shape[1]))
            sums[k] += 2 * prc * rec / (prc + rec)
    f1 = [s / len(samples) for s in sums]
    return _out(len(samples), failed, **{f'F1@{t}': v for t, v in zip(ETBENCH_THRESHOLDS, f1)},
                F1=sum(f1) / len(f1))


_EVS_SECONDS = 1000  # the official per-second maps are this long


def _second_mask(spans: list, value: int) -> np.ndarray:
    mask = np.zeros(_EVS_SECONDS, dtype=np.int64)
    for start, end in spans:
        mask[max(0, round(start)):round(end)] = value
    return mask


def score_evs(samples: list[dict], **_) -> dict:
    """EVS: per-second F1 of the answered spans against the GT spans (whole seconds
    ``[round(s), round(e))`` with Python's rounding, first 1000 s), averaged over
    the parsed samples only (0 when none parsed)."""
    f1s, failed = [], 0
    for sample in samples:
        spans = parse_spans(sample['a'])
        if spans is None:
            failed += 1
            continue
        both = _second_mask(sample['tgt'], 1) + _second_mask(spans, 2)
        tp, fp, fn = int((both == 3).sum()), int((both == 2).sum()), int((both == 1).sum())
        if tp == 0:
            f1s.append(0)
        else:
            rec, prc = tp / (tp + fn), tp / (tp + fp)
            f1s.append(2 * prc * rec / (prc + rec))
    return _out(len(samples), failed, F1=sum(f1s) / len(f1s) if f1s else 0)


def score_vhd(samples: list[dict], **_) -> dict:
    """VHD: the first number of the answer is a hit when it lies in any window of
    any annotator (ends included); F1 = hit rate over all samples."""
    hits, failed = 0, 0
    for sample in samples:
        point = parse_point(sample['a'])
        if point is None:
            failed += 1
            continue
        hits += any(start <= point <= end for annotator in sample['tgt']
                    for start, end in annotator)
    return _out(len(samples), failed, F1=hits / len(samples))


def _option_texts(options: list) -> list[str]:
    """Options as the similarity fallback sees them: "(A) text", spans as "s - e"."""
    return [f'({_LETTERS[i].upper()}) ' +
            (f'{opt[0]} - {opt[1]}' if isinstance(opt, (list, tuple)) else opt)
            for i, opt in enumerate(options)]


def _letter_index(letter: str | None, num_options: int) -> int | None:
    if letter is None or letter not in _LETTERS[:num_options]:
        return None
    return _LETTERS.index(letter)


def score_referring(samples: list[dict], sim: SentenceSimilarity,
                    letter_rule: str = 'fallthrough', **_) -> dict:
    """RAR, ECA, RVQ accuracy. Readers in order: the first "(X)" anywhere; the
    first character of the answer (after "best option:" and brackets) standing
    alone; else the option whose "(X) text" is most similar to the answer. An
    empty answer, or one read only by similarity, is a failed parse (the second
    is still scored). The letters allowed are those of the group's first sample
    (A-D or A-E)."""
    if letter_rule not in LETTER_RULES:
        raise ValueError(f'letter_rule must be one of {LETTER_RULES}, got {letter_rule!r}')
    num_options = len(samples[0]['o'])
    hits, failed = 0, 0
    for sample in samples:
        answer, gt = parse_letter_answer(sample['a'], lowercase=True), sample['p']
        chosen = _letter_index(answer.paren, num_options)
        if chosen is not None and (chosen == gt or letter_rule == 'final'):
            hits += chosen == gt
            continue
        if not answer.text:
            failed += 1
            continue
        chosen = _letter_index(answer.leading, num_options)
        if chosen is not None and (chosen == gt or letter_rule == 'final'):
            hits += chosen == gt
            continue
        chosen = sim.nearest(answer.text, _option_texts(sample['o']))
        failed += answer.paren is None and answer.leading is None
        hits += chosen == gt
    return _out(len(samples), failed, Acc=hits / len(samples))


def _gvq_correct(sample: dict, sim: SentenceSimilarity) -> bool | None:
    """Whether a GVQ answer picks the right option (None: empty, a failed parse).
    No "(X)" reader here: a leading letter of the sample's own options decides,
    else the similarity fallback (case kept)."""
    answer = parse_letter_answer(sample['a'], lowercase=False)
    if not answer.text:
        return None
    chosen = _letter_index(answer.leading, len(sample['o']))
    if chosen is None:
        chosen = sim.nearest(answer.text, _option_texts(sample['o']))
    return chosen == sample['p']


def score_gvq(samples: list[dict], sim: SentenceSimilarity, **_) -> dict:
    """GVQ recall: like TVG over all samples, but only correctly answered samples
    can hit; Failed = empty answers + unparsed spans of correct answers."""
    correct = [_gvq_correct(sample, sim) for sample in samples]
    out, span_failed = _first_span_scores(samples, lambda s: [s['tgt']], 'R', 'Rec',
                                          keep=lambda i: bool(correct[i]))
    out['Failed'] = span_failed + sum(c is None for c in correct)
    out['Acc'] = round(sum(bool(c) for c in correct) / len(samples), 5)
    return out


def score_captioning(samples: list[dict], sim: SentenceSimilarity, seed: int = 0, **_) -> dict:
    """DVC, SLC: see :func:`.etbench_captioning.score_dense_captions`."""
    return score_dense_captions(samples, sim, ETBENCH_THRESHOLDS, seed=seed)


#: scorer of each task code.
TASK_SCORERS: dict[str, Callable[..., dict]] = dict(
    rar=score_referring, eca=score_referring, rvq=score_referring,
    tvg=score_grounding, epm=score_grounding, tal=score_tal, evs=score_evs, vhd=score_vhd,
    dvc=score_captioning, slc=score_captioning, tem=score_tem, gvq=score_gvq)


def score_group(task: str, samples: list[dict], sim: SentenceSimilarity,
                letter_rule: str = 'fallthrough', seed: int = 0) -> dict:
    """Scores of one (task, source) group of samples (> 0)."""
    if not samples:
        raise ValueError(f'no samples to score for task {task!r}')
    return TASK_SCORERS[task](samples, sim=sim, letter_rule=letter_rule, seed=seed)
