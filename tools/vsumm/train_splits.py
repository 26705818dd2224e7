#!/usr/bin/env python
"""Train and evaluate one mmvsumm config on every split of its setting; report mean +- std.

    python tools/vsumm/train_splits.py configs/vsumm/ctvsumm_4l1h_tvsum_canonical.py
    python tools/vsumm/train_splits.py CONFIG --splits 0 1 --cfg-options model.lambda1=0.25

Each split trains in its own work dir (``WORK_DIR/split_<i>``) through MMEngine's
Runner, then the final model is validated (and tested, when the config's test set
differs from its validation set, e.g. SumMe for the YouTube-8M configs). Writes
``WORK_DIR/splits.json`` and ``WORK_DIR/splits.md``; the std is over splits (ddof 0).
"""
from __future__ import annotations

import argparse
import copy
import os.path as osp
import sys
from pathlib import Path

import mmcontrast  # noqa: F401  applies upstream compatibility fixes
import numpy as np
from mmcontrast.errors import exit_on_input_error
from mmcontrast.fileio import refuse_existing, write_json_atomic, write_text_atomic
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def split_datasets(cfg: Config) -> list[dict]:
    """The eccv16 dataset configs of the loaders that follow a split setting."""
    found = []
    for loader in LOADERS:
        dataset = (cfg.get(loader) or {}).get('dataset', {})
        if dataset.get('type') == 'Eccv16Dataset' and dataset.get('setting') is not None:
            found.append(dataset)
    return found


def num_splits(cfg: Config) -> int:
    """How many splits the config's setting has (1 when no loader follows a split)."""
    from mmvsumm.splits import read_splits, shipped_split_file
    datasets = split_datasets(cfg)
    if not datasets:
        return 1
    first = datasets[0]
    return len(read_splits(first.get('split_file') or
                           shipped_split_file(first['dataset'], first['setting'])))


def with_split(cfg: Config, index: int, work_dir: str) -> Config:
    """A copy of ``cfg`` on split ``index`` (every loader), saving into ``work_dir``."""
    cfg = copy.deepcopy(cfg)
    for dataset in split_datasets(cfg):
        dataset['split_index'] = index
    cfg.split_index = index
    cfg.work_dir = work_dir
    # one logger/visualizer instance per run (mmengine appends the start time; two
    # splits started in the same second would otherwise share the first one's)
    cfg.experiment_name = '_'.join(Path(work_dir).parts[-2:])
    return cfg


def run_split(cfg: Config) -> dict[str, dict[str, float]]:
    """Train, then the final model's metrics: ``{'val': {...}[, 'test': {...}]}``."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = dict(val=dict(runner.val()))
    if cfg.get('test_dataloader') is not None and cfg.test_dataloader != cfg.val_dataloader:
        metrics['test'] = dict(runner.test())
    return metrics


def aggregate(per_split: list[dict[str, dict[str, float]]]) -> dict:
    """Mean and std (ddof 0) over splits of every metric of every group."""
    summary = {}
    for group in per_split[0]:
        summary[group] = {}
        for key in per_split[0][group]:
            values = np.array([split[group][key] for split in per_split], dtype=np.float64)
            summary[group][key] = dict(mean=float(values.mean()), std=float(values.std()))
    return summary


def to_markdown(title: str, splits: list[int], per_split: list[dict], summary: dict) -> str:
    """One table per metric group: a row per split, then mean +- std."""
    lines = [f'# {title}', '']
    for group, stats in summary.items():
        keys = list(stats)
        lines += [f'## {group}', '', '| split | ' + ' | '.join(keys) + ' |',
                  '|---' * (len(keys) + 1) + '|']
        for index, result in zip(splits, per_split):
            lines.append(f'| {index} | ' +
                         ' | '.join(f'{result[group][k]:.4f}' for k in keys) + ' |')
        lines.append('| mean ± std | ' + ' | '.join(
            f"{stats[k]['mean']:.4f} ± {stats[k]['std']:.4f}" for k in keys) + ' |')
        lines.append('')
    return '\n'.join(lines)


def train_splits(cfg: Config, work_dir: str, splits: list[int] | None = None) -> dict:
    """Run the chosen (default: all) splits and write splits.json / splits.md."""
    count = num_splits(cfg)
    splits = list(range(count)) if splits is None else splits
    bad = [s for s in splits if not 0 <= s < count]
    if bad:
        raise SystemExit(f'--splits {bad}: the setting has {count} split(s)')
    per_split = [run_split(with_split(cfg, s, osp.join(work_dir, f'split_{s}')))
                 for s in splits]
    summary = aggregate(per_split)
    report = dict(config=cfg.filename, splits=splits, per_split=per_split, summary=summary)
    write_json_atomic(Path(work_dir, 'splits.json'), report)
    markdown = to_markdown(osp.basename(cfg.filename or 'config'), splits, per_split, summary)
    write_text_atomic(Path(work_dir, 'splits.md'), markdown)
    return report | dict(markdown=markdown)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--work-dir', help='default work_dirs/<config name>')
    parser.add_argument('--splits', type=int, nargs='+', help='split indices (default all)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, as key=value pairs')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing splits.json / splits.md')
    return parser.parse_args()


def load(config: str, options: dict | None) -> Config:
    """The config with ``--cfg-options`` merged."""
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(options)
    return cfg


def main() -> None:
    args = parse_args()
    cfg = load(args.config, args.cfg_options)
    work_dir = args.work_dir or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    for name in ('splits.json', 'splits.md'):  # before any work
        refuse_existing(Path(work_dir, name), args.overwrite, '--work-dir')
    print(train_splits(cfg, work_dir, args.splits)['markdown'])


if __name__ == '__main__':
    sys.exit(exit_on_input_error(lambda _argv: main(), None, 'train_splits.py'))
