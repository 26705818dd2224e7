"""Decoders and temporal NMS on hand-made 1-D curves, and against direct references."""
import numpy as np
import pytest
import torch

from mms2l.decoding import (critical_point_decode, gaussian_smooth, local_maxima, loc_head_decode,
                            minmax_scale, temporal_iou, temporal_nms, threshold_decode)


def runs_reference(mask):
    """Half-open runs of True, written as a plain loop."""
    runs, start = [], None
    for i, m in enumerate(list(mask) + [False]):
        if m and start is None:
            start = i
        if not m and start is not None:
            runs.append((start, i))
            start = None
    return runs


def test_threshold_single_peak():
    curve = [0.0, 0.1, 0.2, 0.9, 1.0, 0.8, 0.1, 0.0]
    segs, scores = threshold_decode(curve, threshold=0.5)
    assert segs.tolist() == [[3, 6]]
    assert scores[0] == pytest.approx(np.mean([0.9, 1.0, 0.8]))


def test_threshold_two_peaks_ordered_by_score():
    curve = [0.0, 0.6, 0.6, 0.0, 0.0, 1.0, 0.9, 0.0]
    segs, scores = threshold_decode(curve, threshold=0.5)
    assert segs.tolist() == [[5, 7], [1, 3]]
    assert scores.tolist() == pytest.approx([0.95, 0.6])


def test_threshold_plateau_is_one_segment():
    curve = [0.1, 0.1, 0.7, 0.7, 0.7, 0.7, 0.1]
    segs, _ = threshold_decode(curve)
    assert segs.tolist() == [[2, 6]]


def test_threshold_flat_curve_covers_the_video():
    segs, scores = threshold_decode(np.full(5, 0.3))
    assert segs.tolist() == [[0, 5]]
    assert scores.tolist() == [1.0]


def test_threshold_scale_invariance_and_reference():
    rng = np.random.default_rng(0)
    for _ in range(20):
        curve = rng.normal(size=rng.integers(1, 40))
        segs, _ = threshold_decode(curve, threshold=0.6, nms_iou=1.0)
        scaled = (curve - curve.min()) / (np.ptp(curve) or 1)
        expected = runs_reference(scaled >= 0.6) if np.ptp(curve) else [(0, len(curve))]
        assert sorted(map(tuple, segs.tolist())) == sorted(expected)
        segs2, _ = threshold_decode(3 * curve + 7, threshold=0.6, nms_iou=1.0)
        assert sorted(map(tuple, segs2.tolist())) == sorted(map(tuple, segs.tolist()))


def test_threshold_multi_threshold_nms_keeps_best_nested():
    curve = [0, 0.55, 0.6, 1.0, 0.95, 0.6, 0.0, 0.0]
    segs, scores = threshold_decode(curve, threshold=(0.5, 0.9), nms_iou=0.3)
    # [1, 6) (mean 0.74) and [3, 5) (mean 0.975) overlap with IoU 0.4 > 0.3: keep the better.
    assert segs.tolist() == [[3, 5]]
    assert scores[0] == pytest.approx(0.975)


@pytest.mark.parametrize('bad', [[], [[0.1, 0.2]], [0.1, np.nan]])
def test_decoders_reject_bad_curves(bad):
    for decode in (threshold_decode, critical_point_decode):
        with pytest.raises(ValueError):
            decode(np.asarray(bad, dtype=float))


def test_threshold_out_of_range():
    with pytest.raises(ValueError):
        threshold_decode([0.0, 1.0], threshold=1.5)


def test_temporal_iou_values():
    iou = temporal_iou(np.array([[0, 10]]), np.array([[5, 15], [10, 20], [0, 10], [2, 4]]))
    assert iou[0].tolist() == pytest.approx([5 / 15, 0.0, 1.0, 0.2])


