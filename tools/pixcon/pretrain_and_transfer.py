#!/usr/bin/env python
"""PixCon from pre-training to the thesis's transfer table in one command.

    python tools/pixcon/pretrain_and_transfer.py CONFIG GPUS [BENCHMARK ...] \\
        [--checkpoint CKPT] [--encoder online|momentum] [--runs N] [--seg-model fcn|fpn] \\
        [--work-dir DIR] [--cfg-options STAGE KEY=VALUE ...]

Stages, each a fresh process of the stock tools: pre-train CONFIG (tools/train.py for
GPUS=1, else tools/dist_train.sh; skipped with --checkpoint), convert the chosen encoder
(tools/model_converters/pixcon2det.py's converter), then for every BENCHMARK and run:
fine-tune its config of configs/pixcon/benchmarks (seed = run index; --no-validate: the
thesis scores the final model, which the next stage does) and evaluate the last
checkpoint (tools/test.py / tools/dist_test.sh). Writes DIR/results.md and
DIR/results.json: every column of the thesis's transfer tables 2.1, 2.3, 2.4 and 2.7
(VOC det. AP/AP50/AP75, COCO APbb/APbb50/APbb75/APmk/APmk50/APmk75, Cityscapes mIoU,
VOC seg. mIoU, ADE20k mIoU), mean and standard deviation over the runs.

Batch: every benchmark trains at its protocol's total batch (16 images per step) on any
GPU count that divides it: the chain sets ``train_dataloader.batch_size`` to
16 / GPUS (a benchmark's own ``--cfg-options`` still override it).

Signals: SIGTERM / SIGINT are forwarded to the running stage's process group and the
chain waits for it to exit, then exits with 128 + the signal number; rerunning continues.

Resumable: DIR/stages.json records each finished stage with its command; rerunning
skips a finished stage whose command and outputs are unchanged, and an interrupted
training stage continues from its newest checkpoint (--resume). A stage started with a
different command is refused (delete its folder or use another --work-dir).

--cfg-options STAGE KEY=VALUE ... (repeatable) passes the pairs to the stage's
--cfg-options; STAGE is ``pretrain``, ``finetune`` (training and testing of every
benchmark) or a benchmark name (its training and testing).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import os.path as osp
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from glob import glob
from typing import Any, Callable, Optional, Sequence

from mmcontrast.argtypes import positive_int
from mmcontrast.errors import exit_on_input_error
from mmcontrast.fileio import write_json_atomic, write_text_atomic
from mmpixcon.errors import PixConInputError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools')
BENCHMARK_DIR = osp.join(REPO, 'configs', 'pixcon', 'benchmarks')
# The path every benchmark config loads its backbone from (_base_/pretrained_backbone.py).
PLACEHOLDER = 'work_dirs/pixcon_backbone.pth'


@dataclass(frozen=True)
class Column:
    """One column of the thesis's transfer tables: a metric key of the test log."""
    title: str
    metric: str
    scale: float  # mmdet reports AP in [0, 1], mmseg mIoU in percent


@dataclass(frozen=True)
class Benchmark:
    configs: dict[str, str]  # segmentation model ('fcn' / 'fpn') -> config; 'any' for det
    columns: tuple[Column, ...]
    # images per optimiser step of the protocol: Detectron2's VOC C4 24k and mmdet's COCO
    # 1x schedules at 16; the FCN-d6 / FPN / ADE20k recipes at 8 x 2 or 4 x 4 = 16
    total_batch: int = 16

    def config(self, seg_model: str) -> str:
        return osp.join(BENCHMARK_DIR, self.configs.get(seg_model, self.configs.get('any')))


def _seg(fcn: str, fpn: Optional[str], title: str) -> Benchmark:
    configs = dict(fcn=fcn, fpn=fpn) if fpn else dict(any=fcn)
    return Benchmark(configs, (Column(title, 'mIoU', 1.0),))


