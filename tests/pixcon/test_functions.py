"""The public pure functions against straightforward loop references (eqs. 2.1, 2.3-2.7)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmpixcon.models import (boxes_to_mask, dense_info_nce, info_nce, inverse_augment,
                             semantic_weights, similarity_match)


def _cos(a, b):
    return float((a @ b) / (a.norm() * b.norm()))


def test_similarity_match_eq_2_3():
    torch.manual_seed(0)
    fq, fk = torch.randn(2, 6, 3, 4), torch.randn(2, 6, 2, 5)
    index, max_sim = similarity_match(fq, fk)
    assert index.shape == max_sim.shape == (2, 12)
    for b in range(2):
        q, k = fq[b].flatten(1), fk[b].flatten(1)
        for i in range(12):
            sims = [_cos(q[:, i], k[:, j]) for j in range(10)]
            assert int(index[b, i]) == max(range(10), key=sims.__getitem__)
            assert max_sim[b, i].item() == pytest.approx(max(sims), abs=1e-6)


def test_similarity_match_rejects_mismatched_channels():
    with pytest.raises(ValueError, match='channels'):
        similarity_match(torch.randn(1, 4, 2, 2), torch.randn(1, 5, 2, 2))


@pytest.mark.parametrize('size', [(1, 1), (3, 5), (7, 7), (14, 9)])
def test_boxes_to_mask_matches_cell_centres(size):
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.2, 0.1, 0.55, 0.9],
                          [0.5, 0.5, 0.5, 0.5], [0.9, 0.0, 1.0, 0.05]])
    mask = boxes_to_mask(boxes, size)
    h, w = size
    assert mask.shape == (4, h, w) and mask.dtype == torch.bool
    for b, (x1, y1, x2, y2) in enumerate(boxes.tolist()):
        for r in range(h):
            for c in range(w):
                cx, cy = (c + 0.5) / w, (r + 0.5) / h
                assert bool(mask[b, r, c]) == (x1 <= cx <= x2 and y1 <= cy <= y2)
    assert mask[0].all()


def _linear_map(h, w):
    """(1, 2, h, w) map whose values are the continuous x and y of each cell centre."""
    ys, xs = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing='ij')
    return torch.stack([xs, ys])[None].float()


def test_inverse_augment_samples_the_box():
    """RoIAlign of a linear map is exact: cell (r, c) holds the box's bin centre."""
    feat = _linear_map(8, 10)
    box = torch.tensor([[0.2, 0.25, 0.7, 0.75]])
    out = inverse_augment(feat, box, torch.tensor([False]), (4, 5))
    x1, y1, x2, y2 = 0.2 * 10, 0.25 * 8, 0.7 * 10, 0.75 * 8
    for r in range(4):
        for c in range(5):
            assert out[0, 0, r, c].item() == pytest.approx(x1 + (c + 0.5) * (x2 - x1) / 5, abs=1e-4)
            assert out[0, 1, r, c].item() == pytest.approx(y1 + (r + 0.5) * (y2 - y1) / 4, abs=1e-4)


def test_inverse_augment_undoes_flip():
    """A flipped map with its mirrored box gives the same aligned map as the original."""
    torch.manual_seed(0)
    feat = torch.randn(2, 3, 6, 6)
    box = torch.tensor([[0.1, 0.2, 0.6, 0.9], [0.0, 0.0, 1.0, 1.0]])
    mirrored = box.clone()
    mirrored[:, [0, 2]] = 1 - box[:, [2, 0]]
    plain = inverse_augment(feat, box, torch.tensor([False, False]), (3, 3))
    unflipped = inverse_augment(feat.flip(-1), mirrored, torch.tensor([True, True]), (3, 3))
    torch.testing.assert_close(plain, unflipped, atol=1e-5, rtol=0)


def _ref_weights(sim, in_box, alpha):
    """Eq. 2.7 with python lists; a flat out-of-box row gets weight 0."""
    out = []
    for s_row, m_row in zip(sim.tolist(), in_box.tolist()):
        outside = [s for s, m in zip(s_row, m_row) if not m]
        lo, hi = (min(outside), max(outside)) if outside else (0.0, 0.0)
        row = []
        for s, m in zip(s_row, m_row):
            row.append(1.0 if m else (0.0 if hi - lo < 1e-6 else ((s - lo) / (hi - lo)) ** alpha))
        out.append(row)
    return torch.tensor(out)


@pytest.mark.parametrize('alpha', [1.0, 2.0, 4.0])
def test_semantic_weights_eq_2_7(alpha):
    torch.manual_seed(0)
    sim = torch.rand(3, 49) * 2 - 1
    in_box = torch.rand(3, 49) < 0.4
    w = semantic_weights(sim, in_box, alpha)
    torch.testing.assert_close(w, _ref_weights(sim, in_box, alpha), atol=1e-5, rtol=0)
    assert not w.requires_grad


