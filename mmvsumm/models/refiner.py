"""The contrastive refinement networks: projector G and uniqueness filter H (table 3.1)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['EncoderLayer', 'ContrastiveRefiner']


class EncoderLayer(nn.Module):
    """Post-norm Transformer encoder layer whose heads have their own width ``d_head``
    (table 3.1: d_model 128, d_head 64, d_inner 512).  # (B, T, d) -> (B, T, d)"""

    def __init__(self, d_model: int = 128, heads: int = 1, d_head: int = 64,
                 d_inner: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.heads, self.d_head = heads, d_head
        self.qkv = nn.Linear(d_model, 3 * heads * d_head)
        self.out = nn.Linear(heads * d_head, d_model)
        self.ffn = nn.Sequential(nn.Linear(d_model, d_inner), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(d_inner, d_model))
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = x.shape
        qkv = self.qkv(x).view(batch, steps, 3, self.heads, self.d_head).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2],
                                              dropout_p=self.drop.p if self.training else 0.0)
        attn = attn.transpose(1, 2).reshape(batch, steps, self.heads * self.d_head)
        x = self.norm1(x + self.drop(self.out(attn)))
        return self.norm2(x + self.drop(self.ffn(x)))


class ContrastiveRefiner(nn.Module):
    """G: Linear(in_dim -> d_model) + encoder layers, L2-normalised output; H: one
    encoder layer + Linear + sigmoid on the (detached) projected features.

    Args:
        in_dim: backbone feature size (1024 for the GoogLeNet h5 files).
        layers, heads, d_model, d_head, d_inner: table 3.1 ("standard": 4, 1, 128, 64,
            512; "YT8M": 4, 8, 128, 64, 512).
    """

    def __init__(self, in_dim: int, layers: int = 4, heads: int = 1, d_model: int = 128,
                 d_head: int = 64, d_inner: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.project = nn.Linear(in_dim, d_model)
        self.encoder = nn.Sequential(*(EncoderLayer(d_model, heads, d_head, d_inner, dropout)
                                       for _ in range(layers)))
        self.filter = nn.Sequential(EncoderLayer(d_model, heads, d_head, d_inner, dropout))
        self.filter_head = nn.Linear(d_model, 1)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Projected frames z.  # (B, T, in_dim) -> (B, T, d_model), unit rows"""
        return F.normalize(self.encoder(self.project(feats)), dim=-1)

    def uniqueness(self, z: torch.Tensor) -> torch.Tensor:
        """H(sg(z)) in (0, 1).  # (B, T, d_model) -> (B, T)"""
        return torch.sigmoid(self.filter_head(self.filter(z.detach()))).squeeze(-1)
