"""The contrastive refinement networks: projector G and uniqueness filter H (table 3.1).

Two styles share the code: ``'thesis'`` (table 3.1 as written) and ``'release'``
(the network of the official code): LayerNorm right after the input projection,
LayerNorm eps 1e-6, attention projections without bias, a Linear-ReLU-Linear
filter head, and H fed with the encoder output before the L2 normalisation.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import VSummInputError

__all__ = ['EncoderLayer', 'ContrastiveRefiner', 'STYLES']

STYLES = ('thesis', 'release')


class EncoderLayer(nn.Module):
    """Post-norm Transformer encoder layer whose heads have their own width ``d_head``
    (table 3.1: d_model 128, d_head 64, d_inner 512).  # (B, T, d) -> (B, T, d)"""

    def __init__(self, d_model: int = 128, heads: int = 1, d_head: int = 64,
                 d_inner: int = 512, dropout: float = 0.1, bias: bool = True,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.heads, self.d_head = heads, d_head
        self.qkv = nn.Linear(d_model, 3 * heads * d_head, bias=bias)
        self.out = nn.Linear(heads * d_head, d_model, bias=bias)
        self.ffn = nn.Sequential(nn.Linear(d_model, d_inner), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(d_inner, d_model))
        self.norm1 = nn.LayerNorm(d_model, eps=norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=norm_eps)
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
    encoder layer + a head + sigmoid on the (detached) projected features.

    Args:
        in_dim: backbone feature size (1024 for the GoogLeNet h5 files).
        layers, heads, d_model, d_head, d_inner: table 3.1 ("standard": 4, 1, 128, 64,
            512; "YT8M": 4, 8, 128, 64, 512).
        dropout: inside the encoder layers (the release uses 0).
        style: ``'thesis'`` or ``'release'`` (see the module docstring).
    """

    def __init__(self, in_dim: int, layers: int = 4, heads: int = 1, d_model: int = 128,
                 d_head: int = 64, d_inner: int = 512, dropout: float = 0.1,
                 style: str = 'thesis') -> None:
        super().__init__()
        if style not in STYLES:
            raise VSummInputError(f'style must be one of {STYLES}, got {style!r}')
        self.style = style
        release = style == 'release'
        layer = dict(d_model=d_model, heads=heads, d_head=d_head, d_inner=d_inner,
                     dropout=dropout, bias=not release, norm_eps=1e-6 if release else 1e-5)
        self.project = nn.Linear(in_dim, d_model)
        self.input_norm = nn.LayerNorm(d_model, eps=1e-6) if release else nn.Identity()
        self.encoder = nn.Sequential(*(EncoderLayer(**layer) for _ in range(layers)))
        self.filter = nn.Sequential(EncoderLayer(**layer))
        self.filter_head = (nn.Sequential(nn.Linear(d_model, d_model), nn.ReLU(),
                                          nn.Linear(d_model, 1))
                            if release else nn.Linear(d_model, 1))

    def encode(self, feats: torch.Tensor) -> torch.Tensor:
        """G before the L2 normalisation.  # (B, T, in_dim) -> (B, T, d_model)"""
        return self.encoder(self.input_norm(self.project(feats)))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Projected frames z.  # (B, T, in_dim) -> (B, T, d_model), unit rows"""
        return F.normalize(self.encode(feats), dim=-1)

    def uniqueness(self, encoded: torch.Tensor) -> torch.Tensor:
        """H(sg(.)) in (0, 1) of :meth:`encode`'s output (or of z: the thesis style
        normalises its input, so both give the same).  # (B, T, d_model) -> (B, T)"""
        x = encoded.detach()
        if self.style == 'thesis':
            x = F.normalize(x, dim=-1)
        return torch.sigmoid(self.filter_head(self.filter(x))).squeeze(-1)
