"""Tiny S2L fixtures: synthetic data, the tiny config, tiny models (hidden 32, 2 layers)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO_ROOT

TINY_CONFIG = REPO_ROOT / 'configs' / 's2l' / 's2l_tiny.py'


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory) -> Path:
    """Tokenizer + coloured-square videos + train/val annotations."""
    from mms2l.testing import make_tiny_etsum
    return make_tiny_etsum(tmp_path_factory.mktemp('s2l_tiny'))


def point_config_at(cfg, root: Path):
    """Rewrite the tiny config's data_root-derived paths to ``root``."""
    tokenizer = dict(path=str(root / 'tokenizer'))
    cfg.model.tokenizer = tokenizer
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
        for step in cfg[loader].dataset.pipeline:
            if step['type'] == 'FormatS2LInputs':
                step['tokenizer'] = tokenizer
    return cfg


@pytest.fixture(scope='session')
def tiny_cfg(tiny_root):
    from mmengine.config import Config
    return point_config_at(Config.fromfile(str(TINY_CONFIG)), tiny_root)


@pytest.fixture
def model_cfg(tiny_cfg) -> dict:
    """A fresh, mutable copy of the tiny model config."""
    return copy.deepcopy(tiny_cfg.model.to_dict())


def build_model(cfg: dict, seed: int = 0):
    from mms2l.registry import MODELS
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def build_dataset(tiny_cfg, split: str = 'train'):
    from mmengine.registry import DefaultScope

    from mms2l.registry import DATASETS
    cfg = copy.deepcopy(tiny_cfg[f'{split}_dataloader'].dataset.to_dict())
    with DefaultScope.overwrite_default_scope('mms2l'):  # pipeline steps are looked up there
        return DATASETS.build(cfg)


def batch_of(dataset, indices) -> dict:
    from mms2l.datasets import s2l_collate
    return s2l_collate([dataset[i] for i in indices])
