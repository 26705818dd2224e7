#!/usr/bin/env python
"""The lambda1 x a ablation of thesis figs. 3.5/3.6: every pair trained on every split.

    python tools/vsumm/sweep.py configs/vsumm/ctvsumm_4l1h_tvsum_canonical.py \
        --lambda1 0.1 0.25 0.5 1.0 --ratio 0.05 0.1 0.2 \
        --cfg-options model.scores=align+filter            # fig. 3.5 (L_align & H)
    ... --cfg-options model.scores=align+uniform+filter    # fig. 3.6

Each pair sets ``model.lambda1`` and ``model.ratio`` and runs
``tools/vsumm/train_splits.py``'s loop in ``WORK_DIR/l1_<lambda1>_a_<a>``. Writes
``WORK_DIR/sweep.json``, ``sweep.md`` (one row per pair, mean +- std over splits)
and ``sweep.png`` (each metric against lambda1, one line per a, error bars = std).
The text of the thesis does not list the grid of its figures; the defaults below
span the values it names (a = 0.05, 0.1; lambda1 = 0.25, 0.5).
"""
from __future__ import annotations

import argparse
import copy
import itertools
import os.path as osp
import sys
from pathlib import Path

from mmcontrast.argtypes import finite_float
from mmcontrast.errors import exit_on_input_error
from mmcontrast.fileio import (atomic_path, refuse_existing, write_json_atomic,
                               write_text_atomic)
from mmengine.config import DictAction
from train_splits import load, train_splits

METRICS = ('f1', 'kendall', 'spearman')


def run_sweep(cfg, work_dir: str, lambdas: list[float], ratios: list[float],
              splits: list[int] | None = None) -> list[dict]:
    """One record per (lambda1, a): the train_splits summary of that pair."""
    rows = []
    for lambda1, ratio in itertools.product(lambdas, ratios):
        pair = copy.deepcopy(cfg)
        pair.model.lambda1, pair.model.ratio = lambda1, ratio
        report = train_splits(pair, osp.join(work_dir, f'l1_{lambda1:g}_a_{ratio:g}'), splits)
        rows.append(dict(lambda1=lambda1, ratio=ratio, splits=report['splits'],
                         summary=report['summary']))
    return rows


def to_markdown(rows: list[dict]) -> str:
    """A row per pair; a column per metric group and metric, mean ± std."""
    groups = list(rows[0]['summary'])
    columns = [(g, k) for g in groups for k in rows[0]['summary'][g]]
    head = '| λ1 | a | ' + ' | '.join(f'{g} {k.split("/")[-1]}' for g, k in columns) + ' |'
    lines = [head, '|---' * (len(columns) + 2) + '|']
    for row in rows:
        cells = [f"{row['summary'][g][k]['mean']:.4f} ± {row['summary'][g][k]['std']:.4f}"
                 for g, k in columns]
        lines.append(f"| {row['lambda1']:g} | {row['ratio']:g} | " + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def plot(rows: list[dict], path: Path) -> None:
    """Panels: metric groups x (F1, tau, rho); x = lambda1, a line per a."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    groups = list(rows[0]['summary'])
    fig, axes = plt.subplots(len(groups), len(METRICS), figsize=(4 * len(METRICS),
                                                                 3 * len(groups)),
                             squeeze=False)
    for (g, group), (m, metric) in itertools.product(enumerate(groups), enumerate(METRICS)):
        ax = axes[g][m]
        key = next(k for k in rows[0]['summary'][group] if k.split('/')[-1] == metric)
        for ratio in sorted({r['ratio'] for r in rows}):
            line = sorted((r for r in rows if r['ratio'] == ratio), key=lambda r: r['lambda1'])
            ax.errorbar([r['lambda1'] for r in line],
                        [r['summary'][group][key]['mean'] for r in line],
                        yerr=[r['summary'][group][key]['std'] for r in line],
                        marker='o', capsize=3, label=f'a = {ratio:g}')
        ax.set_xlabel('λ1')
        ax.set_title(f'{group}: {metric}')
        ax.legend(fontsize='small')
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--lambda1', type=finite_float(0), nargs='+',
                        default=[0.1, 0.25, 0.5, 1.0], help='weights of L_uniform, >= 0')
    parser.add_argument('--ratio', type=finite_float(0, 1, low_open=True), nargs='+',
                        default=[0.05, 0.1, 0.2],
                        help='values of a (neighbours per frame as a fraction of T)')
    parser.add_argument('--work-dir', help='default work_dirs/sweep_<config name>')
    parser.add_argument('--splits', type=int, nargs='+', help='split indices (default all)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, as key=value pairs')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing sweep.json / sweep.md / sweep.png')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load(args.config, args.cfg_options)
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'sweep_' + osp.splitext(osp.basename(args.config))[0])
    out = Path(work_dir)
    for name in ('sweep.json', 'sweep.md', 'sweep.png'):  # before any work
        refuse_existing(out / name, args.overwrite, '--work-dir')
    rows = run_sweep(cfg, work_dir, args.lambda1, args.ratio, args.splits)
    write_json_atomic(out / 'sweep.json', dict(config=args.config, rows=rows))
    markdown = to_markdown(rows)
    write_text_atomic(out / 'sweep.md', markdown)
    plot(rows, out / 'sweep.png')
    print(markdown)
    print(out / 'sweep.png')


if __name__ == '__main__':
    sys.exit(exit_on_input_error(lambda _argv: main(), None, 'sweep.py'))
