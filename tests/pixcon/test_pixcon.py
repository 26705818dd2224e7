"""PixCon: DenseCL equivalence, every variant trains, degenerate batches stay finite."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmpixcon  # noqa: F401  registers PixCon
from mmpixcon.models import PixCon

IMG = 64
BACKBONE = dict(type='ResNet', depth=18, norm_cfg=dict(type='BN'))
HEAD = dict(hid_channels=32, out_channels=16, norm_cfg=dict(type='BN1d'))
PREDICTOR = dict(type='NonLinearNeck', in_channels=16, with_avg_pool=False, with_last_bn=False,
                 with_last_bias=True, **HEAD)
DENSECL_NECK = dict(type='DenseCLNeck', in_channels=512, hid_channels=32, out_channels=16,
                    num_grid=None)


@pytest.fixture(autouse=True)
def _max_iters():
    MessageHub.get_current_instance().update_info('max_iters', 10)  # CosineEMA reads it


def _samples(boxes, flips):
    out = []
    for b, f in zip(boxes, flips):
        ds = DataSample()
        ds.set_field(b.numpy(), 'pixcon_boxes')
        ds.set_field(f.numpy(), 'pixcon_flips')
        out.append(ds)
    return out


def _batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    views = [torch.randn(n, 3, IMG, IMG, generator=g) for _ in range(2)]
    lo = torch.rand(n, 2, 2, generator=g) * 0.5
    boxes = torch.cat([lo, lo + 0.3 + torch.rand(n, 2, 2, generator=g) * 0.2], -1)
    boxes = boxes[..., [0, 1, 2, 3]]
    flips = torch.rand(n, 2, generator=g) < 0.5
    return views, _samples(boxes, flips)


def _pixcon(**kwargs):
    cfg = dict(type='PixCon', backbone=BACKBONE,
               neck=dict(type='PixConNeck', in_channels=512, **HEAD), predictor=PREDICTOR,
               dense_predictor=PREDICTOR, queue_len=32, feat_dim=16)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_densecl_mode_equals_mmpretrain_densecl():
    torch.manual_seed(0)
    densecl = MODELS.build(dict(type='DenseCL', backbone=BACKBONE, neck=DENSECL_NECK,
                                head=dict(type='ContrastiveHead',
                                          loss=dict(type='CrossEntropyLoss'), temperature=0.2),
                                queue_len=32, feat_dim=16, momentum=0.001, loss_lambda=0.5))
    pixcon = _pixcon(neck=DENSECL_NECK, predictor=None, dense_predictor=None, reweighting=None,
                     symmetric=False, momentum=0.001, momentum_schedule='constant',
                     shuffle_bn=True)
    pixcon.backbone.load_state_dict(densecl.backbone.state_dict())
    pixcon.neck.load_state_dict(densecl.neck.state_dict())
    pixcon.global_queue.feats.copy_(densecl.queue.t())
    pixcon.dense_queue.feats.copy_(densecl.queue2.t())
    opts = [torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (densecl, pixcon)]
    for step in range(3):  # also checks EMA, queue updates and pointer moves
        views, samples = _batch(seed=step)
        torch.manual_seed(100 + step)  # same shuffle-BN permutation
        ref = densecl.loss([v.clone() for v in views], samples)
        torch.manual_seed(100 + step)
        out = pixcon.loss([v.clone() for v in views], samples)
        assert out['loss_img'].item() == pytest.approx(ref['loss_single'].item(), abs=1e-5)
        assert out['loss_pix'].item() == pytest.approx(ref['loss_dense'].item(), abs=1e-5)
        for opt, losses in zip(opts, (ref, out)):
            opt.zero_grad()
            sum(losses.values()).backward()
            opt.step()
    torch.testing.assert_close(pixcon.dense_queue.feats, densecl.queue2.t(), atol=1e-5, rtol=0)
    torch.testing.assert_close(pixcon.global_queue.feats, densecl.queue.t(), atol=1e-5, rtol=0)


@pytest.mark.parametrize('kwargs', [
    dict(),  # SR
    dict(reweighting=None),  # Sim
    dict(matching='coordinate', reweighting=None),  # Coord
    dict(reweighting='spatial'),
    dict(reweighting='similarity', alpha=4.0),
    dict(symmetric=False, predictor=None, dense_predictor=None),
    dict(neck=dict(type='NonLinearNeck', in_channels=512, with_last_bn=False, **HEAD),
         dense_predictor=None, loss_lambda=0.0),  # MoCo-v2+
])
def test_every_variant_trains(kwargs):
    torch.manual_seed(0)
    model = _pixcon(**kwargs)
    views, samples = _batch()
    before = copy.deepcopy(model.backbone.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = model.loss(views, samples)
    assert set(losses) == ({'loss_img'} if kwargs.get('loss_lambda') == 0.0
                           else {'loss_img', 'loss_pix'})
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    opt.step()
    changed = [not torch.equal(before[k], v) for k, v in model.backbone.state_dict().items()]
    assert any(changed)
    assert int(model.global_queue.ptr) == 4


@pytest.mark.parametrize('box', [[0.0, 0.0, 1.0, 1.0], [0.49, 0.49, 0.51, 0.51]])
def test_degenerate_boxes_give_finite_losses(box):
    """All pixels in-box, or a box so small no cell centre is in it."""
    torch.manual_seed(0)
    model = _pixcon()
    views, samples = _batch()
    for ds in samples:
        ds.pixcon_boxes[:] = box
    losses = model.loss(views, samples)
    assert all(torch.isfinite(v) for v in losses.values())


def test_missing_geometry_is_a_clear_error():
    model = _pixcon()
    views, _ = _batch()
    with pytest.raises(KeyError, match='pixcon_boxes'):
        model.loss(views, [DataSample() for _ in range(4)])


def test_bad_switches_are_rejected():
    with pytest.raises(ValueError, match='matching'):
        _pixcon(matching='nearest')
    with pytest.raises(ValueError, match='reweighting'):
        _pixcon(reweighting='semantics')
    with pytest.raises(ValueError, match='coordinate'):
        _pixcon(matching='coordinate', reweighting='semantic')
    assert isinstance(_pixcon(), PixCon)