def nms_reference(segs, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        ok = True
        for j in keep:
            inter = max(0, min(segs[i][1], segs[j][1]) - max(segs[i][0], segs[j][0]))
            union = (segs[i][1] - segs[i][0]) + (segs[j][1] - segs[j][0]) - inter
            if union and inter / union > thr:
                ok = False
        if ok:
            keep.append(i)
    return keep


def test_nms_against_reference():
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = int(rng.integers(1, 12))
        starts = rng.integers(0, 20, n)
        segs = np.stack([starts, starts + rng.integers(1, 10, n)], 1)
        scores = rng.random(n)
        kept, kept_scores = temporal_nms(segs, scores, 0.4)
        ref = nms_reference(segs.tolist(), scores.tolist(), 0.4)
        assert kept.tolist() == segs[ref].tolist()
        assert kept_scores.tolist() == scores[ref].tolist()


def test_nms_max_segments_and_mismatch():
    segs = np.array([[0, 2], [5, 7], [9, 12]])
    kept, _ = temporal_nms(segs, np.array([0.1, 0.9, 0.5]), 0.5, max_segments=2)
    assert kept.tolist() == [[5, 7], [9, 12]]
    with pytest.raises(ValueError):
        temporal_nms(segs, np.array([0.1]))


def test_gaussian_smooth_matches_direct_convolution():
    rng = np.random.default_rng(2)
    curve = rng.random(15)
    sigma = 1.5
    radius = 5
    weights = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    weights /= weights.sum()
    expected = [sum(w * curve[min(max(t + k, 0), len(curve) - 1)]
                    for k, w in zip(range(-radius, radius + 1), weights)) for t in range(15)]
    assert gaussian_smooth(curve, sigma) == pytest.approx(expected)
    assert gaussian_smooth(curve, 0).tolist() == curve.tolist()


def test_local_maxima_plateau_counts_once():
    arr = np.array([0, 1, 1, 1, 0, 2, 0, 3])
    assert local_maxima(arr) == [(1, 4), (5, 6), (7, 8)]


def test_critical_point_single_peak():
    curve = [0.0, 0.2, 0.5, 1.0, 0.5, 0.2, 0.1, 0.3]
    segs, scores = critical_point_decode(curve, sigma=0)
    # peak 3 spans to the minima at 0 and 6; the edge peak 7 runs back to 6.
    assert segs.tolist() == [[0, 7], [6, 8]]
    assert scores[0] == pytest.approx(1.0)


def test_critical_point_two_peaks():
    curve = np.array([0, 1, 3, 1, 0, 0, 2, 4, 2, 0], dtype=float)
    segs, scores = critical_point_decode(curve, sigma=0)
    assert segs.tolist() == [[5, 10], [0, 5]]  # the flat minimum 4-5 splits them
    assert scores.tolist() == pytest.approx([1.0, 0.75])


def test_critical_point_plateau_and_flat():
    segs, _ = critical_point_decode([0, 2, 2, 2, 0], sigma=0)
    assert segs.tolist() == [[0, 5]]
    segs, scores = critical_point_decode(np.full(6, 0.4), sigma=1.0)
    assert segs.tolist() == [[0, 6]] and scores.tolist() == [1.0]


def test_curves_shorter_than_the_smoothing_window():
    short = [0.2, 0.9, 0.1]  # kernel radius 6 > length 3
    segs, _ = critical_point_decode(short, sigma=2.0)
    assert len(segs) == 1 and segs[0, 0] >= 0 and segs[0, 1] <= 3
    segs, _ = critical_point_decode([0.5], sigma=2.0)
    assert segs.tolist() == [[0, 1]]
    assert threshold_decode([0.5])[0].tolist() == [[0, 1]]


def test_critical_point_smoothing_merges_noise():
    rng = np.random.default_rng(3)
    t = np.arange(40)
    curve = np.exp(-0.5 * ((t - 20) / 3) ** 2) + 0.05 * rng.normal(size=40)
    raw, _ = critical_point_decode(curve, sigma=0)
    smooth, _ = critical_point_decode(curve, sigma=2.0)
    assert len(raw) > len(smooth)
    assert smooth[0, 0] < 20 < smooth[0, 1]


def test_loc_head_decode_uses_regressed_offsets():
    curve = np.array([0, 0.2, 1.0, 0.2, 0, 0, 0.1, 0.6, 0.1, 0])
    offsets = np.zeros((10, 2))
    offsets[2] = [1.0, 2.0]
    offsets[7] = [0.0, 1.0]
    fg = np.linspace(0, 1, 10)
    segs, scores = loc_head_decode(curve, offsets, fg, sigma=0)
    assert segs.tolist() == [[7, 9], [1, 5]]  # ordered by foreground at the peaks 7 and 2
    assert scores.tolist() == pytest.approx([fg[7], fg[2]])
    with pytest.raises(ValueError):
        loc_head_decode(curve, offsets[:3], fg)


def test_minmax_scale_accepts_tensors():
    out = minmax_scale(torch.tensor([1.0, 3.0, 2.0]))
    assert out.tolist() == [0.0, 1.0, 0.5]
