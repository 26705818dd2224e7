"""Named recipes: ``--scores align|align+uniform`` x ``--variant thesis|release``.

``thesis`` follows the text of chapter 3. ``release`` reproduces the official code
(pytorch-CTVSUM) where it differs. The score and protocol differences are defined
here only, so the CLI, the registered models and the configs share them (the
network and loss differences live in :mod:`mmvsumm.models.refinement`).
"""
from __future__ import annotations

from .errors import VSummInputError

__all__ = ['SCORE_CHOICES', 'REFINED_CHOICES', 'VARIANTS', 'check_variant', 'score_options',
           'protocol_options', 'method_label']

SCORE_CHOICES = {'align': ('align',), 'align+uniform': ('align', 'uniform')}
# after contrastive refinement the uniqueness filter H ('filter') is available too
REFINED_CHOICES = {**SCORE_CHOICES, 'align+filter': ('align', 'filter'),
                   'align+uniform+filter': ('align', 'uniform', 'filter')}
VARIANTS = ('thesis', 'release')


def check_variant(variant: str) -> str:
    """``variant`` itself, or an error naming the choices."""
    if variant not in VARIANTS:
        raise VSummInputError(f'--variant must be one of {VARIANTS}, got {variant!r}')
    return variant


def score_options(scores: str = 'align+uniform', variant: str = 'thesis',
                  dataset: str = 'tvsum', ratio: float = 0.1) -> dict:
    """Keyword arguments of :func:`mmvsumm.importance_scores`.

    ``thesis``: neighbours and uniformity exclude the frame itself, K = round(aT),
    product + 0.05, Gaussian sigma 1 holding the end values (``nearest``).
    ``release`` (the official code): both include the frame itself, K = int(aT);
    TVSum scores become ``exp(p - 1)`` (no epsilon), SumMe ``p + 0.05``; then a
    sigma-1 Gaussian filter with scipy's default ``reflect`` boundary.
    """
    if scores not in REFINED_CHOICES:
        raise VSummInputError(f'--scores must be one of {sorted(REFINED_CHOICES)}, '
                              f'got {scores!r}')
    options = dict(ratio=ratio, terms=REFINED_CHOICES[scores], eps=0.05, sigma=1.0,
                   include_self=False, transform='none', rounding='round', edge='nearest')
    if check_variant(variant) == 'release':
        options.update(include_self=True, rounding='floor', edge='reflect')
        if dataset == 'tvsum':
            options.update(eps=0.0, transform='exp')
    return options


def protocol_options(variant: str = 'thesis') -> dict:
    """Evaluation settings a variant implies (keyword arguments of ``Protocol``).

    The release compares ranks at 2 fps (the scores against annotations sampled at
    the picks) and selects shots with OR-tools' integer knapsack on
    ``int(1000 * shot score)``; the thesis variant keeps the frame-level protocol.
    """
    if check_variant(variant) == 'release':
        return dict(rank_level='step', value_scale=1000.0)
    return dict(rank_level='frame', value_scale=None)


def method_label(scores: str, refined: bool = False) -> str:
    """Row label of the thesis tables (training-free rows carry a star)."""
    names = dict(align='L_align', uniform='L_uniform', filter='H')
    star = '' if refined else '*'
    return ' & '.join(names[t] + (star if t != 'filter' else '')
                      for t in REFINED_CHOICES[scores])
