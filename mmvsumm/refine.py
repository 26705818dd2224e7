"""Contrastive refinement (thesis 3.4.3-3.4.5): train G and H, then refined importance.

Training videos are resampled to ``frames`` steps (a random sorted subset of a
longer video, nearest-neighbour upsampling of a shorter one). Neighbours N_t
always come from the frozen input features. Each batch of >= 2 videos minimises
the per-frame mean of ``L_align + l1 L_uniform + l2 L_unique + l3 L_filter``
(eq. 3.11) with Adam.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .errors import VSummInputError
from .models.losses import align_loss, uniform_loss
from .models.refinement import refinement_loss, variant_network
from .models.refiner import ContrastiveRefiner
from .scores import combine_scores, nearest_neighbours

__all__ = ['RefineConfig', 'REFINE_PRESETS', 'resample_indices', 'train_refiner',
           'refined_importance', 'REFINED_TERMS']

REFINED_TERMS = ('align', 'uniform', 'filter')


@dataclass(frozen=True)
class RefineConfig:
    """Table 3.1 ("standard") and section 3.5.4 defaults."""

    epochs: int = 40
    lr: float = 1e-4
    weight_decay: float = 1e-4
    lambda1: float = 0.5  # uniformity (0.25 with ratio 0.05 for the YT8M table)
    lambda2: float = 0.1  # uniqueness
    lambda3: float = 0.1  # filter
    ratio: float = 0.1  # a: neighbours K = round(a T) (release: int(a T))
    frames: int = 200
    segment: int = 10  # m: frames per segment for the uniqueness loss
    batch_videos: int = 8
    layers: int = 4
    heads: int = 1
    d_model: int | None = None  # by variant: thesis 128, release 256
    dropout: float | None = None  # by variant: thesis 0.1, release 0
    variant: str = 'thesis'  # 'release': the official code's network and loss
    seed: int = 0


# table 3.1 rows, and the official release (its network and loss)
REFINE_PRESETS = {
    'standard': dict(heads=1, weight_decay=1e-4),
    'yt8m': dict(heads=8, weight_decay=5e-4),
    'release': dict(heads=1, weight_decay=1e-4, variant='release'),
}


def resample_indices(num: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """Step indices giving ``frames`` steps.  # -> (frames,)"""
    if num > frames:
        return np.sort(rng.choice(num, frames, replace=False))
    return np.floor(np.arange(frames) * num / frames).astype(np.int64)


def _batch_loss(model: ContrastiveRefiner, feats: list[np.ndarray], config: RefineConfig
                ) -> torch.Tensor:
    """Eq. 3.11 of one batch with ``config``'s weights (the registered model's loss)."""
    return refinement_loss(model, feats, config.ratio, config.segment, config.lambda1,
                           config.lambda2, config.lambda3, config.variant)


def train_refiner(videos: Sequence[np.ndarray], config: RefineConfig = RefineConfig(),
                  progress: bool = False) -> ContrastiveRefiner:
    """Train G and H on frame features of several videos.

    Args:
        videos: features of each training video.  # [(T_k, D), ...], >= 2 videos
    Returns:
        the trained refiner in eval mode.
    """
    from tqdm import tqdm
    if len(videos) < 2:
        raise VSummInputError('contrastive refinement needs at least 2 training videos '
                              '(the uniqueness loss compares videos)')
    dims = {np.shape(v)[1] for v in videos}
    if len(dims) != 1:
        raise VSummInputError(f'training videos have different feature sizes {sorted(dims)}')
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = ContrastiveRefiner(dims.pop(), config.layers, config.heads,
                               **variant_network(config.variant, config.d_model, config.dropout))
    optim = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    num_batches = max(len(videos) // config.batch_videos, 1)  # every batch has >= 2 videos
    model.train()
    for _ in tqdm(range(config.epochs), desc='refine', unit='epoch', disable=not progress):
        for batch in np.array_split(rng.permutation(len(videos)), num_batches):
            feats = [np.asarray(videos[i], dtype=np.float32)[
                resample_indices(len(videos[i]), config.frames, rng)] for i in batch]
            loss = _batch_loss(model, feats, config)
            optim.zero_grad()
            loss.backward()
            optim.step()
    return model.eval()


@torch.no_grad()
def refined_importance(feats: np.ndarray, model: ContrastiveRefiner,
                       terms: Sequence[str] = REFINED_TERMS, ratio: float = 0.1,
                       eps: float = 0.05, sigma: float = 1.0, include_self: bool = False,
                       transform: str = 'none', rounding: str = 'round',
                       edge: str = 'nearest') -> np.ndarray:
    """Eq. 3.12 on the refined features: scaled L_align, L_uniform and H, product + eps,
    smoothed (any non-empty subset of ``('align', 'uniform', 'filter')``). The other
    options are :func:`mmvsumm.importance_scores`'s (``score_options`` gives them per
    variant); N_t always comes from the input features.

    Args:
        feats: frame features of one video (all steps, no resampling).  # (T, D)
    Returns:
        importance.  # (T,)
    """
    unknown = set(terms) - set(REFINED_TERMS)
    if not terms or unknown:
        raise VSummInputError(f'terms must be a non-empty subset of {REFINED_TERMS}, '
                              f'got {terms}')
    device = next(model.parameters()).device
    encoded = model.encode(torch.as_tensor(np.asarray(feats, dtype=np.float32),
                                           device=device)[None])
    z = torch.nn.functional.normalize(encoded, dim=-1)[0]
    values = []
    if 'align' in terms:
        neighbours = torch.from_numpy(nearest_neighbours(feats, ratio, include_self, rounding))
        values.append(align_loss(z, neighbours.to(device)).cpu().numpy() if neighbours.shape[1]
                      else np.zeros(len(z)))
    if 'uniform' in terms:
        values.append(uniform_loss(z, include_self).cpu().numpy())
    if 'filter' in terms:
        values.append(model.uniqueness(encoded)[0].cpu().numpy())
    return combine_scores(values, eps, sigma, transform, edge)
