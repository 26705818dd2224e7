"""Self-contained S2L checkpoints: what ``save_pretrained`` writes, loading from any
working directory, and every missing or broken file named in the error."""
from __future__ import annotations

import copy
import json
import shutil

import pytest
import torch

from mms2l.errors import S2LInputError

from .conftest import build_dataset, build_model


@pytest.fixture(scope='module')
def saved(tiny_root, tiny_cfg, tmp_path_factory):
    """A tiny LoRA model with a conditioned Q-Former, its tokenizers in a private folder
    and its LLM kept by reference, saved; the private folder is then deleted."""
    from mms2l.models.language_model import build_llm
    work = tmp_path_factory.mktemp('ckpt_src')
    shutil.copytree(tiny_root / 'tokenizer', work / 'tok')
    shutil.copytree(tiny_root / 'tokenizer', work / 'qtok')
    cfg = copy.deepcopy(tiny_cfg.model.to_dict())
    build_llm(**cfg['llm']).save_pretrained(str(work / 'llm'))
    cfg.update(tokenizer=dict(path=str(work / 'tok')), qformer_tokenizer=dict(path=str(work / 'qtok')),
               llm=dict(pretrained=str(work / 'llm')))
    model = build_model(cfg)
    with torch.no_grad():  # LoRA B and fresh heads start at zero / identity: make them matter
        gen = torch.Generator().manual_seed(1)
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
    out = tmp_path_factory.mktemp('ckpt') / 'saved'
    model.save_pretrained(out)
    data = batch_with_qformer_ids(tiny_cfg, str(work / 'qtok'))
    with torch.no_grad():
        losses = model.eval()(**model.data_preprocessor(data, True), mode='loss')
    shutil.rmtree(work / 'tok')
    shutil.rmtree(work / 'qtok')
    return dict(dir=out, llm=work / 'llm', data=data, losses={k: float(v) for k, v in losses.items()})


def batch_with_qformer_ids(tiny_cfg, qformer_path: str) -> dict:
    from mms2l.datasets import s2l_collate
    cfg = copy.deepcopy(tiny_cfg)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] == 'FormatS2LInputs':
            step['qformer_tokenizer'] = dict(path=qformer_path)
    dataset = build_dataset(cfg, 'train')
    return s2l_collate([dataset[0], dataset[1]])


def copy_of(saved, tmp_path):
    dst = tmp_path / 'copy'
    shutil.copytree(saved['dir'], dst)
    return dst


def test_writes_every_part(saved):
    d = saved['dir']
    for name in ('s2l_config.json', 'heads.safetensors', 'adapter/adapter_model.safetensors',
                 'tokenizer/tokenizer.json', 'qformer_tokenizer/tokenizer.json'):
        assert (d / name).is_file(), name
    config = json.loads((d / 's2l_config.json').read_text())
    assert config['tokenizer'] == {'path': 'tokenizer'}
    assert config['qformer_tokenizer'] == {'path': 'qformer_tokenizer'}
    assert config['llm']['pretrained'] == str(saved['llm'].resolve())
    assert config['preprocessing'] == {'fps': 1.0, 'frame_size': 32}
    prep = config['data_preprocessor']
    assert prep['mean'] == pytest.approx([0.48145466, 0.4578275, 0.40821073])
    assert prep['std'] == pytest.approx([0.26862954, 0.26130258, 0.27577711])
    from safetensors.torch import load_file
    heads = load_file(str(d / 'heads.safetensors'))
    assert not any('lora_' in k for k in heads)
    llm_keys = {k for k in heads if k.startswith('llm.')}  # only the trained embeddings / LM head
    assert llm_keys and all('embed_tokens' in k or 'lm_head' in k for k in llm_keys)


def test_loads_from_another_working_directory(saved, tiny_cfg, tmp_path, monkeypatch):
    from mms2l.models import S2LModel
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(123)  # nothing may depend on the random init
    model = S2LModel.from_pretrained(saved['dir']).eval()
    assert model.config['tokenizer']['path'] == str(saved['dir'].resolve() / 'tokenizer')
    with torch.no_grad():
        losses = model(**model.data_preprocessor(saved['data'], True), mode='loss')
    for key, value in saved['losses'].items():
        assert float(losses[key]) == pytest.approx(value, abs=1e-6)
    steps = model.test_pipeline()
    assert steps[0] == dict(type='LoadVideoFrames', fps=1.0, max_frames=model.max_frames)
    assert steps[1] == dict(type='ResizeCenterCrop', size=32)
    assert steps[2]['qformer_tokenizer']['path'] == str(saved['dir'].resolve() / 'qformer_tokenizer')


