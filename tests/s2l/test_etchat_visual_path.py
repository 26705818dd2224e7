"""The visual path against E.T.Chat's formula, re-computed here independently.

A tiny InstructBLIP (random init, built from transformers' configs) is split by
``mms2l.export_instructblip`` exactly as a real checkpoint would be; the S2L tower and
compressor built from the parts must give, for every frame,

    x  = raw output of the last vision block (E.T.Chat: EVA layer -2 of 40 blocks
         = InstructBLIP's 39th and last block, before post_layernorm)
    h  = Q-Former(queries, query text, cross-attending ln_vision(x)),
         ln_vision = InstructBLIP's post_layernorm weights in a LayerNorm(eps 1e-5)
    e  = out_proj(h[:, :Q])
    token = v_proj(mean_j(softmax_k(q_proj(e_j) . k_proj(x_k) / sqrt(Cv)) x + e_j))

with q/k/v_proj = LayerNorm + Linear. The re-computation below loops over frames and
queries with plain functional ops; it shares no code with the compressor.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

CV, CQ, LLM, Q, IMG, PATCH = 32, 24, 20, 4, 28, 7


@pytest.fixture(scope='module')
def parts(tmp_path_factory):
    """A tiny InstructBLIP split into vision_model/ and qformer/ (+ query_tokens, ln_vision)."""
    from transformers import (InstructBlipConfig, InstructBlipForConditionalGeneration,
                              InstructBlipQFormerConfig, InstructBlipVisionConfig)
    from mms2l.export_instructblip import export_instructblip_parts
    torch.manual_seed(0)
    config = InstructBlipConfig(
        vision_config=InstructBlipVisionConfig(hidden_size=CV, intermediate_size=48,
                                               num_hidden_layers=3, num_attention_heads=4,
                                               image_size=IMG, patch_size=PATCH).to_dict(),
        qformer_config=InstructBlipQFormerConfig(hidden_size=CQ, intermediate_size=40,
                                                 num_hidden_layers=2, num_attention_heads=4,
                                                 vocab_size=50, max_position_embeddings=32,
                                                 encoder_hidden_size=CV).to_dict(),
        text_config=dict(model_type='llama', vocab_size=64, hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2),
        num_query_tokens=Q)
    model = InstructBlipForConditionalGeneration(config).eval()
    with torch.no_grad():  # random weights everywhere (the default init leaves the vision
        for name, p in model.named_parameters():  # features near zero) and non-trivial norms
            if 'norm' in name.lower() and name.endswith('weight'):
                p.uniform_(0.5, 1.5)
            else:
                p.normal_(0.0, 0.1)
    src = tmp_path_factory.mktemp('instructblip')
    model.save_pretrained(str(src))
    dst = export_instructblip_parts(src, tmp_path_factory.mktemp('parts'))
    return model, dst


def build_path(dst, pooling='per_query'):
    from mms2l.models import InstructBlipVisionTower, QFormerFrameCompressor
    torch.manual_seed(1)
    tower = InstructBlipVisionTower(pretrained=str(dst / 'vision_model'))
    compressor = QFormerFrameCompressor(CV, LLM, pretrained=str(dst / 'qformer'),
                                        pooling=pooling).eval()
    with torch.no_grad():  # the pooling LayerNorms start at identity: make them matter
        for name, p in compressor.named_parameters():
            if name.startswith(('q_proj.0', 'k_proj.0', 'v_proj.0')):
                p.add_(0.3 * torch.randn(p.shape))
    return tower, compressor


def ln_lin(x, seq):
    """LayerNorm (eps 1e-5) + Linear, read from an nn.Sequential's weights."""
    ln, lin = seq[0], seq[1]
    return F.linear(F.layer_norm(x, (x.shape[-1],), ln.weight, ln.bias, 1e-5), lin.weight, lin.bias)