# In the thesis's column order (table 2.1, then table 2.7's ADE20k), titled as the zoo
# README's tables (configs/pixcon/README.md) so each of them fills from results.md.
BENCHMARKS: dict[str, Benchmark] = {
    'voc_det': Benchmark(dict(any='faster-rcnn_r50-syncbn-c4_24k_voc0712_pixcon.py'), (
        Column('VOC AP', 'pascal_voc/mAP', 100.0),
        Column('AP50', 'pascal_voc/AP50', 100.0),
        Column('AP75', 'pascal_voc/AP75', 100.0))),
    'coco': Benchmark(dict(any='mask-rcnn_r50-syncbn_fpn_1x_coco_pixcon.py'), (
        Column('COCO APbb', 'coco/bbox_mAP', 100.0),
        Column('APbb50', 'coco/bbox_mAP_50', 100.0),
        Column('APbb75', 'coco/bbox_mAP_75', 100.0),
        Column('APmk', 'coco/segm_mAP', 100.0),
        Column('APmk50', 'coco/segm_mAP_50', 100.0),
        Column('APmk75', 'coco/segm_mAP_75', 100.0))),
    'cityscapes': _seg('fcn-d6_r50-d16_8xb2-90k_cityscapes-769x769_pixcon.py',
                       'fpn_r50_8xb2-90k_cityscapes-769x769_pixcon.py', 'City. mIoU'),
    'voc_seg': _seg('fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py',
                    'fpn_r50_4xb4-30k_voc12aug-513x513_pixcon.py', 'VOC seg. mIoU'),
    'ade20k': _seg('fcn_r50-d8_4xb4-80k_ade20k-512x512_pixcon.py', None, 'ADE20k mIoU'),
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=f'benchmarks: {", ".join(BENCHMARKS)} (default: all)')
    parser.add_argument('config', help='pre-training config (also names the table row)')
    parser.add_argument('gpus', type=positive_int,
                        help='processes per stage (1: no launcher); must divide every '
                        "chosen benchmark's total batch (16)")
    parser.add_argument('benchmarks', nargs='*', metavar='BENCHMARK',
                        help='benchmarks to run (default: all); the table keeps the '
                        "thesis's column order")
    parser.add_argument('--checkpoint', help='pre-trained checkpoint: skip pre-training')
    parser.add_argument('--encoder', choices=('online', 'momentum'), default='online',
                        help='encoder to transfer (default online, as the PixCon release)')
    parser.add_argument('--runs', type=positive_int, default=1,
                        help='fine-tuning runs per benchmark, seeds 0..N-1 (thesis: 5 VOC '
                        'det., 3 COCO, 3 Cityscapes, 5 VOC seg., 3 ADE20k)')
    parser.add_argument('--seg-model', choices=('fcn', 'fpn'), default='fcn',
                        help='Cityscapes / VOC seg. model: fcn = FCN-d6 of the official '
                        'release (default), fpn = Semantic FPN as the thesis text says')
    parser.add_argument('--work-dir', help='default: work_dirs/pretrain_and_transfer/<config>')
    parser.add_argument('--cfg-options', nargs='+', action='append', default=[],
                        metavar=('STAGE', 'KEY=VALUE'),
                        help='options for one stage: pretrain, finetune or a benchmark name')
    args = parser.parse_intermixed_args(argv)
    unknown = sorted(set(args.benchmarks) - set(BENCHMARKS))
    if unknown:
        parser.error(f'unknown benchmarks {unknown}; choose from {", ".join(BENCHMARKS)}')
    stages = {'pretrain', 'finetune', *BENCHMARKS}
    for group in args.cfg_options:
        if group[0] not in stages or len(group) < 2:
            parser.error(f'--cfg-options {" ".join(group)}: expected a stage '
                         f'({", ".join(sorted(stages))}) followed by KEY=VALUE pairs')
        if not all('=' in pair for pair in group[1:]):
            parser.error(f'--cfg-options {" ".join(group)}: every pair must be KEY=VALUE')
    args.benchmarks = list(dict.fromkeys(args.benchmarks or BENCHMARKS))
    for name in args.benchmarks:
        total = BENCHMARKS[name].total_batch
        if total % args.gpus:
            parser.error(f'GPUS {args.gpus}: {name} trains at {total} images per step, '
                         f'which {args.gpus} processes cannot share evenly; use a GPU '
                         f'count that divides {total}')
    if args.checkpoint and not osp.isfile(args.checkpoint):
        parser.error(f'--checkpoint {args.checkpoint}: no such file')
    if not osp.isfile(args.config):
        parser.error(f'CONFIG {args.config}: no such file')
    return args


