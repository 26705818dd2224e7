"""Frame compressor: patch features of one frame -> one LLM token (thesis section 4.3.2).

An InstructBLIP Q-Former (learned queries, optionally conditioned on the user
query text) reads the patches; the mean of its query outputs then scores every
patch (attention-based adaptive pooling), and the pooled patch feature is
projected to the LLM width.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from ..registry import MODELS


@MODELS.register_module()
class AdaptivePooling(nn.Module):
    """Attention pooling of K patches with a query vector.

    Args:
        query_dim: width of the Q-Former outputs.
        patch_dim: width of the patch features.
        attn_dim: width of the attention space.
    """

    def __init__(self, query_dim: int, patch_dim: int, attn_dim: int = 256) -> None:
        super().__init__()
        self.to_query = nn.Linear(query_dim, attn_dim)
        self.to_key = nn.Linear(patch_dim, attn_dim)

    def forward(self, query: torch.Tensor, patches: torch.Tensor) -> torch.Tensor:
        """query (N, Cq), patches (N, K, Cv) -> pooled (N, Cv)."""
        q = self.to_query(query)  # (N, D)
        k = self.to_key(patches)  # (N, K, D)
        attn = torch.softmax((k @ q.unsqueeze(-1)).squeeze(-1) / math.sqrt(q.shape[-1]), dim=-1)
        return (attn.unsqueeze(-1) * patches).sum(1)


@MODELS.register_module()
class QFormerFrameCompressor(nn.Module):
    """Q-Former + adaptive pooling + projection: (N, K, Cv) patches -> (N, C_llm) tokens.

    Args:
        vision_channels: Cv of the vision tower (the Q-Former's cross-attention width).
        llm_hidden: C_llm, the LLM's hidden size.
        qformer: kwargs of ``InstructBlipQFormerConfig`` (used when ``pretrained`` is None).
        pretrained: local directory of an ``InstructBlipQFormerModel`` checkpoint; a
            ``query_tokens.pt`` next to it (tensor (1, Q, Cq)) provides the queries.
        num_query_tokens: Q, the number of learned queries (when not loaded).
        attn_dim: width of the adaptive pooling attention.
    """

    def __init__(self, vision_channels: int, llm_hidden: int, qformer: dict | None = None,
                 pretrained: str | None = None, num_query_tokens: int = 32,
                 attn_dim: int = 256) -> None:
        super().__init__()
        from transformers import InstructBlipQFormerConfig, InstructBlipQFormerModel
        if pretrained is not None:
            self.qformer = InstructBlipQFormerModel.from_pretrained(pretrained)
        else:
            cfg = dict(qformer or {}, encoder_hidden_size=vision_channels)
            self.qformer = InstructBlipQFormerModel(InstructBlipQFormerConfig(**cfg))
        width = self.qformer.config.hidden_size
        if self.qformer.config.encoder_hidden_size != vision_channels:
            raise ValueError(f'the Q-Former cross-attends {self.qformer.config.encoder_hidden_size}-d '
                             f'features but the vision tower gives {vision_channels}-d')
        tokens_file = Path(pretrained) / 'query_tokens.pt' if pretrained else None
        if tokens_file is not None and tokens_file.is_file():
            tokens = torch.load(tokens_file, map_location='cpu', weights_only=True)
        else:
            tokens = torch.randn(1, num_query_tokens, width) * self.qformer.config.initializer_range
        self.query_tokens = nn.Parameter(tokens)
        self.pool = AdaptivePooling(width, vision_channels, attn_dim)
        self.proj = nn.Linear(vision_channels, llm_hidden)

    def forward(self, patches: torch.Tensor, text_ids: torch.Tensor | None = None,
                text_mask: torch.Tensor | None = None) -> torch.Tensor:
        """patches (N, K, Cv); text_ids/text_mask (N, L) Q-Former tokens -> (N, C_llm)."""
        n, q = patches.shape[0], self.query_tokens.shape[1]
        queries = self.query_tokens.expand(n, -1, -1)
        mask = torch.ones(n, q, dtype=torch.long, device=patches.device)
        if text_ids is not None:
            text_mask = torch.ones_like(text_ids) if text_mask is None else text_mask
            mask = torch.cat([mask, text_mask.long()], dim=1)
        out = self.qformer(input_ids=text_ids, attention_mask=mask, query_embeds=queries,
                           encoder_hidden_states=patches,
                           encoder_attention_mask=torch.ones(patches.shape[:2], dtype=torch.long,
                                                             device=patches.device))
        query_out = out.last_hidden_state[:, :q].mean(1)  # (N, Cq)
        return self.proj(self.pool(query_out, patches.to(query_out.dtype)))
