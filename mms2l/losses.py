"""Context-matching scores and loss (thesis eq. 4.2-4.4) and the localization-head loss."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def context_matching_scores(frame_feats: torch.Tensor, loc_feats: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every ``<loc>`` feature with every frame (eq. 4.2).

    frame_feats: (T, C) projected frame hidden states F_vis(H_vis).
    loc_feats:   (M, C) projected ``<loc>`` hidden states F_sum(h_m).
    Returns S: (M, T) in [-1, 1].
    """
    if frame_feats.ndim != 2 or loc_feats.ndim != 2:
        raise ValueError(f'expected (T, C) and (M, C), got {tuple(frame_feats.shape)} '
                         f'and {tuple(loc_feats.shape)}')
    if frame_feats.shape[1] != loc_feats.shape[1]:
        raise ValueError(f'feature sizes differ: {frame_feats.shape[1]} vs {loc_feats.shape[1]}')
    return F.normalize(loc_feats, dim=-1, eps=1e-6) @ F.normalize(frame_feats, dim=-1, eps=1e-6).T


def check_spans(spans: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Validate ground-truth frame spans (M, 2) as inclusive ``[t_s, t_e]`` indices."""
    spans = torch.as_tensor(spans, dtype=torch.long)
    if spans.ndim != 2 or spans.shape[1] != 2:
        raise ValueError(f'spans must have shape (M, 2), got {tuple(spans.shape)}')
    if len(spans) and (spans[:, 0].min() < 0 or spans[:, 1].max() >= num_frames
                       or (spans[:, 1] < spans[:, 0]).any()):
        raise ValueError(f'spans must satisfy 0 <= t_s <= t_e < T={num_frames}, got '
                         f'{spans.tolist()}')
    return spans


def context_matching_loss(scores: torch.Tensor, spans: torch.Tensor,
                          temperature: float = 0.07) -> torch.Tensor:
    """Contrastive context-matching loss L_CM (eq. 4.3-4.4).

    scores: (M, T) cosine scores; spans: (M, 2) inclusive frame indices [t_s, t_e].
    For segment m: l_m = mean over t in [t_s, t_e] of -log softmax_t'(S_m / tau)[t];
    L_CM = mean over m. (Eq. 4.4 divides by t_e - t_s; we divide by the number of
    frames in the range, t_e - t_s + 1, so a one-frame span is defined.)
    """
    if scores.ndim != 2:
        raise ValueError(f'scores must be (M, T), got {tuple(scores.shape)}')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    spans = check_spans(spans, scores.shape[1]).to(scores.device)
    if len(spans) != len(scores):
        raise ValueError(f'{len(scores)} <loc> tokens but {len(spans)} ground-truth spans')
    if len(spans) == 0:
        raise ValueError('context matching needs at least one segment')
    log_prob = torch.log_softmax(scores.float() / temperature, dim=-1)  # (M, T)
    frames = torch.arange(scores.shape[1], device=scores.device)
    inside = (frames[None] >= spans[:, :1]) & (frames[None] <= spans[:, 1:])  # (M, T)
    per_segment = -(log_prob * inside).sum(-1) / inside.sum(-1)
    return per_segment.mean()


def loc_head_loss(foreground: torch.Tensor, offsets: torch.Tensor,
                  spans: torch.Tensor) -> torch.Tensor:
    """Localization-head loss: BCE on foreground + L1 on start/end distances inside spans.

    foreground: (M, T) logits; offsets: (M, T, 2) predicted distances (frames) to the
    span start and end; spans: (M, 2) inclusive frame indices.
    """
    spans = check_spans(spans, foreground.shape[1]).to(foreground.device)
    frames = torch.arange(foreground.shape[1], device=foreground.device)
    inside = (frames[None] >= spans[:, :1]) & (frames[None] <= spans[:, 1:])  # (M, T)
    target = torch.stack([frames[None] - spans[:, :1], spans[:, 1:] - frames[None]], -1)
    bce = F.binary_cross_entropy_with_logits(foreground.float(), inside.float())
    l1 = (offsets.float() - target.float()).abs().sum(-1)[inside].mean()
    return bce + l1
