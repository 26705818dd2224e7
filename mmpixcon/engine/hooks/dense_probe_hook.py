"""Training-time dense-feature probe: does similarity matching find the true cell?"""
from __future__ import annotations

import mmcv
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch import Tensor

from ...datasets.transforms import OverlapTwoCrop, PairedRandomFlip
from ...models.utils import correspondence_hits


@HOOKS.register_module()
class DenseProbeHook(Hook):
    """Share of in-box query cells whose backbone-feature match lands within
    ``tolerance`` cells of the true corresponding cell, on fixed view pairs.

    The pairs (no photometric augmentation) are drawn once, with their own seed,
    from the training images; the probe runs before training and every
    ``interval`` iterations, with the backbone in eval mode. Results are kept in
    ``self.history`` as ``(iteration, share)`` and logged as ``probe/match_share``.

    Args:
        interval: iterations between probes (the last iteration is always probed).
        pairs_per_image: view pairs drawn per training image.
        size: probe view size in pixels (larger than the training size gives a finer grid).
        seed: seed of the pair draw.
        tolerance: allowed distance in cells (max of row and column offsets).
        batch_size: pairs per forward pass.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 100, pairs_per_image: int = 2, size: int = 192,
                 seed: int = 0, tolerance: float = 1.0, batch_size: int = 32) -> None:
        self.interval = interval
        self.pairs_per_image = pairs_per_image
        self.size = size
        self.seed = seed
        self.tolerance = tolerance
        self.batch_size = batch_size
        self.history: list[tuple[int, float]] = []
        self._pairs: tuple[list[Tensor], Tensor, Tensor] | None = None

    def _draw_pairs(self, paths: list[str]) -> tuple[list[Tensor], Tensor, Tensor]:
        """2 x (P, 3, S, S) uint8 views, (P, 2, 4) boxes, (P, 2) flips."""
        crop, flip = OverlapTwoCrop(self.size), PairedRandomFlip(0.5)
        state = np.random.get_state()
        np.random.seed(self.seed)
        try:
            results = [flip(crop(dict(img=mmcv.imread(p), img_path=p)))
                       for p in paths for _ in range(self.pairs_per_image)]
        finally:
            np.random.set_state(state)
        views = [torch.stack([torch.from_numpy(r['img'][v]).permute(2, 0, 1) for r in results])
                 for v in range(2)]  # BGR, as the data preprocessor expects
        boxes = torch.from_numpy(np.stack([r['pixcon_boxes'] for r in results]))
        flips = torch.from_numpy(np.stack([r['pixcon_flips'] for r in results]))
        return views, boxes, flips

    @torch.no_grad()
    def _probe(self, runner, iteration: int) -> None:
        """Probe the backbone after ``iteration`` training iterations."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self._pairs is None:
            dataset = runner.train_dataloader.dataset
            paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
            self._pairs = self._draw_pairs(paths)
        views, boxes, flips = self._pairs
        was_training = model.training
        model.eval()
        hits = total = 0
        for i in range(0, len(boxes), self.batch_size):
            chunk = [v[i:i + self.batch_size] for v in views]
            inputs = model.data_preprocessor(dict(inputs=chunk, data_samples=None))['inputs']
            feat_q, feat_k = (model.backbone(x)[-1] for x in inputs)
            h, n = correspondence_hits(feat_q, feat_k, boxes[i:i + self.batch_size],
                                       flips[i:i + self.batch_size], self.tolerance)
            hits, total = hits + h, total + n
        model.train(was_training)
        share = hits / max(total, 1)
        self.history.append((iteration, share))
        runner.message_hub.update_scalar('probe/match_share', share)
        runner.logger.info(f'dense probe after {iteration} iterations: {hits}/{total} in-box '
                           f'cells matched within {self.tolerance:g} cell ({share:.3f})')

    def before_train(self, runner) -> None:
        self._probe(runner, runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner):
            self._probe(runner, runner.iter + 1)
