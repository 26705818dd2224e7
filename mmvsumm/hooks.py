"""Repeatable randomness across ``--resume`` for the refinement configs.

MMEngine seeds the random generators once when a runner starts and does not restore
them on resume, so a run resumed after epoch ``e`` draws other dropout masks and other
resampled frames than an uninterrupted one. :class:`EpochSeedHook` derives every
draw of an epoch from ``(runner seed, epoch, rank)`` instead: torch, numpy and
Python's ``random`` are re-seeded before each training epoch, and the training
dataset's resampling is told the epoch (:class:`mmvsumm.datasets.sampling.EpochResampling`).
"""
from __future__ import annotations

import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from .registry import HOOKS

__all__ = ['EpochSeedHook', 'epoch_seed']


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A 32-bit seed from ``(seed, epoch, rank)`` (numpy's SeedSequence mixing)."""
    return int(np.random.SeedSequence([int(seed) % 2**32, epoch, rank]).generate_state(1)[0])


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Before each training epoch: re-seed torch, numpy and ``random`` from the run's
    seed (restored from the checkpoint on resume) and the epoch, and call the training
    dataset's ``set_epoch(epoch, seed)`` when it has one."""

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed = epoch_seed(runner.seed, runner.epoch, get_rank())
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        dataset = runner.train_dataloader.dataset
        if hasattr(dataset, 'set_epoch'):
            dataset.set_epoch(runner.epoch, runner.seed)