def batch_options(name: str, gpus: int) -> list[str]:
    """The ``--cfg-options`` pair that makes benchmark ``name`` train at its protocol's
    total batch on ``gpus`` processes (parse_args checked that ``gpus`` divides it)."""
    return [f'train_dataloader.batch_size={BENCHMARKS[name].total_batch // gpus}']


def stage_options(groups: list[list[str]], *stages: str) -> list[str]:
    """The KEY=VALUE pairs given for any of ``stages``, in command-line order."""
    return [pair for group in groups if group[0] in stages for pair in group[1:]]


def placeholder_keys(config: str) -> list[str]:
    """Dotted config keys of every ``Pretrained`` init that loads the converted backbone
    (the C4 detector has two: the backbone and the RoI head's res5)."""
    from mmengine.config import Config
    found = []

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if node.get('type') == 'Pretrained' and node.get('checkpoint') == PLACEHOLDER:
                found.append(f'{path}.checkpoint')
            for key, value in node.items():
                visit(value, f'{path}.{key}')

    visit(Config.fromfile(config).model.to_dict(), 'model')
    if not found:
        raise PixConInputError(f'{config} loads no backbone from {PLACEHOLDER}')
    return found


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint mmengine's CheckpointHook saved last in ``work_dir``."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(f'{work_dir} has no last_checkpoint: the training stage '
                                'saved no checkpoint')
    with open(pointer) as f:
        named = f.read().strip()
    return named if osp.isfile(named) else osp.join(work_dir, osp.basename(named))