def etchat_tokens(model, compressor, frames, text_ids, pooling):
    """E.T.Chat's frame tokens from the InstructBLIP modules and the compressor's weights."""
    vision = model.vision_model
    raw = vision(pixel_values=frames, output_hidden_states=True).hidden_states[-1][:, 1:]
    post = vision.post_layernorm
    normed = F.layer_norm(raw, (CV,), post.weight, post.bias, 1e-5)
    n = len(frames)
    mask = torch.cat([torch.ones(n, Q, dtype=torch.long), torch.ones_like(text_ids)], 1)
    hidden = model.qformer(input_ids=text_ids, attention_mask=mask,
                           query_embeds=model.query_tokens.expand(n, -1, -1),
                           encoder_hidden_states=normed).last_hidden_state[:, :Q]
    e = F.linear(hidden, compressor.out_proj.weight, compressor.out_proj.bias)  # (N, Q, Cv)
    tokens = []
    for f in range(n):
        queries = e[f].mean(0, keepdim=True) if pooling == 'mean_query' else e[f]
        keys = ln_lin(raw[f], compressor.k_proj)  # (K, Cv)
        pooled = []
        for j in range(len(queries)):
            weights = torch.softmax(keys @ ln_lin(queries[j], compressor.q_proj) / math.sqrt(CV), 0)
            pooled.append((weights[:, None] * raw[f]).sum(0) + queries[j])
        tokens.append(ln_lin(torch.stack(pooled).mean(0), compressor.v_proj))
    return torch.stack(tokens), raw, normed


@pytest.mark.parametrize('pooling', ['per_query', 'mean_query'])
def test_compressor_equals_etchat_formula(parts, pooling):
    model, dst = parts
    tower, compressor = build_path(dst, pooling)
    frames = torch.randn(3, 3, IMG, IMG)
    text_ids = torch.tensor([[5, 9, 13, 2]] * 3)
    with torch.no_grad():
        expected, raw, normed = etchat_tokens(model, compressor, frames, text_ids, pooling)
        patches = tower(frames)
        got = compressor(patches, text_ids)
    assert patches.shape == (3, (IMG // PATCH) ** 2, CV)
    assert float(raw.std()) > 0.1 and float((raw - normed).abs().mean()) > 0.1  # not degenerate
    torch.testing.assert_close(patches, raw, atol=1e-6, rtol=0)  # raw last block, no norm
    torch.testing.assert_close(compressor.ln_vision(patches), normed, atol=1e-5, rtol=0)
    assert got.shape == (3, LLM)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_qformer_input_is_instructblips_own_image_embedding(parts):
    """ln_vision(x) is what InstructBLIP itself feeds its Q-Former (post_layernorm of the
    last block), up to E.T.Chat's LayerNorm eps (1e-5 vs 1e-6)."""
    model, dst = parts
    tower, compressor = build_path(dst)
    frames = torch.randn(2, 3, IMG, IMG)
    with torch.no_grad():
        own = model.vision_model(pixel_values=frames).last_hidden_state[:, 1:]
        ours = compressor.ln_vision(tower(frames))
    torch.testing.assert_close(ours, own, atol=1e-3, rtol=1e-3)
    assert not torch.allclose(tower(frames), own, atol=1e-2)  # the pooled features stay raw


def test_query_text_and_qformer_output_reach_the_token(parts):
    model, dst = parts
    tower, compressor = build_path(dst)
    with torch.no_grad():
        patches = tower(torch.randn(2, 3, IMG, IMG))
        a = compressor(patches, torch.tensor([[5, 9, 13]] * 2))
        b = compressor(patches, torch.tensor([[7, 30, 11]] * 2))
        compressor.qformer.encoder.layer[-1].output_query.LayerNorm.weight.mul_(2.0)
        c = compressor(patches, torch.tensor([[5, 9, 13]] * 2))
    assert not torch.allclose(a, b, atol=1e-4)  # query conditioning changes the frame token
    assert not torch.allclose(a, c, atol=1e-4)  # the Q-Former's own output content reaches it


def test_tower_refuses_frames_of_another_size(parts):
    _, dst = parts
    tower, _ = build_path(dst)
    with pytest.raises(ValueError, match=rf'takes frames \(N, 3, {IMG}, {IMG}\), got \(1, 3, 224, 224\)'):
        tower(torch.zeros(1, 3, 224, 224))


def test_bad_pooling_name():
    from mms2l.models import QFormerFrameCompressor
    with pytest.raises(ValueError, match='pooling must be one of'):
        QFormerFrameCompressor(CV, LLM, qformer=dict(hidden_size=CQ, num_hidden_layers=1,
                                                     num_attention_heads=4, intermediate_size=8,
                                                     vocab_size=8), pooling='max')
