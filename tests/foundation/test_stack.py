"""The stack imports with mmcv's compiled ops, and they agree with torchvision."""
import torch
import torchvision


def _random_boxes(num: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=gen) * 100
    wh = torch.rand(num, 2, generator=gen) * 60 + 1
    return torch.cat([xy, xy + wh], dim=1)  # (N, 4) x1y1x2y2


def test_compiled_extension_is_present():
    import mmcv
    from mmcv.utils import ext_loader
    ext = ext_loader.load_ext('_ext', ['nms', 'roi_align_forward', 'roi_align_backward'])
    assert mmcv.__version__ == '2.1.0'
    assert callable(ext.nms) and callable(ext.roi_align_forward)


def test_nms_matches_torchvision():
    from mmcv.ops import nms
    boxes = _random_boxes(300, seed=0)
    scores = torch.rand(300, generator=torch.Generator().manual_seed(1))
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    expected = torchvision.ops.nms(boxes, scores, 0.5)
    assert torch.equal(keep, expected)
    assert torch.allclose(dets[:, 4], scores[expected])


def test_roi_align_matches_torchvision_forward_and_backward():
    from mmcv.ops import roi_align
    gen = torch.Generator().manual_seed(2)
    feats = torch.randn(2, 8, 32, 32, generator=gen, requires_grad=True)
    boxes = _random_boxes(10, seed=3) / 4
    rois = torch.cat([torch.arange(10).remainder(2).float()[:, None], boxes], dim=1)
    out = roi_align(feats, rois, (7, 7), 0.5, 2, 'avg', True)
    ref_feats = feats.detach().clone().requires_grad_(True)
    ref = torchvision.ops.roi_align(ref_feats, rois, (7, 7), 0.5, 2, aligned=True)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    (ref * weights).sum().backward()
    torch.testing.assert_close(feats.grad, ref_feats.grad, rtol=1e-5, atol=1e-5)
