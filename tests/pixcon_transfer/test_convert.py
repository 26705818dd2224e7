"""pixcon2det on a real PixCon checkpoint: strict loading and identical features."""
from __future__ import annotations

from collections import OrderedDict

import pytest
import torch

from mmpixcon.errors import PixConInputError
from mmpixcon.transfer import extract_backbone, to_torchvision

from .conftest import c5


def _mmdet_resnet18(state_dict: dict) -> torch.nn.Module:
    from mmdet.models.backbones import ResNet
    net = ResNet(depth=18)
    net.load_state_dict(state_dict, strict=True)
    return net


def _encoders(model) -> dict[str, torch.nn.Module]:
    return dict(online=model.backbone, momentum=model.target_net.module[0])


@pytest.mark.parametrize('encoder', ['online', 'momentum'])
def test_mmcls_format_reproduces_the_chosen_encoder(encoder, converter, pixcon_ckpt,
                                                    pixcon_model, photo, tmp_path):
    dst = tmp_path / 'backbone.pth'
    converter.main([str(pixcon_ckpt), str(dst), '--encoder', encoder])
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['encoder'] == encoder
    features = c5(_mmdet_resnet18(saved['state_dict']), photo)

    encoders = _encoders(pixcon_model)
    expected = c5(encoders.pop(encoder), photo)
    other = c5(encoders.popitem()[1], photo)
    assert features.shape == (1, 512, 4, 4) and features.abs().mean() > 0.01  # far above atol
    torch.testing.assert_close(features, expected, rtol=0, atol=1e-6)
    assert (features - other).abs().mean() > 0.1 * features.abs().mean()


def test_torchvision_format_loads_into_torchvision_resnet18(converter, pixcon_ckpt,
                                                            pixcon_model, photo, tmp_path):
    import torchvision
    dst = tmp_path / 'backbone_tv.pth'
    converter.main([str(pixcon_ckpt), str(dst), '--format', 'torchvision'])
    weights = torch.load(dst, weights_only=True)
    net = torchvision.models.resnet18(weights=None)
    missing, unexpected = net.load_state_dict(weights, strict=False)
    assert sorted(missing) == ['fc.bias', 'fc.weight'] and unexpected == []

    net.eval()
    trunk = torch.nn.Sequential(*list(net.children())[:-2])  # up to layer4
    with torch.no_grad():
        features = trunk(photo)
    torch.testing.assert_close(features, c5(pixcon_model.backbone, photo), rtol=0, atol=1e-5)


def test_missing_encoder_is_a_clear_error(converter, pixcon_model, tmp_path):
    online_only = OrderedDict((k, v) for k, v in pixcon_model.state_dict().items()
                              if not k.startswith('target_net.'))
    src = tmp_path / 'online_only.pth'
    torch.save(dict(state_dict=online_only), src)
    with pytest.raises(PixConInputError, match='no momentum encoder in this checkpoint'):
        converter.main([str(src), str(tmp_path / 'out.pth'), '--encoder', 'momentum'])
    with pytest.raises(SystemExit, match='can not be found'):
        converter.main([str(tmp_path / 'absent.pth'), str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()


def _renamed(state_dict: dict, old: str, new: str) -> OrderedDict:
    return OrderedDict((new + k[len(old):] if k.startswith(old) else k, v)
                       for k, v in state_dict.items())


def test_mmpretrain_and_mmselfsup_layouts(pixcon_model):
    state = pixcon_model.state_dict()
    momentum = extract_backbone(state, 'momentum')
    online = extract_backbone(state, 'online')
    assert momentum.keys() == online.keys() == pixcon_model.backbone.state_dict().keys()

    # mmpretrain MoCo / DenseCL name the momentum encoder encoder_k
    densecl = _renamed(state, 'target_net.', 'encoder_k.')
    assert all(torch.equal(momentum[k], v)
               for k, v in extract_backbone(densecl, 'momentum').items())
    # mmselfsup 0.x registers the online ResNet twice: backbone. and encoder_q.0.
    selfsup0 = OrderedDict(state)
    selfsup0.update(('encoder_q.0.' + k, v) for k, v in online.items())
    assert extract_backbone(selfsup0, 'online').keys() == online.keys()
    # ... but two different candidates are refused
    selfsup0.update(('encoder_q.0.' + k, v + 1) for k, v in online.items() if v.is_floating_point())
    with pytest.raises(ValueError, match='ambiguous'):
        extract_backbone(selfsup0, 'online')
    # DDP-wrapped saves
    ddp = OrderedDict(('module.' + k, v) for k, v in state.items())
    assert extract_backbone(ddp, 'online').keys() == online.keys()
    with pytest.raises(ValueError, match='encoder must be one of'):
        extract_backbone(state, 'target')


def test_torchvision_refuses_resnets_it_cannot_hold():
    from mmdet.models.backbones import ResNetV1d
    with pytest.raises(ValueError, match='no torchvision ResNet counterpart'):
        to_torchvision(ResNetV1d(depth=18).state_dict())
