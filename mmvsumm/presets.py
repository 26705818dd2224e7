"""Named score recipes: ``--scores align|align+uniform`` x ``--variant thesis|release``."""
from __future__ import annotations

from .errors import VSummInputError

__all__ = ['SCORE_CHOICES', 'REFINED_CHOICES', 'VARIANTS', 'score_options', 'method_label']

SCORE_CHOICES = {'align': ('align',), 'align+uniform': ('align', 'uniform')}
# after contrastive refinement the uniqueness filter H ('filter') is available too
REFINED_CHOICES = {**SCORE_CHOICES, 'align+filter': ('align', 'filter'),
                   'align+uniform+filter': ('align', 'uniform', 'filter')}
VARIANTS = ('thesis', 'release')


def score_options(scores: str = 'align+uniform', variant: str = 'thesis',
                  dataset: str = 'tvsum', ratio: float = 0.1) -> dict:
    """Keyword arguments of :func:`mmvsumm.importance_scores`.

    ``thesis``: neighbours and uniformity exclude the frame itself, product + 0.05,
    Gaussian sigma 1. ``release`` (the official code): both include the frame
    itself; TVSum scores become ``exp(p - 1)`` (no epsilon), SumMe ``p + 0.05``;
    then a sigma-1 Gaussian filter.
    """
    if scores not in SCORE_CHOICES:
        raise VSummInputError(f'--scores must be one of {sorted(SCORE_CHOICES)}, got {scores!r}')
    if variant not in VARIANTS:
        raise VSummInputError(f'--variant must be one of {VARIANTS}, got {variant!r}')
    options = dict(ratio=ratio, terms=SCORE_CHOICES[scores], eps=0.05, sigma=1.0,
                   include_self=False, transform='none')
    if variant == 'release':
        options['include_self'] = True
        if dataset == 'tvsum':
            options.update(eps=0.0, transform='exp')
    return options


def method_label(scores: str, refined: bool = False) -> str:
    """Row label of the thesis tables (training-free rows carry a star)."""
    names = dict(align='L_align', uniform='L_uniform', filter='H')
    star = '' if refined else '*'
    return ' & '.join(names[t] + (star if t != 'filter' else '')
                      for t in REFINED_CHOICES[scores])
