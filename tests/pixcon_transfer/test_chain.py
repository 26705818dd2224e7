"""tools/pixcon/pretrain_and_transfer.sh end to end on the fixture datasets: a tiny
PixCon-SR ResNet-50 pre-training (one iteration), conversion of the momentum encoder,
VOC segmentation (FCN-d6) fine-tuning and evaluation, the results table; then a rerun
that skips every finished stage. The ``slow`` variant adds VOC detection (C4) and two
runs per benchmark. The table's arithmetic is checked against an independent
computation."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

import pytest

from .conftest import REPO, TINY_CONFIG
from .shrink import SHRINK

VOC_DET = 'faster-rcnn_r50-syncbn-c4_24k_voc0712_pixcon.py'
VOC_SEG = 'fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py'
# the tiny test config with the ResNet-50 the benchmark configs expect, one iteration
PRETRAIN = ['model.backbone.depth=50', 'model.neck.in_channels=2048',
            'train_dataloader.dataset.data_root=data/coco/', 'train_dataloader.num_workers=0',
            'train_cfg.max_epochs=1']
# table 2.1's columns, then table 2.7's ADE20k, titled as in configs/pixcon/README.md
COLUMNS = ['VOC AP', 'AP50', 'AP75', 'COCO APbb', 'APbb50', 'APbb75', 'APmk', 'APmk50',
           'APmk75', 'City. mIoU', 'VOC seg. mIoU', 'ADE20k mIoU']
# column -> (benchmark, metric key, scale to percent)
READ = {'VOC AP': ('voc_det', 'pascal_voc/mAP', 100),
        'AP75': ('voc_det', 'pascal_voc/AP75', 100),
        'VOC seg. mIoU': ('voc_seg', 'mIoU', 1)}


def _chain(work_dir, cwd, benchmarks, runs) -> subprocess.CompletedProcess:
    cmd = ['bash', str(REPO / 'tools/pixcon/pretrain_and_transfer.sh'), str(TINY_CONFIG), '1',
           *benchmarks, '--work-dir', str(work_dir), '--runs', str(runs),
           '--encoder', 'momentum', '--cfg-options', 'pretrain', *PRETRAIN,
           '--cfg-options', 'voc_det', *SHRINK[VOC_DET],
           '--cfg-options', 'voc_seg', *SHRINK[VOC_SEG]]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, PYTHON=sys.executable))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


@pytest.mark.parametrize('benchmarks,runs', [
    (['voc_seg'], 1),
    pytest.param(['voc_seg', 'voc_det'], 2, marks=pytest.mark.slow)])
@pytest.mark.timeout(1800)
def test_pretrain_convert_finetune_evaluate_table(benchmarks, runs, transfer_data, tmp_path):
    work = tmp_path / 'chain'
    first = _chain(work, transfer_data, benchmarks, runs)
    stages = 1 + 1 + 2 * runs * len(benchmarks)
    assert f'[{stages}/{stages}] {benchmarks[-1]} run {runs - 1}: evaluate' in first.stdout

    summary = json.loads((work / 'results.json').read_text())
    assert summary['encoder'] == 'momentum'
    assert [c['column'] for c in summary['columns']] == COLUMNS
    columns = {c['column']: c for c in summary['columns']}
    for title, (bench, metric, scale) in READ.items():
        if bench not in benchmarks:
            assert 'mean' not in columns[title]
            continue
        values = [json.loads((work / bench / f'run{i}' / 'metrics.json').read_text())[metric]
                  * scale for i in range(runs)]
        assert columns[title]['runs'] == pytest.approx(values)
        assert columns[title]['mean'] == pytest.approx(statistics.mean(values))
        spread = statistics.stdev(values) if runs > 1 else 0
        assert columns[title]['std'] == pytest.approx(spread)
    table = (work / 'results.md').read_text().splitlines()
    assert table[0] == '| pre-training | ' + ' | '.join(COLUMNS) + ' |'
    cells = [c.strip() for c in table[2].split('|')[1:-1]]
    assert cells[0] == 'pixcon_sr_r18_tiny_test (momentum)'
    assert cells[4:11] == ['-'] * 7 and cells[12] == '-'  # COCO, Cityscapes, ADE20k
    voc_seg = columns['VOC seg. mIoU']
    assert cells[11] == f'{voc_seg["mean"]:.1f} ± {voc_seg["std"]:.1f}'

    # each run fine-tuned with its own seed
    for i in range(runs):
        logs = list((work / 'voc_seg' / f'run{i}' / 'train').glob('*/*.log'))
        assert logs and f'seed: {i}' in logs[0].read_text().lower()

    again = _chain(work, transfer_data, benchmarks, runs)
    assert again.stdout.count('done before, skipped') == stages
    assert (work / 'results.md').read_text().splitlines() == table


def test_results_table_spread(chain_tool):
    rest = {'coco/bbox_mAP_50': 0.6, 'coco/bbox_mAP_75': 0.44, 'coco/segm_mAP_50': 0.57,
            'coco/segm_mAP_75': 0.39}
    metrics = {'coco': [{'coco/bbox_mAP': 0.401, 'coco/segm_mAP': 0.362, **rest},
                        {'coco/bbox_mAP': 0.409, 'coco/segm_mAP': 0.368, **rest},
                        {'coco/bbox_mAP': 0.405, 'coco/segm_mAP': 0.371, **rest}]}
    summary, table = chain_tool.results_table('row', metrics)
    bbox = next(c for c in summary['columns'] if c['column'] == 'COCO APbb')
    assert bbox['runs'] == pytest.approx([40.1, 40.9, 40.5])
    assert bbox['mean'] == pytest.approx(40.5)
    assert bbox['std'] == pytest.approx(statistics.stdev([40.1, 40.9, 40.5]))
    assert ('| row | - | - | - | 40.5 ± 0.4 | 60.0 ± 0.0 | 44.0 ± 0.0 | 36.7 ± 0.5 | '
            '57.0 ± 0.0 | 39.0 ± 0.0 | - | - | - |') in table
    with pytest.raises(KeyError, match="coco: runs \\[1\\] logged no 'coco/segm_mAP'"):
        chain_tool.results_table('row', {'coco': [metrics['coco'][0],
                                                  dict(rest, **{'coco/bbox_mAP': 0.4})]})


def test_bad_arguments_are_named(chain_tool, capsys):
    for argv, message in (
            (['cfg.py', '1', 'voc'], "unknown benchmarks ['voc']"),
            (['cfg.py', '1', '--cfg-options', 'fine', 'a=1'], '--cfg-options fine a=1: '
             'expected a stage'),
            (['cfg.py', '1', '--cfg-options', 'coco', 'a'], 'every pair must be KEY=VALUE'),
            (['cfg.py', '1', '--checkpoint', 'absent.pth'], '--checkpoint absent.pth: no such'),
            (['cfg.py', '1', '--runs', '0'], 'argument --runs: 0 must be at least 1'),
            (['cfg.py', '3', 'coco'], 'GPUS 3: coco trains at 16 images per step'),
            (['cfg.py', '1', 'coco'], 'CONFIG cfg.py: no such file')):
        with pytest.raises(SystemExit):
            chain_tool.parse_args(argv)
        assert message in capsys.readouterr().err


def test_c4_config_takes_the_checkpoint_once(chain_tool):
    keys = chain_tool.placeholder_keys(str(REPO / 'configs/pixcon/benchmarks' / VOC_DET))
    assert keys == ['model.backbone.init_cfg.checkpoint',
                    'model.roi_head.shared_head.init_cfg.checkpoint']


def test_stages_skip_rerun_or_refuse(chain_tool, tmp_path, capsys):
    out = tmp_path / 'out.txt'
    calls = []

    def work():
        calls.append(1)
        out.write_text('x')

    def stage(key, resumes=True):
        chain_tool.Chain(str(tmp_path), 1).run('train', key, [str(out)], work, resumes)

    stage(['a'])
    stage(['a'])  # finished with the same inputs: skipped, also by a new Chain
    assert len(calls) == 1 and 'done before, skipped' in capsys.readouterr().out
    out.unlink()
    stage(['a'])  # its output is gone: redone
    assert len(calls) == 2
    with pytest.raises(SystemExit, match='started before with other inputs'):
        stage(['b'])  # would resume from checkpoints written under other settings
    stage(['b'], resumes=False)  # a stage that starts afresh just reruns
    assert len(calls) == 3
    with pytest.raises(SystemExit, match='did not write'):
        chain_tool.Chain(str(tmp_path), 1).run('other', ['c'], [str(tmp_path / 'no')],
                                              lambda: None)
