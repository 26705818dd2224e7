"""A tiny PixCon checkpoint whose two encoders differ, the converter CLI, a real photo."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO / 'configs/pixcon/pixcon_sr_r18_tiny_test.py'
SIZE = 128
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


@pytest.fixture(scope='session')
def photo_uint8() -> torch.Tensor:
    """(3, SIZE, SIZE) uint8 RGB real photo."""
    from mmcontrast.assets import scene_image_paths
    with Image.open(scene_image_paths()[0]) as img:
        rgb = np.asarray(img.convert('RGB').resize((SIZE, SIZE)))
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1).contiguous()


@pytest.fixture(scope='session')
def photo(photo_uint8) -> torch.Tensor:
    """(1, 3, SIZE, SIZE) normalised float batch of the photo."""
    return ((photo_uint8.float() - MEAN) / STD)[None]


@pytest.fixture(scope='session')
def converter() -> ModuleType:
    """tools/model_converters/pixcon2det.py, imported by path."""
    path = REPO / 'tools/model_converters/pixcon2det.py'
    spec = importlib.util.spec_from_file_location('pixcon2det', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def pixcon_model(photo) -> torch.nn.Module:
    """mmpixcon's tiny PixCon-SR (ResNet-18) with distinct online and momentum encoders.

    A fresh model's target is a copy of the online net, so the target weights are
    scaled by random factors, and both encoders' BN statistics are set by a
    train-mode pass over the photo (the two passes see different crops)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmpixcon  # noqa: F401  registers PixCon
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(str(TINY_CONFIG)).model)
    online, target = model.backbone, model.target_net.module[0]
    with torch.no_grad():
        for param in target.parameters():
            param.mul_(1 + 0.3 * torch.randn_like(param))
        for net, crop in ((online, photo[..., :96, :96]), (target, photo[..., 32:, 32:])):
            net.train()
            net(torch.cat([crop, crop.flip(-1)]))
    model.eval()
    return model


@pytest.fixture(scope='session')
def pixcon_ckpt(pixcon_model, tmp_path_factory) -> Path:
    """The model saved the way mmengine's CheckpointHook saves it."""
    path = tmp_path_factory.mktemp('pixcon') / 'epoch_2.pth'
    torch.save(dict(meta=dict(epoch=2, iter=8, seed=0), state_dict=pixcon_model.state_dict()),
               path)
    return path


def c5(backbone: torch.nn.Module, img: torch.Tensor) -> torch.Tensor:
    """Last-stage features of an mmcv-style ResNet in eval mode."""
    backbone.eval()
    with torch.no_grad():
        return backbone(img)[-1]


R50_CONFIG = REPO / 'configs/pixcon/pixcon_sr_coco_800e.py'


@pytest.fixture(scope='session')
def r50_pixcon_ckpt(tmp_path_factory) -> Path:
    """An untrained PixCon-SR ResNet-50 (the shipped 800e model, 256-key queues) saved
    as mmengine's CheckpointHook saves it; its two encoders differ."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmpixcon  # noqa: F401  registers PixCon
    torch.manual_seed(1)
    cfg = Config.fromfile(str(R50_CONFIG)).model
    cfg.queue_len = 256
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    with torch.no_grad():
        for param in model.target_net.parameters():
            param.mul_(1 + 0.3 * torch.randn_like(param))
    path = tmp_path_factory.mktemp('r50') / 'epoch_800.pth'
    torch.save(dict(meta=dict(epoch=800), state_dict=model.state_dict()), path)
    return path


@pytest.fixture(scope='session')
def r50_backbone(r50_pixcon_ckpt) -> tuple[Path, dict]:
    """The R50 checkpoint's online encoder converted to the mmcls format, and its weights."""
    from mmpixcon.transfer import convert_checkpoint
    path = r50_pixcon_ckpt.parent / 'backbone.pth'
    return path, convert_checkpoint(str(r50_pixcon_ckpt), str(path))['state_dict']


@pytest.fixture(scope='session')
def transfer_data(tmp_path_factory) -> Path:
    """A folder whose ``data/`` holds the four fixture datasets where the benchmark
    configs look for them (data/coco, data/VOCdevkit, data/cityscapes,
    data/ade/ADEChallengeData2016): run training with this folder as the cwd."""
    from mmpixcon.testing.fixtures import make_fixture
    root = tmp_path_factory.mktemp('transfer_data')
    for layout, dst in (('coco', 'data/coco'), ('voc', 'data'),
                        ('cityscapes', 'data/cityscapes'), ('ade20k', 'data/ade')):
        make_fixture(layout, root / dst, num=4, size=96)
    return root


@pytest.fixture(scope='session')
def chain_tool() -> ModuleType:
    """tools/pixcon/pretrain_and_transfer.py, imported by path."""
    path = REPO / 'tools/pixcon/pretrain_and_transfer.py'
    spec = importlib.util.spec_from_file_location('pretrain_and_transfer', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module
