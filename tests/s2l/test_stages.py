"""Training in stages: stage A (alignment on captions, compressor only) and stage B (S2L)
chained by tools/s2l/train_stages.sh; stage B starts from stage A's weights."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import torch

from tests.conftest import REPO_ROOT

STAGE_A = REPO_ROOT / 'configs' / 's2l' / 's2l_tiny_stage_a.py'
STAGE_B = REPO_ROOT / 'configs' / 's2l' / 's2l_tiny_stage_b.py'


def _state(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def test_chained_stages_train_and_stage_b_loads_stage_a(tmp_path):
    """Two iterations of each stage through the documented command. Stage A trains the
    compressor only (LoRA stays at B = 0); stage B starts from stage A's weights: its
    tiny LLM is random from a config, and stage A is seeded differently, so the frozen
    LLM tensors of stage B equal stage A's only if they were loaded from it."""
    from mmengine.config import Config

    from mms2l.testing import make_tiny_etsum
    assert Config.fromfile(str(STAGE_A)).randomness.seed != Config.fromfile(str(STAGE_B)).randomness.seed
    make_tiny_etsum(tmp_path / 'data' / 's2l_tiny')
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PYTHON=sys.executable)
    cmd = ['bash', str(REPO_ROOT / 'tools' / 's2l' / 'train_stages.sh'), str(STAGE_A), str(STAGE_B),
           str(tmp_path / 'work'), '--cfg-options', 'train_cfg.max_iters=2',
           'train_cfg.val_interval=2', 'model.max_new_tokens=4', 'default_hooks.logger.interval=1']
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    a = _state(tmp_path / 'work' / 'stage_a' / 'iter_2.pth')
    b = _state(tmp_path / 'work' / 'stage_b' / 'iter_2.pth')
    assert set(a) == set(b)
    lora_b = [k for k in a if 'lora_B' in k]
    assert lora_b and all(not a[k].any() for k in lora_b)  # stage A left LoRA untouched
    assert any(b[k].any() for k in lora_b)  # stage B trained it
    # the LLM's own weights; its embeddings and LM head train in stage B (E.T.Chat's set)
    frozen = [k for k in a if k.startswith('llm.') and not re.search(r'lora_|embed_tokens|lm_head', k)]
    differ = [k for k in frozen if not torch.equal(a[k], b[k])]
    assert frozen and not differ, f'stage B did not load stage A: {differ[:3]}'
    # the Q-Former's feed-forward layers train in stage A only (not in E.T.Chat's stage-3 set)
    ffn = [k for k in a if k.startswith('compressor.qformer.') and 'intermediate_query' in k]
    assert ffn and all(torch.equal(a[k], b[k]) for k in ffn)
    for stage, has_cm in (('stage_a', False), ('stage_b', True)):
        scalars = next((tmp_path / 'work' / stage).rglob('vis_data/scalars.json'))
        steps = [json.loads(line) for line in open(scalars) if 'loss_lm' in line]
        assert len(steps) == 2, stage
        assert all((e['loss_cm'] > 0) == has_cm for e in steps), stage  # captions: no <loc>
    assert (tmp_path / 'work' / 'stage_b' / 's2l_pretrained' / 'heads.safetensors').is_file()
