"""Direct, loop-based reference implementations for the mmvsumm tests and benchmark.

Written for obviousness, not speed: each follows the thesis formula term by term.
"""
from __future__ import annotations

import itertools
import math

import numpy as np


def unit_rows(feats: np.ndarray) -> np.ndarray:
    out = np.array(feats, dtype=np.float64)
    for row in out:
        norm = math.sqrt(sum(v * v for v in row))
        if norm > 0:
            row /= norm
    return out


def sq_dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b)))


def local_dissimilarity_ref(feats: np.ndarray, k: int) -> np.ndarray:
    """Eq. 3.4 with an explicit neighbour count ``k`` (self excluded)."""
    x = unit_rows(feats)
    out = []
    for t in range(len(x)):
        others = [(-float(np.dot(x[t], x[s])), s) for s in range(len(x)) if s != t]
        neighbours = [s for _, s in sorted(others)[:k]]
        out.append(sum(sq_dist(x[t], x[s]) for s in neighbours) / k)
    return np.array(out)


def global_consistency_ref(feats: np.ndarray) -> np.ndarray:
    """Eq. 3.5, literally."""
    x = unit_rows(feats)
    num = len(x)
    return np.array([math.log(sum(math.exp(-2 * sq_dist(x[t], x[s]))
                                  for s in range(num) if s != t) / (num - 1))
                     for t in range(num)])


def scatter_ref(gram: np.ndarray, start: int, end: int) -> float:
    """Within-segment scatter of ``[start, end)`` from the kernel, by loops."""
    length = end - start
    diag = sum(gram[t, t] for t in range(start, end))
    block = sum(gram[s, t] for s in range(start, end) for t in range(start, end))
    return diag - block / length


def kts_plain(feats: np.ndarray, max_change_points: int | None = None,
              vmax: float = 1.0) -> np.ndarray:
    """Straightforward KTS: scatter table and DP with Python loops, same penalty and
    the same exact early stop as the library version."""
    x = unit_rows(feats)
    num = len(x)
    gram = x @ x.T
    # row_cum[t][s] = sum of gram[t, :s]; scatter[i][j] by running sums over j
    row_cum = [[0.0] * (num + 1) for _ in range(num)]
    for t in range(num):
        for s in range(num):
            row_cum[t][s + 1] = row_cum[t][s] + gram[t, s]
    scatter = [[math.inf] * (num + 1) for _ in range(num + 1)]
    for i in range(num):
        diag = block = 0.0
        for j in range(i + 1, num + 1):
            t = j - 1
            diag += gram[t, t]
            block += 2 * (row_cum[t][t] - row_cum[t][i]) + gram[t, t]
            scatter[i][j] = max(diag - block / (j - i), 0.0)
    limit = num - 1 if max_change_points is None else min(max_change_points, num - 1)

    def penalty(m: int) -> float:
        return 0.0 if m == 0 else vmax * m / (2 * num) * (math.log(num / m) + 1)

    best = [scatter[0][j] for j in range(num + 1)]
    back, best_m, best_total = [], 0, best[num] / num
    for m in range(1, max(limit, 0) + 1):
        if penalty(m) >= best_total:
            break
        new, ptr = [math.inf] * (num + 1), [0] * (num + 1)
        for j in range(m + 1, num + 1):
            for i in range(m, j):
                value = best[i] + scatter[i][j]
                if value < new[j]:
                    new[j], ptr[j] = value, i
        back.append(ptr)
        best = new
        total = best[num] / num + penalty(m)
        if total < best_total:
            best_m, best_total = m, total
    cps, end = [], num
    for m in range(best_m, 0, -1):
        end = back[m - 1][end]
        cps.append(end)
    return np.array(cps[::-1], dtype=np.int64)


def knapsack_brute(values, weights, capacity: int) -> list[int]:
    """Best subset by enumeration; ties go to the subset that avoids later items
    (smallest indicator vector read from the last item)."""
    best, best_code, best_set = -math.inf, None, []
    for size in range(len(values) + 1):
        for subset in itertools.combinations(range(len(values)), size):
            if sum(weights[i] for i in subset) > capacity:
                continue
            value = sum(values[i] for i in subset)
            code = sum(1 << i for i in subset)
            if value > best or (value == best and code < best_code):
                best, best_code, best_set = value, code, list(subset)
    return best_set


# --- the official release's formulas (pytorch-CTVSUM), re-derived for the tests -------
# Written from the release's equations, in numpy float64, without mmvsumm: neighbours
# by a descending sort of raw cosine similarities (the frame itself included),
# K = int(T a), squared distances as 2 - 2 cos, min-max without guard, TVSum
# exp(s - 1) / SumMe s + 0.05, gaussian_filter1d(s, 1) with scipy's default edges.

def release_unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def release_terms(raw: np.ndarray, proj: np.ndarray, ratio: float) -> tuple:
    """(L_align, L_uniform) per frame: neighbours from ``raw``, distances of ``proj``."""
    raw_cos = release_unit(raw) @ release_unit(raw).T
    unit = release_unit(proj)
    diff = 2.0 - 2.0 * unit @ unit.T
    order = np.argsort(-raw_cos, axis=1, kind='stable')[:, :int(len(raw) * ratio)]
    laln = np.array([diff[t, order[t]].mean() for t in range(len(raw))])
    lunif = np.log(np.exp(-2.0 * diff).mean(axis=1))
    return laln, lunif