def test_conditioned_model_refuses_a_batch_without_qformer_ids(saved, tiny_cfg):
    from mms2l.datasets import s2l_collate
    from mms2l.models import S2LModel
    model = S2LModel.from_pretrained(saved['dir'])
    dataset = build_dataset(tiny_cfg, 'train')  # the tiny pipeline has no Q-Former tokenizer
    with pytest.raises(ValueError, match='no qformer_ids'):
        model(**model.data_preprocessor(s2l_collate([dataset[0]]), True), mode='loss')


@pytest.mark.parametrize('part', ['s2l_config.json', 'heads.safetensors', 'tokenizer',
                                  'qformer_tokenizer', 'adapter', 'adapter/adapter_model.safetensors'])
def test_missing_part_is_named(saved, tmp_path, part):
    from mms2l.models import S2LModel
    d = copy_of(saved, tmp_path)
    target = d / part
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(S2LInputError, match=f'{d / part} is missing'):
        S2LModel.from_pretrained(d)


def test_missing_reference_is_named(saved, tmp_path):
    from mms2l.models import S2LModel
    d = copy_of(saved, tmp_path)
    config = json.loads((d / 's2l_config.json').read_text())
    config['llm']['pretrained'] = str(tmp_path / 'gone')
    (d / 's2l_config.json').write_text(json.dumps(config))
    with pytest.raises(S2LInputError, match=f'llm.pretrained = {tmp_path / "gone"} does not exist'):
        S2LModel.from_pretrained(d)


def test_truncated_heads_and_malformed_config_are_named(saved, tmp_path):
    from mms2l.models import S2LModel
    d = copy_of(saved, tmp_path)
    heads = d / 'heads.safetensors'
    heads.write_bytes(heads.read_bytes()[:200])
    with pytest.raises(ValueError, match=f'{heads} is not a complete safetensors file'):
        S2LModel.from_pretrained(d)
    config = d / 's2l_config.json'
    config.write_text(config.read_text()[:-20])
    with pytest.raises(ValueError, match=f'{config}: S2L config is not valid JSON'):
        S2LModel.from_pretrained(d)
    config.write_text('[1, 2]')
    with pytest.raises(ValueError, match=f'{config} is not an S2L config'):
        S2LModel.from_pretrained(d)


@pytest.mark.parametrize('change', ['drop', 'add'])
def test_heads_must_match_the_model(saved, tmp_path, change):
    from safetensors.torch import load_file, save_file

    from mms2l.models import S2LModel
    d = copy_of(saved, tmp_path)
    heads = load_file(str(d / 'heads.safetensors'))
    if change == 'drop':
        del heads['context_matching.f_sum.0.weight']
        expected = r"missing 1 tensors \['context_matching.f_sum.0.weight'\]"
    else:
        heads['context_matching.extra'] = torch.zeros(2)
        expected = r"unexpected \['context_matching.extra'\]"
    save_file(heads, str(d / 'heads.safetensors'))
    with pytest.raises(ValueError, match=expected):
        S2LModel.from_pretrained(d)


def test_not_a_directory(tmp_path):
    from mms2l.models import S2LModel
    with pytest.raises(S2LInputError, match='no such S2L checkpoint directory'):
        S2LModel.from_pretrained(tmp_path / 'nowhere')


def test_inference_conditions_the_qformer_as_training(saved, tiny_root, tiny_cfg):
    """``localize`` on the loaded checkpoint sees the same Q-Former tokens as a training
    batch of the same video and query (the model refuses a batch without them)."""
    import numpy as np

    from mms2l.inference import localize
    from mms2l.models import S2LModel
    model = S2LModel.from_pretrained(saved['dir']).eval()
    first = json.loads((tiny_root / 'train.json').read_text())[0]  # what the batch's sample 0 is
    query = first['q']
    result = localize(model, tiny_root / 'videos' / first['video'], query)
    data = batch_with_qformer_ids(tiny_cfg, model.config['qformer_tokenizer']['path'])
    q_ids = data['inputs']['qformer_ids'][0]
    assert q_ids.tolist() == model.qformer_tokenizer(query)['input_ids']
    direct = model(**model.data_preprocessor(data), mode='predict')[0]
    assert result['text'] == direct['text']
    np.testing.assert_allclose(result['locs'][0]['curve'], direct['locs'][0]['curve'], atol=1e-5)
