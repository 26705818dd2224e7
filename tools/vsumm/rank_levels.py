#!/usr/bin/env python
"""How much the rank level (frame vs 2 fps) moves Kendall's tau / Spearman's rho for
2 fps predictions, measured on the real TVSum annotations (ydata-tvsum50-anno.tsv).

    python tools/vsumm/rank_levels.py [--anno ydata-tvsum50-anno.tsv[.gz]]

Predictions are annotator scores sampled at the picks (0, 15, 30, ...): another
annotator, or the mean of the other 19. ``frame``: the prediction held to every frame
against the annotator's frame scores (Otani et al.); ``2 fps``: both at the picks
(the official release).
"""
import argparse

import numpy as np

from mmvsumm.io.tvsum_anno import read_tvsum_anno
from mmvsumm.metrics.functional import rank_correlations
from mmvsumm.summary import frame_scores

METRICS = ('kendall', 'spearman')


def measure(anno_path) -> dict[str, np.ndarray]:
    """Mean (frame tau, frame rho, 2 fps tau, 2 fps rho) per kind of prediction."""
    rows: dict[str, list] = {'another annotator': [], 'mean of the other 19': []}
    for anno in read_tvsum_anno(anno_path).values():
        users = np.asarray(anno.scores, np.float64)
        picks = np.arange(0, users.shape[1], 15)
        for u in range(len(users)):
            others = np.delete(users, u, axis=0)
            for name, pred in (('another annotator', others[0][picks]),
                               ('mean of the other 19', others.mean(0)[picks])):
                held = frame_scores(pred, picks, users.shape[1])
                rows[name].append([rank_correlations(held, users[u:u + 1], m)[0]
                                   for m in METRICS] +
                                  [rank_correlations(pred, users[u:u + 1, picks], m)[0]
                                   for m in METRICS])
    return {name: np.mean(values, axis=0) for name, values in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--anno', help='default: the shared copy')
    args = parser.parse_args()
    if args.anno is None:
        from mmcontrast.assets import tvsum_anno_path
        args.anno = tvsum_anno_path()
    print('| 2 fps prediction | frame τ | frame ρ | 2 fps τ | 2 fps ρ |')
    print('|---|---|---|---|---|')
    for name, m in measure(args.anno).items():
        print(f'| {name} | ' + ' | '.join(f'{v:.4f}' for v in m) + ' |')


if __name__ == '__main__':
    main()
