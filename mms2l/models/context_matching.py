"""Context matching (F_vis, F_sum; eq. 4.2) and the optional localization head."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..losses import context_matching_scores
from ..registry import MODELS


def _mlp(in_dim: int, out_dim: int, num_layers: int) -> nn.Module:
    """A Linear (num_layers == 1) or Linear-GELU-...-Linear projection."""
    if num_layers < 1:
        raise ValueError(f'num_layers must be >= 1, got {num_layers}')
    layers: list[nn.Module] = []
    for i in range(num_layers):
        layers.append(nn.Linear(in_dim if i == 0 else out_dim, out_dim))
        if i < num_layers - 1:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


@MODELS.register_module()
class ContextMatching(nn.Module):
    """Projects frame and ``<loc>`` hidden states and scores them by cosine similarity.

    Args:
        in_dim: LLM hidden size C.
        proj_dim: width of the matching space (default C).
        num_layers: layers of each projection MLP.
    """

    def __init__(self, in_dim: int, proj_dim: int | None = None, num_layers: int = 2) -> None:
        super().__init__()
        proj_dim = proj_dim or in_dim
        self.f_vis = _mlp(in_dim, proj_dim, num_layers)
        self.f_sum = _mlp(in_dim, proj_dim, num_layers)

    def project(self, frame_hidden: torch.Tensor,
                loc_hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(T, C), (M, C) -> F_vis(H_vis) (T, D), F_sum(h) (M, D)."""
        dtype = self.f_vis[0].weight.dtype
        return self.f_vis(frame_hidden.to(dtype)), self.f_sum(loc_hidden.to(dtype))

    def forward(self, frame_hidden: torch.Tensor, loc_hidden: torch.Tensor) -> torch.Tensor:
        """frame_hidden (T, C), loc_hidden (M, C) -> scores S (M, T)."""
        return context_matching_scores(*self.project(frame_hidden, loc_hidden))


@MODELS.register_module()
class LocalizationHead(nn.Module):
    """Per-frame foreground logit and start/end distances for one ``<loc>`` query.

    Works in the matching space: each frame feature is fused with the ``<loc>``
    feature (concatenation with their product) and passed through a small MLP.

    Args:
        dim: width of the matching space D.
        hidden: width of the MLP.
    """

    def __init__(self, dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * dim, hidden), nn.GELU(), nn.Linear(hidden, 3))

    def forward(self, frame_feats: torch.Tensor,
                loc_feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """frame_feats (T, D), loc_feats (M, D) -> foreground logits (M, T), offsets (M, T, 2) >= 0."""
        f = F.normalize(frame_feats, dim=-1)[None].expand(len(loc_feats), -1, -1)  # (M, T, D)
        q = F.normalize(loc_feats, dim=-1)[:, None]  # (M, 1, D)
        out = self.mlp(torch.cat([f, f * q], dim=-1))  # (M, T, 3)
        return out[..., 0], F.softplus(out[..., 1:])
