"""Context-matching scores and loss against direct references (eq. 4.2-4.4)."""
import math

import pytest
import torch

from mms2l.losses import context_matching_loss, context_matching_scores, loc_head_loss


def test_scores_are_cosines():
    torch.manual_seed(0)
    frames, locs = torch.randn(7, 5), torch.randn(3, 5)
    scores = context_matching_scores(frames, locs)
    assert scores.shape == (3, 7)
    for m in range(3):
        for t in range(7):
            expected = float(locs[m] @ frames[t]) / float(locs[m].norm() * frames[t].norm())
            assert float(scores[m, t]) == pytest.approx(expected, abs=1e-6)


def test_scores_shape_errors():
    with pytest.raises(ValueError):
        context_matching_scores(torch.randn(4, 3), torch.randn(2, 5))
    with pytest.raises(ValueError):
        context_matching_scores(torch.randn(4), torch.randn(2, 4))


def cm_reference(scores, spans, tau):
    total = 0.0
    for m, (ts, te) in enumerate(spans):
        denom = sum(math.exp(float(s) / tau) for s in scores[m])
        terms = [-math.log(math.exp(float(scores[m, t]) / tau) / denom) for t in range(ts, te + 1)]
        total += sum(terms) / len(terms)
    return total / len(spans)


def test_cm_loss_matches_reference():
    torch.manual_seed(1)
    scores = torch.rand(3, 10) * 2 - 1
    spans = [[0, 0], [2, 6], [9, 9]]
    loss = context_matching_loss(scores, torch.tensor(spans), temperature=0.5)
    assert float(loss) == pytest.approx(cm_reference(scores, spans, 0.5), rel=1e-5)


def test_cm_loss_prefers_scores_inside_the_span():
    good = torch.tensor([[-1.0, -1.0, 1.0, 1.0, -1.0]])
    bad = torch.tensor([[1.0, 1.0, -1.0, -1.0, 1.0]])
    spans = torch.tensor([[2, 3]])
    assert context_matching_loss(good, spans) < context_matching_loss(bad, spans)
    # the best possible loss is log(span length) when all mass sits on the span
    assert float(context_matching_loss(good, spans, 0.01)) == pytest.approx(math.log(2), abs=1e-4)


def test_cm_loss_gradient_flows():
    scores = torch.zeros(2, 6, requires_grad=True)
    context_matching_loss(scores, torch.tensor([[1, 2], [4, 5]])).backward()
    assert torch.isfinite(scores.grad).all() and scores.grad.abs().sum() > 0


@pytest.mark.parametrize('spans', [[[3, 2]], [[0, 6]], [[-1, 2]], [[0, 1], [2, 3]]])
def test_cm_loss_rejects_bad_spans(spans):
    with pytest.raises(ValueError):
        context_matching_loss(torch.zeros(1, 6), torch.tensor(spans))


def test_cm_loss_rejects_bad_temperature_and_empty():
    with pytest.raises(ValueError):
        context_matching_loss(torch.zeros(1, 4), torch.tensor([[0, 1]]), temperature=0)
    with pytest.raises(ValueError):
        context_matching_loss(torch.zeros(0, 4), torch.zeros(0, 2, dtype=torch.long))


def test_loc_head_loss_reference():
    fg = torch.tensor([[0.0, 2.0, 2.0, -2.0]])
    offsets = torch.tensor([[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [5.0, 5.0]]])
    spans = torch.tensor([[1, 2]])
    loss = loc_head_loss(fg, offsets, spans)
    target = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(fg, target)
    assert float(loss) == pytest.approx(float(bce), abs=1e-6)  # offsets exact inside the span
    offsets[0, 1] = torch.tensor([1.0, 1.0])
    assert float(loc_head_loss(fg, offsets, spans)) == pytest.approx(float(bce) + 0.5, abs=1e-6)