def read_test_metrics(work_dir: str) -> dict[str, float]:
    """The metrics of the newest test run in ``work_dir`` (mmengine's LoggerHook writes
    them to ``<timestamp>/<timestamp>.json``)."""
    logs = sorted(glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise FileNotFoundError(f'no test log (<timestamp>/<timestamp>.json) in {work_dir}')
    with open(logs[-1]) as f:
        lines = [line for line in f if line.strip()]
    return json.loads(lines[-1])


def launch(script: str, gpus: int, args: list[str]) -> list[str]:
    """The command for tools/{train,test}.py on ``gpus`` processes."""
    if gpus == 1:
        return [sys.executable, osp.join(TOOLS, f'{script}.py'), *args]
    if script == 'train':
        return ['bash', osp.join(TOOLS, 'dist_train.sh'), args[0], str(gpus), *args[1:]]
    return ['bash', osp.join(TOOLS, 'dist_test.sh'), args[0], args[1], str(gpus), *args[2:]]


class Chain:
    """Runs the stages in order, recording finished ones in ``work_dir/stages.json``."""

    def __init__(self, work_dir: str, total: int) -> None:
        self.total, self.index = total, 0
        self.record_path = osp.join(work_dir, 'stages.json')
        self.record: dict[str, dict[str, Any]] = {}
        if osp.isfile(self.record_path):
            with open(self.record_path) as f:
                self.record = json.load(f)

    def _save(self) -> None:
        write_json_atomic(self.record_path, self.record, indent=1)

    def run(self, name: str, key: list[str], outputs: list[str],
            work: Callable[[], None], resumes: bool = False) -> None:
        """Do ``work()`` unless stage ``name`` already finished with the same ``key``
        (its command and inputs) and its ``outputs`` exist. A ``resumes`` stage (one
        that continues from what it left in its folder) started with another key is
        refused instead of being mixed with the old one's checkpoints."""
        self.index += 1
        head = f'[{self.index}/{self.total}] {name}'
        entry = self.record.get(name)
        if entry and entry['key'] == key and entry['done'] and all(map(osp.exists, outputs)):
            print(f'{head}: done before, skipped', flush=True)
            return
        if entry and entry['key'] != key and resumes:
            raise SystemExit(f'{head}: started before with other inputs:\n  '
                             f'{shlex.join(entry["key"])}\nnow:\n  {shlex.join(key)}\n'
                             f'delete its folder and {self.record_path}, or use another '
                             '--work-dir')
        print(f'{head}: {shlex.join(key)}', flush=True)
        self.record[name] = dict(key=key, done=False)
        self._save()
        start = time.monotonic()
        work()
        missing = [p for p in outputs if not osp.exists(p)]
        if missing:
            raise SystemExit(f'{head} finished but did not write {missing}')
        self.record[name]['done'] = True
        self._save()
        print(f'{head}: done in {time.monotonic() - start:.0f} s', flush=True)


def run_child(cmd: list[str]) -> int:
    """Run ``cmd`` in its own process group and return its exit code. SIGTERM and
    SIGINT sent to the chain go to the whole group (a launcher and its workers); the
    chain waits for the group's leader to exit, then exits with 128 + the signal."""
    child = subprocess.Popen(cmd, env=dict(os.environ, PYTHON=sys.executable),
                             start_new_session=True)
    received: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        received.append(signum)
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        print(f'{signal.Signals(received[0]).name}: stopped {shlex.join(cmd)} (exit code '
              f'{code}); rerun the chain to continue', file=sys.stderr, flush=True)
        raise SystemExit(128 + received[0])
    return code


def call(cmd: list[str]) -> Callable[[], None]:
    """Work that runs ``cmd`` (:func:`run_child`) and stops the chain when it fails."""

    def work() -> None:
        code = run_child(cmd)
        if code != 0:
            raise SystemExit(f'{shlex.join(cmd)}\nfailed (exit code {code}); rerun the '
                             'chain to continue from the last checkpoint')

    return work


def convert(checkpoint: str, backbone: str, encoder: str) -> Callable[[], None]:
    """Work that writes ``encoder``'s ResNet of ``checkpoint`` to ``backbone`` (mmcls)."""

    def work() -> None:
        from mmpixcon.transfer import convert_checkpoint
        # the chain's own output: replaced when its stage reruns (a new checkpoint)
        weights = convert_checkpoint(checkpoint, backbone, encoder,
                                     overwrite=True)['state_dict']
        print(f'wrote the {encoder} encoder ({len(weights)} tensors) to {backbone}')

    return work


def evaluate(cmd: list[str], test_dir: str, scores: str) -> Callable[[], None]:
    """Work that runs the test command and keeps its metrics in ``scores``."""

    def work() -> None:
        call(cmd)()
        write_json_atomic(scores, read_test_metrics(test_dir), indent=None)

    return work


def mtime(path: str) -> str:
    """``path`` with its modification time: a stage input that changes when rewritten."""
    return f'{path} @ {os.stat(path).st_mtime_ns}'


def summarize(values: list[float]) -> dict[str, Any]:
    """Mean and sample standard deviation (0 for one run) of one column."""
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.
    return dict(runs=values, mean=mean, std=math.sqrt(var))


def results_table(row: str, metrics: dict[str, list[dict[str, float]]]) -> tuple[dict, str]:
    """JSON summary and markdown table in the thesis column layout; '-' where a
    benchmark was not run. ``metrics``: benchmark -> one metrics dict per run."""
    columns = []
    for name, bench in BENCHMARKS.items():
        for col in bench.columns:
            runs = metrics.get(name)
            entry: dict[str, Any] = dict(column=col.title, benchmark=name, metric=col.metric)
            if runs:
                missing = [i for i, m in enumerate(runs) if col.metric not in m]
                if missing:
                    raise KeyError(f'{name}: runs {missing} logged no {col.metric!r} '
                                   f'(logged: {sorted(runs[missing[0]])})')
                entry.update(summarize([m[col.metric] * col.scale for m in runs]))
            columns.append(entry)
    cells = [f'{c["mean"]:.1f} ± {c["std"]:.1f}' if 'mean' in c else '-' for c in columns]
    counts = ', '.join(f'{name} {len(runs)}' for name, runs in metrics.items())
    lines = ['| pre-training | ' + ' | '.join(c['column'] for c in columns) + ' |',
             '|---' * (len(columns) + 1) + '|',
             f'| {row} | ' + ' | '.join(cells) + ' |', '',
             f'Mean ± sample standard deviation over the runs ({counts}).']
    return dict(row=row, columns=columns), '\n'.join(lines) + '\n'


def write_results(work_dir: str, summary: dict[str, Any], table: str) -> None:
    """``work_dir``/results.json and results.md, each through the atomic writer."""
    write_json_atomic(osp.join(work_dir, 'results.json'), summary, indent=1)
    write_text_atomic(osp.join(work_dir, 'results.md'), table)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    config_name = osp.splitext(osp.basename(args.config))[0]
    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', 'pretrain_and_transfer',
                                                     config_name))
    os.makedirs(work_dir, exist_ok=True)
    chain = Chain(work_dir, (0 if args.checkpoint else 1) + 1
                  + 2 * args.runs * len(args.benchmarks))
    opts = args.cfg_options

    if args.checkpoint:
        checkpoint = osp.abspath(args.checkpoint)
    else:
        pre_dir = osp.join(work_dir, 'pretrain')
        pre_opts = stage_options(opts, 'pretrain')
        cmd = launch('train', args.gpus, [osp.abspath(args.config), '--work-dir', pre_dir,
                                          '--resume', *(['--cfg-options', *pre_opts]
                                                        if pre_opts else [])])
        chain.run('pretrain', cmd, [osp.join(pre_dir, 'last_checkpoint')], call(cmd),
                  resumes=True)
        checkpoint = last_checkpoint(pre_dir)

    backbone = osp.join(work_dir, f'backbone_{args.encoder}.pth')
    chain.run('convert', [mtime(checkpoint), f'--encoder={args.encoder}'], [backbone],
              convert(checkpoint, backbone, args.encoder))

    metrics: dict[str, list[dict[str, float]]] = {}
    for name in args.benchmarks:
        config = BENCHMARKS[name].config(args.seg_model)
        user = stage_options(opts, 'finetune', name)
        init = [f'{key}={backbone}' for key in placeholder_keys(config)]
        for run in range(args.runs):
            run_dir = osp.join(work_dir, name, f'run{run}')
            train_dir, test_dir = osp.join(run_dir, 'train'), osp.join(run_dir, 'test')
            # --resume: continue an interrupted run (tools/train.py refuses a non-empty
            # work dir without it; on an empty one it starts afresh)
            cmd = launch('train', args.gpus, [config, '--work-dir', train_dir, '--resume',
                                              '--no-validate', '--cfg-options', *init,
                                              f'randomness.seed={run}',
                                              *batch_options(name, args.gpus), *user])
            chain.run(f'{name} run {run}: fine-tune', [*cmd, mtime(backbone)],
                      [osp.join(train_dir, 'last_checkpoint')], call(cmd), resumes=True)
            finetuned = last_checkpoint(train_dir)
            cmd = launch('test', args.gpus, [config, finetuned, '--work-dir', test_dir,
                                             *(['--cfg-options', *user] if user else [])])
            scores = osp.join(run_dir, 'metrics.json')
            chain.run(f'{name} run {run}: evaluate', [*cmd, mtime(finetuned)], [scores],
                      evaluate(cmd, test_dir, scores))
            with open(scores) as f:
                metrics.setdefault(name, []).append(json.load(f))

    source = f'{osp.basename(checkpoint)}, ' if args.checkpoint else ''
    summary, table = results_table(f'{config_name} ({source}{args.encoder})', metrics)
    summary.update(pretrain_config=osp.abspath(args.config), checkpoint=checkpoint,
                   backbone=backbone, encoder=args.encoder, seg_model=args.seg_model,
                   gpus=args.gpus, cfg_options=opts)
    write_results(work_dir, summary, table)
    print(table + f'\nwrote {work_dir}/results.md and results.json', flush=True)


if __name__ == '__main__':
    sys.exit(exit_on_input_error(main, prog='pretrain_and_transfer'))