def test_semantic_weights_ablation_modes():
    torch.manual_seed(1)
    sim, in_box = torch.rand(2, 16), torch.rand(2, 16) < 0.5
    torch.testing.assert_close(semantic_weights(sim, in_box, mode='spatial'), in_box.float())
    torch.testing.assert_close(semantic_weights(sim, in_box, mode=None), torch.ones(2, 16))
    everything = torch.zeros_like(in_box)
    torch.testing.assert_close(semantic_weights(sim, in_box, 2.0, mode='similarity'),
                               _ref_weights(sim, everything, 2.0), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match='mode'):
        semantic_weights(sim, in_box, mode='bogus')


@pytest.mark.parametrize('case', ['all_in', 'none_in', 'flat', 'single_out', 'fp16', 'nan'])
def test_semantic_weights_degenerate_cases_are_finite(case):
    sim = torch.rand(2, 9)
    in_box = torch.rand(2, 9) < 0.5
    if case == 'all_in':
        in_box[:] = True
    elif case == 'none_in':
        in_box[:] = False
    elif case == 'flat':
        sim[:] = 0.3
    elif case == 'single_out':
        in_box[:] = True
        in_box[:, 4] = False
    elif case == 'fp16':
        sim = (sim * 1e-4).half()  # spread below fp16 resolution in places
    elif case == 'nan':
        sim[0, 0] = float('nan')
    w = semantic_weights(sim, in_box)
    assert w.dtype == torch.float32 and torch.isfinite(w).all()
    assert ((w >= 0) & (w <= 1)).all()
    assert (w[in_box] == 1).all()
    if case in ('all_in', 'none_in', 'flat', 'single_out'):
        torch.testing.assert_close(w, _ref_weights(sim, in_box, 2.0), atol=1e-5, rtol=0)


def _ref_pixel_losses(q, k, queue, tau):
    """-log softmax of the positive, one pixel at a time, via F.cross_entropy."""
    b, n, _ = q.shape
    out = torch.zeros(b, n)
    for i in range(b):
        for j in range(n):
            logits = torch.cat([(q[i, j] @ k[i, j])[None], queue @ q[i, j]]) / tau
            out[i, j] = F.cross_entropy(logits[None], torch.zeros(1, dtype=torch.long))
    return out


def _unit(*shape):
    return F.normalize(torch.randn(*shape), dim=-1)


def test_dense_info_nce_eq_2_4_and_2_6():
    torch.manual_seed(0)
    q, k, queue = _unit(2, 5, 8), _unit(2, 5, 8), _unit(11, 8)
    ref = _ref_pixel_losses(q, k, queue, 0.2)
    assert dense_info_nce(q, k, queue, 0.2).item() == pytest.approx(ref.mean().item(), rel=1e-5)
    w = torch.rand(2, 5)
    expected = sum((w[i] * ref[i]).sum() / w[i].sum() for i in range(2)) / 2
    assert dense_info_nce(q, k, queue, 0.2, w).item() == pytest.approx(expected.item(), rel=1e-5)


def test_dense_info_nce_zero_weights_contribute_nothing():
    torch.manual_seed(0)
    q = _unit(2, 4, 8).requires_grad_()
    k, queue = _unit(2, 4, 8), _unit(6, 8)
    w = torch.tensor([[0., 0., 0., 0.], [1., 1., 0., 1.]])
    loss = dense_info_nce(q, k, queue, 0.2, w)
    ref = _ref_pixel_losses(q.detach(), k, queue, 0.2)
    assert loss.item() == pytest.approx((ref[1, [0, 1, 3]].mean() / 2).item(), rel=1e-5)
    loss.backward()
    assert torch.isfinite(q.grad).all() and (q.grad[0] == 0).all()
    everything_zero = dense_info_nce(q, k, queue, 0.2, torch.zeros(2, 4))
    assert everything_zero.item() == 0.0


def test_info_nce_eq_2_1():
    torch.manual_seed(0)
    q, k, queue = _unit(4, 16), _unit(4, 16), _unit(32, 16)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.t()], 1) / 0.2
    expected = -torch.log_softmax(logits, 1)[:, 0].mean()
    assert info_nce(q, k, queue, 0.2).item() == pytest.approx(expected.item(), rel=1e-6)
    # the formula itself, once, for the first query
    num = math.exp(float(q[0] @ k[0]) / 0.2)
    den = num + sum(math.exp(float(q[0] @ n) / 0.2) for n in queue)
    single = info_nce(q[:1], k[:1], queue, 0.2).item()
    assert single == pytest.approx(-math.log(num / den), rel=1e-5)