def release_postprocess(terms: list, dataset: str) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d
    scores = np.ones(len(terms[0]))
    for term in terms:
        scores = scores * (term - term.min()) / (term.max() - term.min())
    scores = np.exp(scores - 1.0) if dataset == 'tvsum' else scores + 0.05
    return gaussian_filter1d(scores, 1)


def _layer_norm(x: np.ndarray, weight, bias, eps: float = 1e-6) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _release_layer(x: np.ndarray, p: dict, prefix: str, heads: int, d_head: int) -> np.ndarray:
    """The release's EncoderLayer: bias-free multi-head attention, residual, LayerNorm;
    w_2(relu(w_1 x)), residual, LayerNorm.  # (T, d) -> (T, d)"""
    w = p[prefix + 'qkv.weight'].reshape(3, heads, d_head, -1)  # rows: q | k | v, by head
    heads_out = []
    for h in range(heads):
        q, k, v = (x @ w[i, h].T for i in range(3))
        logits = (q / math.sqrt(d_head)) @ k.T
        attn = np.exp(logits - logits.max(1, keepdims=True))
        heads_out.append((attn / attn.sum(1, keepdims=True)) @ v)
    x = _layer_norm(np.concatenate(heads_out, 1) @ p[prefix + 'out.weight'].T + x,
                    p[prefix + 'norm1.weight'], p[prefix + 'norm1.bias'])
    hidden = np.maximum(x @ p[prefix + 'ffn.0.weight'].T + p[prefix + 'ffn.0.bias'], 0)
    ffn = hidden @ p[prefix + 'ffn.3.weight'].T + p[prefix + 'ffn.3.bias']
    return _layer_norm(ffn + x, p[prefix + 'norm2.weight'], p[prefix + 'norm2.bias'])


def release_network(p: dict, feats: np.ndarray, layers: int, heads: int,
                    d_head: int = 64) -> tuple:
    """The release's TransformerEncoder forward with the given weights: projection,
    LayerNorm, encoder layers; the filter layer on the (unnormalised) output, then
    Linear-ReLU-Linear-sigmoid.  # (T, D) -> ((T, d), (T,))"""
    x = feats @ p['project.weight'].T + p['project.bias']
    x = _layer_norm(x, p['input_norm.weight'], p['input_norm.bias'])
    for i in range(layers):
        x = _release_layer(x, p, f'encoder.{i}.', heads, d_head)
    u = _release_layer(x, p, 'filter.0.', heads, d_head)
    u = np.maximum(u @ p['filter_head.0.weight'].T + p['filter_head.0.bias'], 0)
    logit = (u @ p['filter_head.2.weight'].T + p['filter_head.2.bias'])[:, 0]
    return x, 1.0 / (1.0 + np.exp(-logit))


def release_training_loss(raws: list, projs: list, uniq: list, ratio: float,
                          alpha: float, segments: int = 20) -> float:
    """The release's training objective of one batch (equal-length videos)."""
    units = [release_unit(z) for z in projs]
    segs = np.concatenate([release_unit(u.reshape(segments, -1, u.shape[1]).mean(1))
                           for u in units])  # every video's segments, own ones included
    laln, lunif, lfv, bce = [], [], [], []
    for raw, proj, unit, h in zip(raws, projs, units, uniq):
        a, u = release_terms(raw, proj, ratio)
        fv = np.log(np.exp(4.0 * unit @ segs.T).mean(1))
        target = 0.5 * (fv - fv.min()) / (fv.max() - fv.min() + 1e-9) + 0.25
        y = 1.0 - target
        laln.append(a), lunif.append(u), lfv.append(fv)
        bce.append(-(y * np.log(h) + (1 - y) * np.log(1 - h)))
    return float(np.mean(laln) + alpha * np.mean(lunif) + 0.1 * np.mean(lfv) +
                 0.1 * np.mean(bce))


def release_rank(scores: np.ndarray, refs: np.ndarray) -> tuple:
    """Mean over annotators of kendalltau(rankdata(-ref), rankdata(-scores)) and
    spearmanr(ref, scores), refs at 2 fps."""
    from scipy.stats import kendalltau, rankdata, spearmanr
    taus = [kendalltau(rankdata(-r), rankdata(-scores))[0] for r in refs]
    rhos = [spearmanr(r, scores)[0] for r in refs]
    return float(np.mean(taus)), float(np.mean(rhos))


def release_f1(scores: np.ndarray, cps: np.ndarray, n_frames: int, picks: np.ndarray,
               user_summary: np.ndarray, reduce: str) -> float:
    """Shot means of the held frame scores, integer knapsack on int(1000 v) within
    floor(0.15 n), F1 against each user (mean or max)."""
    frame = np.zeros(n_frames, dtype=np.float32)
    bounds = list(picks) + [n_frames]
    for i in range(len(bounds) - 1):
        frame[bounds[i]:bounds[i + 1]] = scores[i]
    values = [int(1000 * float(frame[s:e + 1].mean())) for s, e in cps]
    weights = [int(e - s + 1) for s, e in cps]
    chosen = knapsack_brute(values, weights, int(math.floor(n_frames * 0.15)))
    summary = np.zeros(n_frames)
    for shot in chosen:
        summary[cps[shot][0]:cps[shot][1] + 1] = 1
    f1s = []
    for user in (user_summary > 0).astype(np.float64):
        overlap = (summary * user).sum()
        precision = overlap / (summary.sum() + 1e-8)
        recall = overlap / (user.sum() + 1e-8)
        f1s.append(0.0 if precision == recall == 0 else
                   2 * precision * recall / (precision + recall))
    return float(np.mean(f1s) if reduce == 'mean' else np.max(f1s))
