"""The whole tiny S2L model: forward/backward with LoRA, trainable parts, save/load,
the attention mask, generation and the bad cases."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from mms2l.models.language_model import build_frame_attention_mask
from .conftest import batch_of, build_dataset, build_model


@pytest.fixture(scope='module')
def train_set(tiny_cfg):
    return build_dataset(tiny_cfg, 'train')


@pytest.fixture(scope='module')
def val_set(tiny_cfg):
    return build_dataset(tiny_cfg, 'val')


def loss_of(model, batch):
    data = model.data_preprocessor(batch, True)
    return model(**data, mode='loss')


def test_mask_causal_with_bidirectional_frames():
    is_frame = torch.tensor([[False, True, True, True, False, False]])
    valid = torch.tensor([[1, 1, 1, 1, 1, 0]])
    allowed = build_frame_attention_mask(valid, is_frame, 'sdpa')[0, 0]
    additive = build_frame_attention_mask(valid, is_frame, 'eager', torch.bfloat16)[0, 0]
    assert allowed.dtype == torch.bool and additive.dtype == torch.bfloat16
    for i in range(6):
        for j in range(6):
            expected = ((j <= i or (is_frame[0, i] and is_frame[0, j])) and j != 5) or i == j
            assert bool(allowed[i, j]) == bool(expected), (i, j)
            assert bool(additive[i, j] == 0) == bool(expected), (i, j)


def test_eager_and_sdpa_attention_agree(model_cfg, train_set):
    """The same weights give the same loss with either mask form."""
    batch = batch_of(train_set, [0, 1])
    model_cfg['llm']['attn_implementation'] = 'eager'
    eager = build_model(model_cfg).eval()
    sdpa_model = build_model(dict(model_cfg, llm=dict(model_cfg['llm'], attn_implementation='sdpa')))
    sdpa_model.load_state_dict(eager.state_dict())
    with torch.no_grad():
        a, b = loss_of(eager, batch), loss_of(sdpa_model.eval(), batch)
    for key in a:
        assert float(a[key]) == pytest.approx(float(b[key]), abs=1e-5)


def etchat_stage3(name: str) -> bool:
    """E.T.Chat's stage-3 trained set, stated per part (not through the model's regexes)."""
    if name.startswith('vision_tower.'):
        return False
    if name.startswith('compressor.qformer.'):  # self- and cross-attention layers only
        layer = re.match(r'compressor\.qformer\.encoder\.layer\.\d+\.([a-z_]+)\.', name)
        return layer is not None and layer.group(1) in ('attention', 'crossattention')
    if name.startswith('compressor.'):  # query tokens, ln_vision, out/q/k/v projections
        return True
    if name.startswith('llm.'):  # LoRA, embeddings, LM head; the base layers stay frozen
        return 'lora_' in name or '.embed_tokens.' in name or '.lm_head.' in name
    return name.startswith(('new_tokens.', 'context_matching.', 'loc_head.'))


def test_default_trainable_is_etchat_stage3(model_cfg, train_set):
    model = build_model(model_cfg)
    model.train()
    losses = loss_of(model, batch_of(train_set, [0, 1]))
    assert set(losses) == {'loss_lm', 'loss_cm'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    names = [n for n, _ in model.named_parameters()]
    for part in ('compressor.qformer.encoder.layer.0.crossattention.attention.query.weight',
                 'compressor.qformer.encoder.layer.1.attention.attention.query.weight',
                 'compressor.query_tokens', 'compressor.ln_vision.weight', 'compressor.v_proj.1.weight'):
        assert part in names and etchat_stage3(part), part
    assert not etchat_stage3('compressor.qformer.encoder.layer.0.intermediate_query.dense.weight')
    assert any('embed_tokens' in n for n in names) and any('lm_head' in n for n in names)
    lora_b_moved = False
    for name, param in model.named_parameters():
        assert param.requires_grad == etchat_stage3(name), name
        if param.requires_grad:
            assert param.grad is not None, name
            lora_b_moved |= 'lora_B' in name and bool(param.grad.abs().sum() > 0)
        else:
            assert param.grad is None, name
    assert lora_b_moved
    assert model.context_matching.f_vis[0].weight.grad.abs().sum() > 0


def test_thesis_config_trains_the_default_set():
    from mmengine.config import Config

    from tests.conftest import REPO_ROOT
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 's2l' / 's2l_phi3_instructblip_etsum.py'))
    assert 'trainable' not in cfg.model  # S2LModel's default: E.T.Chat's stage 3
    assert cfg.model.vision_tower.select_layer == -1
    assert cfg.model.compressor.pooling == 'per_query' and cfg.model.compressor.vision_norm
    steps = {s['type']: s for s in cfg.train_pipeline}
    assert steps['FormatS2LInputs']['qformer_tokenizer'] == cfg.model.qformer_tokenizer


def test_trainable_is_config(model_cfg, train_set):
    model_cfg['trainable'] = [r'^context_matching\.f_sum\.']
    model = build_model(model_cfg)
    sum(loss_of(model, batch_of(train_set, [0])).values()).backward()
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad and all(n.startswith('context_matching.f_sum.') for n in with_grad)


def perturb_trainables(model, seed=1):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn(p.shape, generator=gen))


def test_save_load_reproduces_outputs(model_cfg, train_set, val_set, tmp_path):
    model = build_model(model_cfg)
    perturb_trainables(model)  # LoRA B starts at zero: make every saved part matter
    model.eval()
    batch = batch_of(train_set, [0, 1])
    with torch.no_grad():
        before = loss_of(model, batch)
        hidden = model(**model.data_preprocessor(batch), mode='tensor')
    model.save_pretrained(tmp_path / 'saved')
    assert (tmp_path / 'saved' / 'adapter' / 'adapter_config.json').is_file()
    from safetensors.torch import load_file
    heads = load_file(str(tmp_path / 'saved' / 'heads.safetensors'))
    assert not any('lora_' in k for k in heads)

    from mms2l.models import S2LModel
    torch.manual_seed(123)  # a different seed: nothing may depend on the random init
    loaded = S2LModel.from_pretrained(tmp_path / 'saved').eval()
    with torch.no_grad():
        after = loss_of(loaded, batch)
        hidden2 = loaded(**loaded.data_preprocessor(batch), mode='tensor')
    assert torch.allclose(hidden, hidden2, atol=1e-6)
    for key in before:
        assert float(before[key]) == pytest.approx(float(after[key]), abs=1e-6)
    vb = val_set[0]
    data = model.data_preprocessor(batch_of(val_set, [0]))
    out1, out2 = model(**data, mode='predict')[0], loaded(**data, mode='predict')[0]
    assert out1['text'] == out2['text'] and vb['data_sample']['idx'] == out1['idx']
    np.testing.assert_allclose(out1['locs'][0]['curve'], out2['locs'][0]['curve'], atol=1e-6)


def overfit(model, batch, steps, lr=1e-2):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    model.train()
    history = []
    for _ in range(steps):
        losses = loss_of(model, batch)
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        history.append({k: float(v) for k, v in losses.items()})
    return history


def test_training_then_generation_emits_loc_and_segments(model_cfg, tiny_root, tiny_cfg):
    """Overfit one video: the model must then write the summary with <loc> by itself,
    and context matching must put the top segment on the coloured frames."""
    model = build_model(model_cfg)
    train = build_dataset(tiny_cfg, 'train')
    batch = batch_of(train, [0])
    history = overfit(model, batch, steps=60)
    assert history[-1]['loss_lm'] < 0.1 * history[0]['loss_lm']
    assert history[-1]['loss_cm'] < history[0]['loss_cm']
    model.eval()
    sample = batch['data_samples'][0]
    out = model(**model.data_preprocessor(batch), mode='predict')[0]  # cut at prompt_length
    assert out['text'].split() == 'a red square appears on screen . <loc>'.split()
    assert not out['forced_loc'] and len(out['locs']) == 1
    loc = out['locs'][0]
    assert loc['curve'].shape == (sample['num_frames'],)
    start, end = sample['spans'][0]
    assert loc['frames'][0, 0] >= start and loc['frames'][0, 1] <= end + 1
    np.testing.assert_allclose(loc['segments'], loc['frames'] * sample['sec_per_frame'])


def test_no_loc_generated(model_cfg, val_set):
    model_cfg['max_new_tokens'] = 0  # generation ends at once: no <loc>
    model = build_model(model_cfg).eval()
    data = model.data_preprocessor(batch_of(val_set, [0, 1]))
    forced = model(**data, mode='predict')
    assert all(o['forced_loc'] and o['text'] == '<loc>' and len(o['locs']) == 1 for o in forced)
    assert all(len(o['locs'][0]['segments']) >= 1 for o in forced)
    model.force_loc = False
    plain = model(**data, mode='predict')
    assert all(o['locs'] == [] and not o['forced_loc'] and o['text'] == '' for o in plain)


def test_more_loc_than_segments_is_an_error(model_cfg, train_set):
    model = build_model(model_cfg)
    item = train_set[0]
    loc = model.token_ids.loc
    ids = torch.cat([item['inputs']['input_ids'][:-1], torch.tensor([loc, item['inputs']['input_ids'][-1]])])
    item['inputs']['input_ids'] = ids
    item['inputs']['labels'] = torch.cat([item['inputs']['labels'][:-1], ids[-2:]])
    from mms2l.datasets import s2l_collate
    with pytest.raises(ValueError, match='2 <loc> tokens but 1 ground-truth'):
        loss_of(model, s2l_collate([item]))


def test_more_locs_at_inference_each_get_a_curve(model_cfg, val_set):
    model = build_model(model_cfg).eval()
    item = val_set[0]
    frames = model.data_preprocessor(batch_of(val_set, [0]))['inputs']['frames']
    tokens = model.encode_frames(frames, torch.tensor([len(frames)]))
    prompt = item['inputs']['input_ids']
    loc = model.token_ids.loc
    full = torch.cat([prompt, torch.tensor([loc, 20, loc, loc])])
    embeds, is_frame = model.embed_inputs(full[None], tokens, torch.tensor([len(frames)]))
    hidden = model.llm(inputs_embeds=embeds, output_hidden_states=True).hidden_states[-1][0]
    states = model.loc_states(hidden, full, len(prompt))
    n = len(prompt)
    assert torch.equal(states, hidden[[n, n + 2, n + 3]])
    scores, _, _ = model.match(hidden, is_frame[0], states)
    assert scores.shape == (3, len(frames))


def test_zero_frames(model_cfg, train_set):
    model = build_model(model_cfg)
    item = train_set[0]
    item['inputs']['frames'] = item['inputs']['frames'][:0]
    from mms2l.datasets import s2l_collate
    with pytest.raises(ValueError, match='zero frames'):
        loss_of(model, s2l_collate([item]))
    with pytest.raises(ValueError, match='zero frames'):
        model.encode_frames(torch.zeros(0, 3, 32, 32), torch.tensor([0]))


def test_video_longer_than_the_maximum(model_cfg, train_set):
    model_cfg['max_frames'] = 4
    model = build_model(model_cfg)
    with pytest.raises(ValueError, match='more than max_frames=4'):
        loss_of(model, batch_of(train_set, [0]))  # 8 frames


def test_frame_token_count_must_match(model_cfg, train_set):
    model = build_model(model_cfg)
    item = train_set[0]
    item['inputs']['frames'] = item['inputs']['frames'][:5]
    from mms2l.datasets import s2l_collate
    with pytest.raises(ValueError, match='<frame> tokens per sample'):
        loss_of(model, s2l_collate([item]))


def test_vid_token_carries_the_referred_frame(model_cfg, train_set):
    model = build_model(model_cfg)
    item = train_set[0]
    frames = model.data_preprocessor(batch_of(train_set, [0]))['inputs']['frames']
    tokens = model.encode_frames(frames, torch.tensor([len(frames)]))
    ids = torch.cat([item['inputs']['input_ids'], torch.tensor([model.token_ids.vid] * 2)])[None]
    embeds, _ = model.embed_inputs(ids, tokens, torch.tensor([len(frames)]), [torch.tensor([6, 2])])
    vid_row = model.new_tokens.embed[model.new_tokens.ids.tolist().index(model.token_ids.vid)]
    torch.testing.assert_close(embeds[0, -2], vid_row + tokens[6])  # added, as E.T.Chat
    torch.testing.assert_close(embeds[0, -1], vid_row + tokens[2])
    with pytest.raises(ValueError, match='out of range'):
        model.embed_inputs(ids, tokens, torch.tensor([len(frames)]), [torch.tensor([6, 8])])
    with pytest.raises(ValueError, match='no vid_frames'):
        model.embed_inputs(ids, tokens, torch.tensor([len(frames)]))


def test_vid_time_selects_the_nearest_sampled_frame(tiny_cfg):
    """E.T.Chat samples frames at interval starts and rounds the time; frames here are
    sampled at interval centres, so the nearest frame is the one whose interval holds t."""
    from mms2l.datasets import FormatS2LInputs
    from mms2l.tokenization import VID_TOKEN
    spf, count = 0.8, 10
    centres = (np.arange(count) + 0.5) * spf
    times = [0.0, 0.79, 0.81, 1.59, 1.61, 3.3, 7.9, 8.0]  # around the interval edges
    fmt = FormatS2LInputs(tokenizer=tiny_cfg.model.tokenizer, with_answer=False)
    out = fmt(dict(frames=np.zeros((count, 3, 8, 8), np.uint8), sec_per_frame=spf, duration=spf * count,
                   query=' '.join([VID_TOKEN] * len(times)), vid_times=times))
    nearest = [int(np.argmin(np.abs(centres - t))) for t in times]
    assert out['inputs']['vid_frames'].tolist() == nearest


@pytest.mark.parametrize('loc_hidden', ['own', 'emit', 'mean'])
def test_loc_hidden_choice(model_cfg, loc_hidden):
    model_cfg['loc_hidden'] = loc_hidden
    model = build_model(model_cfg)
    ids = torch.tensor([5, 6, model.token_ids.loc, 7, model.token_ids.loc])
    hidden = torch.arange(5.0)[:, None].repeat(1, 3)  # state i holds the value i
    expected = {'own': [2, 4], 'emit': [1, 3], 'mean': [(1 + 2) / 2, (3 + 4) / 2]}[loc_hidden]
    assert model.loc_states(hidden, ids, 1)[:, 0].tolist() == expected
    with pytest.raises(ValueError):
        build_model(dict(model_cfg, loc_hidden='last'))


def test_loc_head_trains_and_decodes(model_cfg, train_set, val_set):
    model_cfg['loc_head'] = dict(hidden=16)
    model_cfg['decoder'] = dict(type='loc_head', sigma=0.0)
    model = build_model(model_cfg)
    losses = loss_of(model, batch_of(train_set, [0, 1]))
    assert 'loss_loc' in losses and torch.isfinite(losses['loss_loc'])
    sum(losses.values()).backward()
    assert model.loc_head.mlp[0].weight.grad is not None
    out = model.eval()(**model.data_preprocessor(batch_of(val_set, [0])), mode='predict')[0]
    assert len(out['locs']) == 1 and out['locs'][0]['frames'].shape[1] == 2


def test_localize_a_real_video(model_cfg, tmp_path):
    from mmcontrast.assets import MissingAssetError, video_paths
    try:
        video = video_paths()['carphone']  # 4 s
    except MissingAssetError as err:
        pytest.skip(str(err))
    from mms2l.inference import localize
    model = build_model(model_cfg).eval()
    result = localize(model, video, 'when is the man shown ?', fps=2.0, size=32,
                      decoder=dict(type='critical_point', sigma=0.5))
    assert len(result['locs']) >= 1
    loc = result['locs'][0]
    assert loc['curve'].shape == (8,) and np.all(np.abs(loc['curve']) <= 1 + 1e-6)
    from mms2l.datasets import video_duration
    duration = video_duration(video)
    assert result['sec_per_frame'] == pytest.approx(duration / 8)
    assert (loc['segments'] >= 0).all() and (loc['segments'] <= duration + 1e-6).all()
    np.testing.assert_allclose(loc['segments'], loc['frames'] * result['sec_per_frame'])


def test_frames_without_a_channel_axis_are_named(model_cfg, train_set):
    model = build_model(model_cfg)
    item = train_set[0]
    item['inputs']['frames'] = item['inputs']['frames'][:, 0]  # (T, H, W) grey, no channel axis
    from mms2l.datasets import s2l_collate
    with pytest.raises(ValueError, match=r'sample 0 \(.*train_0\.npy\): frames must be RGB uint8 '
                                         r'\(T, 3, H, W\) \(channel axis of 3\), got shape \(8, 32, 32\)'):
        model.data_preprocessor(s2l_collate([item]), True)


def test_token_before_loc_is_the_last_content_token():
    """With a byte-level BPE tokenizer (the offline SmolLM2's) the answer must not put a
    whitespace token between a summary and its <loc>: the state ``loc_hidden='emit'``
    reads is then the summary's last content token ('.'), different for every text."""
    from mmcontrast.assets import smollm2_gguf

    from mms2l.datasets import FormatS2LInputs
    directory, gguf = smollm2_gguf()
    tokenizer = dict(path=str(directory), gguf_file=gguf)
    step = FormatS2LInputs(tokenizer=tokenizer)
    summaries = ['It shows a cat.', 'A dog runs on grass!']
    out = step(dict(frames=np.zeros((4, 8, 8, 3), np.uint8), query='When?', summaries=summaries,
                    segments=[[0, 1], [2, 3]], sec_per_frame=1.0, duration=4.0))
    from mms2l.datasets.transforms import _cached_tokenizer
    tok = _cached_tokenizer(str(directory), gguf)
    ids = out['inputs']['input_ids'].tolist()
    loc = tok.convert_tokens_to_ids('<loc>')
    before = [tok.decode([ids[i - 1]]) for i, t in enumerate(ids) if t == loc]
    assert before == ['.', '!']
    answer = tok.decode(ids[out['data_sample']['prompt_length']:])
    assert answer.startswith('It shows a cat.<loc> A dog runs on grass!<loc>')


def test_caption_sample_has_no_loc_and_no_spans(tiny_cfg):
    from mms2l.datasets import FormatS2LInputs
    from mms2l.datasets.transforms import _cached_tokenizer
    tok_cfg = dict(tiny_cfg.model.tokenizer)
    step = FormatS2LInputs(tokenizer=tok_cfg, caption_prompt='what is shown in the video ?')
    out = step(dict(frames=np.zeros((3, 8, 8, 3), np.uint8), query='when is the red square shown ?',
                    summaries=['a red square appears .'], segments=[[0, 1]], sec_per_frame=1.0,
                    duration=3.0))
    tok = _cached_tokenizer(tok_cfg['path'], None)
    ids = out['inputs']['input_ids']
    sample = out['data_sample']
    assert tok.convert_tokens_to_ids('<loc>') not in ids.tolist()
    assert tok.decode(ids[sample['prompt_length']:]).split() == 'a red square appears . </s>'.split()
    assert 'red' not in tok.decode(ids[:sample['prompt_length']])
    assert sample['spans'].shape == (0, 2)


def test_frame_token_scale_matches_text_embedding_norm(model_cfg, train_set):
    model = build_model(dict(model_cfg, frame_token_scale=1.5))
    batch = model.data_preprocessor(batch_of(train_set, [0]), True)['inputs']
    tokens = model.encode_frames(batch['frames'], batch['num_frames'])
    embeds, is_frame = model.embed_inputs(batch['input_ids'], tokens, batch['num_frames'])
    text_norm = model.llm.get_input_embeddings().weight.norm(dim=-1).mean()
    norms = embeds[is_frame].norm(dim=-1)
    torch.testing.assert_close(norms, torch.full_like(norms, 1.5 * float(text_norm)))
    directions = torch.nn.functional.normalize(tokens, dim=-1)
    torch.testing.assert_close(torch.nn.functional.normalize(embeds[is_frame], dim=-1), directions)
    with pytest.raises(ValueError, match='frame_token_scale'):
        build_model(dict(model_cfg, frame_token_scale=0.0))


def test_center_frames_subtracts_the_video_mean(model_cfg):
    model = build_model(dict(model_cfg, center_frames=True))
    hidden = torch.randn(7, 32) + 5.0
    is_frame = torch.tensor([False, True, True, True, True, False, False])
    loc = hidden[-1:]
    scores, frame_feats, _ = model.match(hidden, is_frame, loc)
    frames = hidden[is_frame]
    expected = model.context_matching.f_vis(frames - frames.mean(0))
    torch.testing.assert_close(frame_feats, expected)
    plain = build_model(model_cfg)
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(plain.match(hidden, is_frame, loc)[1], expected)
