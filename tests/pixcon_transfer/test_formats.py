"""The three output formats of ResNet-50 PixCon checkpoints, each loaded with zero
missing backbone keys: mmdet's ResNet and torchvision's resnet50 strictly, and
Detectron2's layout, which is rebuilt here from Detectron2's naming rules because
Detectron2 itself is not installable offline."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from mmpixcon.errors import PixConInputError
from mmpixcon.transfer import DETECTRON2_AUTHOR, extract_backbone, read_detectron2

R50_BLOCKS = (3, 4, 6, 3)
BN_LEAVES = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def detectron2_resnet_keys(blocks=R50_BLOCKS) -> list[str]:
    """Detectron2's ``build_resnet_backbone`` names for a bottleneck ResNet: the stem's
    ``conv1`` with its BN as ``conv1.norm``; stages ``res2``..``res5`` of blocks with
    ``conv1``..``conv3`` (each with ``.norm``) and, in each stage's first block, the
    projection ``shortcut`` (with ``.norm``). Convs followed by a norm have no bias."""
    def conv(name: str) -> list[str]:
        return [f'{name}.weight'] + [f'{name}.norm.{leaf}' for leaf in BN_LEAVES]

    keys = conv('stem.conv1')
    for stage, count in enumerate(blocks, start=2):
        for block in range(count):
            for part in ('conv1', 'conv2', 'conv3') + (('shortcut',) if block == 0 else ()):
                keys += conv(f'res{stage}.{block}.{part}')
    return keys


class D2Conv(nn.Conv2d):
    """Detectron2's ``Conv2d``: a bias-free conv holding its norm as ``.norm``."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1) -> None:
        super().__init__(cin, cout, k, stride, padding=k // 2, bias=False)
        self.norm = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(super().forward(x))


class D2Bottleneck(nn.Module):
    """Detectron2's ``BottleneckBlock`` with ``STRIDE_IN_1X1=False`` (stride on the 3x3,
    as torchvision and mmcv's pytorch style, the setting MoCo's configs use)."""

    def __init__(self, cin: int, mid: int, stride: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = D2Conv(cin, mid, 1), D2Conv(mid, mid, 3, stride)
        self.conv3 = D2Conv(mid, 4 * mid, 1)
        if cin != 4 * mid:
            self.shortcut = D2Conv(cin, 4 * mid, 1, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(torch.relu(self.conv2(torch.relu(self.conv1(x)))))
        return torch.relu(out + (self.shortcut(x) if hasattr(self, 'shortcut') else x))


class D2ResNet50(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Module()
        self.stem.conv1 = D2Conv(3, 64, 7, 2)
        cin = 64
        for stage, count in enumerate(R50_BLOCKS, start=2):
            mid = 64 * 2 ** (stage - 2)
            setattr(self, f'res{stage}', nn.Sequential(*[
                D2Bottleneck(cin if b == 0 else 4 * mid, mid, 2 if b == 0 and stage > 2 else 1)
                for b in range(count)]))
            cin = 4 * mid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool2d(torch.relu(self.stem.conv1(x)), 3, 2, 1)
        return self.res5(self.res4(self.res3(self.res2(x))))


@pytest.fixture(scope='module')
def r50_encoders(r50_pixcon_ckpt) -> dict[str, dict]:
    state = torch.load(r50_pixcon_ckpt, weights_only=True)['state_dict']
    return {enc: extract_backbone(state, enc) for enc in ('online', 'momentum')}


def _mmdet_r50(weights: dict) -> nn.Module:
    from mmdet.models.backbones import ResNet
    net = ResNet(depth=50)
    net.load_state_dict(weights, strict=True)  # zero missing, zero unexpected keys
    net.eval()
    return net


def _c5(net: nn.Module, img: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out = net(img)
    return out[-1] if isinstance(out, tuple) else out


def test_mmcls_format_loads_strictly_into_mmdet_resnet50(converter, r50_pixcon_ckpt,
                                                         r50_encoders, tmp_path):
    dst = tmp_path / 'r50.pth'
    converter.main([str(r50_pixcon_ckpt), str(dst), '--encoder', 'momentum'])
    saved = torch.load(dst, weights_only=True)
    net = _mmdet_r50(saved['state_dict'])
    expected = r50_encoders['momentum']
    assert all(torch.equal(v, expected[k]) for k, v in net.state_dict().items())


def test_torchvision_format_loads_strictly_into_resnet50(converter, r50_pixcon_ckpt,
                                                         r50_encoders, photo, tmp_path):
    import torchvision
    dst = tmp_path / 'r50_tv.pth'
    converter.main([str(r50_pixcon_ckpt), str(dst), '--format', 'torchvision'])
    net = torchvision.models.resnet50(weights=None)
    net.fc = nn.Identity()  # the backbone has no classifier; every other key must load
    net.load_state_dict(torch.load(dst, weights_only=True), strict=True)
    trunk = nn.Sequential(*list(net.children())[:-2]).eval()
    torch.testing.assert_close(_c5(trunk, photo), _c5(_mmdet_r50(r50_encoders['online']),
                                                      photo), rtol=0, atol=1e-5)


def test_detectron2_format_has_its_layout_and_features(converter, r50_pixcon_ckpt,
                                                       r50_encoders, photo, tmp_path):
    dst = tmp_path / 'r50.pkl'
    converter.main([str(r50_pixcon_ckpt), str(dst), '--format', 'detectron2',
                    '--encoder', 'momentum'])
    saved = read_detectron2(str(dst))
    # what Detectron2's DetectionCheckpointer needs to take the file as its own format
    # and match the names by suffix without Caffe2 renaming
    assert saved['__author__'] == DETECTRON2_AUTHOR != 'Caffe2'
    assert saved['matching_heuristics'] is True
    assert all(isinstance(v, np.ndarray) for v in saved['model'].values())
    assert sorted(saved['model']) == sorted(detectron2_resnet_keys())

    net = D2ResNet50().eval()
    weights = {k: torch.from_numpy(v) for k, v in saved['model'].items()}
    assert sorted(weights) == sorted(net.state_dict())  # the rules match the module
    net.load_state_dict(weights, strict=True)
    reference = _mmdet_r50(r50_encoders['momentum'])
    torch.testing.assert_close(_c5(net, photo), _c5(reference, photo), rtol=0, atol=1e-5)


def test_detectron2_needs_a_pkl_name_and_reading_refuses_code(converter, r50_pixcon_ckpt,
                                                              tmp_path):
    with pytest.raises(PixConInputError, match='only from files named \\*.pkl'):
        converter.main([str(r50_pixcon_ckpt), str(tmp_path / 'r50.pth'),
                        '--format', 'detectron2'])
    evil = tmp_path / 'evil.pkl'
    marker = tmp_path / 'ran'
    evil.write_bytes(pickle.dumps(dict(model=_Payload(str(marker)))))
    with pytest.raises(pickle.UnpicklingError, match='refusing to unpickle'):
        read_detectron2(str(evil))
    assert not marker.exists()


class _Payload:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))
