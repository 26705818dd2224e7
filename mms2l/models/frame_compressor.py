"""Frame compressor: patch features of one frame -> one LLM token (thesis section 4.3.2).

The compressor follows E.T.Chat's released model. With raw patch features x
(N, K, Cv) of one frame each:

1. the Q-Former reads ``ln_vision(x)`` with its Q learned queries (and, when given,
   the user query's Q-Former tokens after them) -> query outputs (N, Q, Cq);
2. ``e = out_proj(outputs)`` (N, Q, Cv) brings them to the vision width;
3. each query attends over the raw patches: ``a = softmax(q_proj(e) k_proj(x)^T / sqrt(Cv))``;
4. ``v_proj(mean_q(a x + e))`` (N, C_llm) is the frame token, where q/k/v_proj are
   LayerNorm + Linear.

``pooling='mean_query'`` is the simpler variant that averages the Q outputs
first and pools the patches with that one attention map.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from ..registry import MODELS

POOLINGS = ('per_query', 'mean_query')
QUERY_TOKENS_FILE, LN_VISION_FILE = 'query_tokens.pt', 'ln_vision.pt'


def _ln_linear(in_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(in_dim), nn.Linear(in_dim, out_dim))


def attention_pool(query_embeds: torch.Tensor, patches: torch.Tensor, q_proj: nn.Module,
                   k_proj: nn.Module, v_proj: nn.Module, pooling: str = 'per_query') -> torch.Tensor:
    """query_embeds (N, Q, Cv), raw patches (N, K, Cv) -> frame tokens (N, C_out).

    ``per_query``: ``v_proj(mean_q(softmax(q k^T / sqrt(Cv)) x + e))``; ``mean_query``
    averages ``e`` over the queries before the attention.
    """
    if pooling == 'mean_query':
        query_embeds = query_embeds.mean(1, keepdim=True)
    elif pooling != 'per_query':
        raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
    q, k = q_proj(query_embeds), k_proj(patches)  # (N, Q, Cv), (N, K, Cv)
    attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(patches.shape[-1]), dim=-1)
    return v_proj((attn @ patches + query_embeds).mean(1))


@MODELS.register_module()
class QFormerFrameCompressor(nn.Module):
    """ln_vision + Q-Former + per-query attention pooling: (N, K, Cv) -> (N, C_llm).

    Args:
        vision_channels: Cv of the vision tower (the Q-Former's cross-attention width).
        llm_hidden: C_llm, the LLM's hidden size.
        qformer: kwargs of ``InstructBlipQFormerConfig`` (used when ``pretrained`` is None).
        pretrained: local directory of an ``InstructBlipQFormerModel`` checkpoint as
            ``python -m mms2l.export_instructblip`` writes it: ``query_tokens.pt``
            (tensor (1, Q, Cq)) and ``ln_vision.pt`` (the InstructBLIP vision model's
            ``post_layernorm``, which is BLIP-2's ``ln_vision``) next to it.
        num_query_tokens: Q, the number of learned queries (when not loaded).
        pooling: ``'per_query'`` (E.T.Chat) or ``'mean_query'``.
        vision_norm: apply ``ln_vision`` to the Q-Former's input (E.T.Chat does); the
            pooling always reads the raw patches.
    """

    def __init__(self, vision_channels: int, llm_hidden: int, qformer: dict | None = None,
                 pretrained: str | None = None, num_query_tokens: int = 32,
                 pooling: str = 'per_query', vision_norm: bool = True) -> None:
        super().__init__()
        from transformers import InstructBlipQFormerConfig, InstructBlipQFormerModel
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
        if pretrained is not None:
            self.qformer = InstructBlipQFormerModel.from_pretrained(pretrained)
        else:
            cfg = dict(qformer or {}, encoder_hidden_size=vision_channels)
            self.qformer = InstructBlipQFormerModel(InstructBlipQFormerConfig(**cfg))
        width = self.qformer.config.hidden_size
        if self.qformer.config.encoder_hidden_size != vision_channels:
            raise ValueError(f'the Q-Former cross-attends {self.qformer.config.encoder_hidden_size}-d '
                             f'features but the vision tower gives {vision_channels}-d')
        self.pooling = pooling
        tokens = _load_part(pretrained, QUERY_TOKENS_FILE)
        if tokens is None:
            tokens = torch.randn(1, num_query_tokens, width) * self.qformer.config.initializer_range
        self.query_tokens = nn.Parameter(tokens)
        self.ln_vision = nn.LayerNorm(vision_channels) if vision_norm else nn.Identity()
        ln_state = _load_part(pretrained, LN_VISION_FILE) if vision_norm else None
        if ln_state is not None:
            self.ln_vision.load_state_dict(ln_state)
        self.out_proj = nn.Linear(width, vision_channels)
        self.q_proj = _ln_linear(vision_channels, vision_channels)
        self.k_proj = _ln_linear(vision_channels, vision_channels)
        self.v_proj = _ln_linear(vision_channels, llm_hidden)

    def query_outputs(self, patches: torch.Tensor, text_ids: torch.Tensor | None = None,
                      text_mask: torch.Tensor | None = None) -> torch.Tensor:
        """patches (N, K, Cv); text_ids/text_mask (N, L) -> projected query outputs (N, Q, Cv)."""
        n, q = patches.shape[0], self.query_tokens.shape[1]
        mask = torch.ones(n, q, dtype=torch.long, device=patches.device)
        if text_ids is not None:
            text_mask = torch.ones_like(text_ids) if text_mask is None else text_mask
            mask = torch.cat([mask, text_mask.long()], dim=1)
        out = self.qformer(input_ids=text_ids, attention_mask=mask,
                           query_embeds=self.query_tokens.expand(n, -1, -1),
                           encoder_hidden_states=self.ln_vision(patches),
                           encoder_attention_mask=torch.ones(patches.shape[:2], dtype=torch.long,
                                                             device=patches.device))
        return self.out_proj(out.last_hidden_state[:, :q])

    def forward(self, patches: torch.Tensor, text_ids: torch.Tensor | None = None,
                text_mask: torch.Tensor | None = None) -> torch.Tensor:
        """patches (N, K, Cv) raw vision features; text_ids/text_mask (N, L) Q-Former
        tokens of the user query -> frame tokens (N, C_llm)."""
        embeds = self.query_outputs(patches, text_ids, text_mask)
        return attention_pool(embeds, patches.to(embeds.dtype), self.q_proj, self.k_proj,
                              self.v_proj, self.pooling)


def _load_part(pretrained: str | None, name: str):
    """A tensor (or state dict) saved next to a pretrained Q-Former, or None when absent."""
    if pretrained is None:
        return None
    path = Path(pretrained) / name
    if not path.is_file():
        from mmengine.logging import print_log
        print_log(f'{path} is missing: {name.split(".")[0]} starts from a fresh init '
                  '(re-export with python -m mms2l.export_instructblip)', logger='current', level=30)
        return None
    return torch.load(path, map_location='cpu', weights_only=True)
