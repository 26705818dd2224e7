"""Training the tiny config through MMEngine's Runner and the stock tools/train.py."""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_ROOT

from .conftest import TINY_CONFIG


def test_runner_trains_validates_and_saves(tiny_cfg, tmp_path, monkeypatch):
    """Train with a query-conditioned Q-Former; the hook's checkpoint reloads elsewhere."""
    from mmengine.runner import Runner
    cfg = copy.deepcopy(tiny_cfg)
    shutil.copytree(cfg.model.tokenizer.path, tmp_path / 'qtok')  # removed before reloading
    qformer_tokenizer = dict(path=str(tmp_path / 'qtok'))
    cfg.model.qformer_tokenizer = qformer_tokenizer
    for loader in ('train_dataloader', 'val_dataloader'):
        for step in cfg[loader].dataset.pipeline:
            if step['type'] == 'FormatS2LInputs':
                step['qformer_tokenizer'] = qformer_tokenizer
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=2)]
    cfg.default_hooks.logger.interval = 1
    cfg.model.max_new_tokens = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    lora_groups = [g for g in runner.optim_wrapper.optimizer.param_groups
                   if any(p is q for p in g['params'] for n, q in model.named_parameters()
                          if 'lora_' in n)]
    assert lora_groups
    base_lr = cfg.optim_wrapper.optimizer.lr
    assert all(g['initial_lr'] == pytest.approx(2.5 * base_lr) for g in lora_groups)
    head = model.context_matching.f_vis[0].weight
    head_group = next(g for g in runner.optim_wrapper.optimizer.param_groups
                      if any(p is head for p in g['params']))
    assert head_group['initial_lr'] == pytest.approx(base_lr)
    logs = [json.loads(line) for line in
            open(next((tmp_path / 'work').rglob('vis_data/scalars.json')))]
    train_logs = [entry for entry in logs if 'loss_lm' in entry]
    assert len(train_logs) == 2 and all('loss_cm' in e for e in train_logs)
    assert any('tvg/f1' in entry for entry in logs)
    saved = tmp_path / 'work' / 's2l_pretrained'
    for part in ('heads.safetensors', 'adapter', 'tokenizer', 'qformer_tokenizer', 's2l_config.json'):
        assert (saved / part).exists(), part
    shutil.rmtree(tmp_path / 'qtok')
    (tmp_path / 'elsewhere').mkdir()
    monkeypatch.chdir(tmp_path / 'elsewhere')
    from mms2l.models import S2LModel
    reloaded = S2LModel.from_pretrained(saved)
    assert reloaded.qformer_tokenizer is not None
    for (name, p), (_, q) in zip(model.named_parameters(), reloaded.named_parameters()):
        assert torch.equal(p.detach(), q.detach()), name


def test_stock_train_script(tmp_path):
    """``python tools/train.py configs/s2l/s2l_tiny.py`` with the data in ./data/s2l_tiny."""
    from mms2l.testing import make_tiny_etsum
    make_tiny_etsum(tmp_path / 'data' / 's2l_tiny')
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    cmd = [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), str(TINY_CONFIG),
           '--work-dir', str(tmp_path / 'work'),
           '--cfg-options', 'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
           'model.max_new_tokens=4']
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / 'work' / 's2l_pretrained' / 'heads.safetensors').is_file()
