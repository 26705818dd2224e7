"""The evaluation protocol, with every variant named.

F1: key shots from the h5's ``change_points`` (or KTS), shot score = mean of the
frame scores (``shot_reduce='sum'`` is Otani et al.'s recommendation), 0/1
knapsack with capacity ``int(0.15 * n_frames)``; F1 against every annotator's
``user_summary``, averaged for TVSum and maximised for SumMe (and OVP/YouTube).

Rank correlation (Otani et al.): Kendall's tau-b and Spearman's rho between the
prediction and each annotator, averaged over annotators, then over videos.
``rank_level`` names where they are compared:

* ``'frame'`` (default; Otani et al., and the protocol of the thesis numbers):
  the 2 fps prediction is held constant up to the next pick and compared on every
  frame with each annotator's frame-level reference -- TVSum: the 1-5 scores of
  ``ydata-tvsum50-anno.tsv``; SumMe (and others): the binary ``user_summary`` rows.
* ``'step'``: the same references, compared only at the sampled frames (``picks``).
* ``'gtscore'``: the h5's ``gtscore`` (mean annotation at 2 fps) as the single
  reference -- a shortcut seen in some code bases; it has no human baseline.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import VSummInputError

__all__ = ['Protocol', 'RANK_LEVELS', 'SHOT_SOURCES']

RANK_LEVELS = ('frame', 'step', 'gtscore')
SHOT_SOURCES = ('h5', 'kts')


@dataclass(frozen=True)
class Protocol:
    """How one dataset is evaluated (see the module docstring)."""

    dataset: str = 'tvsum'
    rank_level: str = 'frame'
    shot_reduce: str = 'mean'
    value_scale: float | None = None  # 1000 reproduces DSNet's integer knapsack values
    proportion: float = 0.15
    shots: str = 'h5'  # 'kts' recomputes shots from the features

    def __post_init__(self) -> None:
        if self.rank_level not in RANK_LEVELS:
            raise VSummInputError(f'rank level must be one of {RANK_LEVELS}, '
                                  f'got {self.rank_level!r}')
        if self.shots not in SHOT_SOURCES:
            raise VSummInputError(f'shots must be one of {SHOT_SOURCES}, got {self.shots!r}')

    @property
    def f1_reduction(self) -> str:
        """TVSum averages over annotators; SumMe, OVP and YouTube take the maximum."""
        return 'mean' if self.dataset == 'tvsum' else 'max'
