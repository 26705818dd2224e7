"""mmpixcon, reliability round 2 (issue 18): the converter never replaces its own input,
one atomic writer, signals reach the chain's training child, one error base with exit
code 2, finite float options."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mmcontrast.errors import InputError

from ..conftest import REPO_ROOT

CONVERTER = REPO_ROOT / 'tools/model_converters/pixcon2det.py'
CHAIN = REPO_ROOT / 'tools/pixcon/pretrain_and_transfer.py'
TINY = REPO_ROOT / 'configs/pixcon/pixcon_sr_r18_tiny_test.py'


def _run(*argv: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def training_checkpoint(tmp_path) -> Path:
    """A small checkpoint with an online ResNet stem (what the converter extracts)."""
    path = tmp_path / 'ckpts' / 'epoch_800.pth'
    path.parent.mkdir()
    torch.save(dict(meta=dict(epoch=800), state_dict={
        'backbone.conv1.weight': torch.randn(4, 3, 7, 7),
        'backbone.bn1.running_mean': torch.randn(4),
        'neck.fc.weight': torch.randn(2, 4)}), path)
    return path


@pytest.mark.parametrize('spelling', ['same path', 'other spelling', 'hard link', 'symlink'])
def test_converter_refuses_dst_that_is_src(training_checkpoint, spelling):
    src = training_checkpoint
    before = src.read_bytes()
    if spelling == 'same path':
        dst = str(src)
    elif spelling == 'other spelling':
        dst = f'{src.parent}/../{src.parent.name}/./{src.name}'
    else:
        dst = str(src.parent / 'alias.pth')
        (os.link if spelling == 'hard link' else os.symlink)(src, dst)
    proc = _run(str(CONVERTER), str(src), dst, '--overwrite')
    assert proc.returncode == 2, proc.stderr
    assert 'same file' in proc.stderr and str(src) in proc.stderr and dst in proc.stderr
    assert src.read_bytes() == before


def test_converter_refuses_existing_dst_unless_overwrite(training_checkpoint, tmp_path):
    dst = tmp_path / 'backbone.pth'
    dst.write_bytes(b'user data')
    proc = _run(str(CONVERTER), str(training_checkpoint), str(dst))
    assert proc.returncode == 2 and '--overwrite' in proc.stderr and str(dst) in proc.stderr
    assert dst.read_bytes() == b'user data'
    proc = _run(str(CONVERTER), str(training_checkpoint), str(dst), '--overwrite')
    assert proc.returncode == 0, proc.stderr
    saved = torch.load(dst, weights_only=True)
    assert sorted(saved['state_dict']) == ['bn1.running_mean', 'conv1.weight']
    assert sorted(p.name for p in tmp_path.iterdir()) == ['backbone.pth', 'ckpts']  # no temp


def test_converter_bad_input_exits_2_in_one_place(training_checkpoint, tmp_path):
    proc = _run(str(CONVERTER), str(training_checkpoint), str(tmp_path / 'd2.pth'),
                '--format', 'detectron2')
    assert proc.returncode == 2 and 'pixcon2det: error:' in proc.stderr
    assert 'Traceback' not in proc.stderr and '*.pkl' in proc.stderr
    proc = _run(str(CONVERTER), str(training_checkpoint), str(tmp_path / 'm.pth'),
                '--encoder', 'momentum')
    assert proc.returncode == 2 and 'no momentum encoder' in proc.stderr


def test_no_rename_helper_left_in_mmpixcon():
    hits = [f'{path}:{number}' for root in ('mmpixcon', 'tools/pixcon')
            for path in sorted((REPO_ROOT / root).rglob('*.py'))
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if re.search(r'os\.replace|\.partial', line)]
    assert hits == []


def test_every_bad_input_error_of_mmpixcon_is_one_class():
    from mmpixcon.errors import PixConInputError, PixConWarning
    from mmcontrast.errors import InputWarning
    assert issubclass(PixConInputError, InputError) and issubclass(PixConInputError, ValueError)
    assert issubclass(PixConWarning, InputWarning)
    bare = [f'{path}:{number}' for path in sorted((REPO_ROOT / 'mmpixcon').rglob('*.py'))
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if 'raise ValueError(' in line]
    assert bare == []
    from mmpixcon.datasets.transforms import OverlapTwoCrop
    with pytest.raises(PixConInputError, match='min_overlap'):
        OverlapTwoCrop(size=8, min_overlap=2.0)


def _tool(name: str):
    return _module(REPO_ROOT / 'tools/pixcon' / f'{name}.py').main


@pytest.mark.parametrize('tool,argv', [
    ('vis_sr_weights', ['--alpha', 'nan']),
    ('vis_sr_weights', ['--alpha', '-1']),
    ('vis_sr_weights', ['--scale', 'nan', '1']),
    ('vis_mismatch', ['--scale', '0.08', 'inf']),
    ('vis_mismatch', ['--scale', '0', '1'])])
def test_figure_float_options_refuse_nan_inf_and_out_of_range(tool, argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        _tool(tool)(['photo.jpg', '--model', 'a', str(TINY), 'none',
                     '--out', str(tmp_path / 'f.png'), *argv])
    assert stop.value.code == 2 and argv[0] in capsys.readouterr().err
    assert not (tmp_path / 'f.png').exists()


def test_similarity_query_point_refuses_nan(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        _tool('vis_similarity')(['--image', 'p.jpg', 'nan', '0.5', '--model', 'a', str(TINY),
                                 'none', '--out', str(tmp_path / 'f.png')])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and '--image X Y' in err and 'nan' in err


def test_figure_out_is_refused_before_any_work(tmp_path, capsys):
    from mmcontrast.errors import exit_on_input_error
    out = tmp_path / 'fig.png'
    out.write_bytes(b'mine')
    code = exit_on_input_error(_tool('vis_sr_weights'), ['absent.jpg', '--model', 'a',
                                                         str(TINY), 'absent.pth', '--out',
                                                         str(out)], 'vis_sr_weights')
    err = capsys.readouterr().err
    assert code == 2 and '--overwrite' in err and str(out) in err
    assert out.read_bytes() == b'mine'


def test_chain_outputs_are_atomic_and_never_follow_a_link(tmp_path):
    """metrics.json and results.* go through the one writer: a symlink of that name is
    replaced, its target (a user's file) is never written through."""
    chain = _module(CHAIN)
    victim = tmp_path / 'victim.txt'
    victim.write_text('keep me')
    test_dir = tmp_path / 'test'
    (test_dir / '20260101_000000').mkdir(parents=True)
    (test_dir / '20260101_000000' / '20260101_000000.json').write_text('{"mIoU": 71.5}\n')
    scores = tmp_path / 'metrics.json'
    scores.symlink_to(victim)
    chain.evaluate([sys.executable, '-c', 'pass'], str(test_dir), str(scores))()
    assert not scores.is_symlink() and json.loads(scores.read_text()) == {'mIoU': 71.5}
    for name in ('results.json', 'results.md'):
        (tmp_path / name).symlink_to(victim)
    chain.write_results(str(tmp_path), dict(row='r'), '| table |\n')
    assert victim.read_text() == 'keep me'
    assert json.loads((tmp_path / 'results.json').read_text()) == dict(row='r')
    assert (tmp_path / 'results.md').read_text() == '| table |\n'
    assert not any(chain_path.is_symlink() for chain_path in tmp_path.iterdir())


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f'/proc/{pid}/task').iterdir():
        text = (task / 'children').read_text().split()
        found += [int(p) for p in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != 'Z'


@pytest.mark.timeout(600)
def test_sigterm_stops_the_training_child_and_the_chain(tmp_path):
    from mmpixcon.testing.fixtures import make_fixture
    make_fixture('coco', tmp_path / 'data' / 'coco', num=4, size=96)
    work = tmp_path / 'chain'
    chain = subprocess.Popen(
        ['bash', str(REPO_ROOT / 'tools/pixcon/pretrain_and_transfer.sh'), str(TINY), '1',
         'voc_seg', '--work-dir', str(work), '--cfg-options', 'pretrain',
         'train_dataloader.dataset.data_root=data/coco/', 'train_dataloader.num_workers=0',
         'train_cfg.max_epochs=100000'],
        cwd=tmp_path, env=dict(os.environ, PYTHON=sys.executable),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 400
    logs: list[Path] = []
    while time.monotonic() < deadline and chain.poll() is None:
        logs = list((work / 'pretrain').glob('*/*.log'))
        if logs and 'Epoch(train)' in logs[0].read_text():  # the child is training
            break
        time.sleep(1)
    assert chain.poll() is None and logs, chain.communicate()[1][-3000:]
    children = _children(chain.pid)
    assert children, 'the chain runs no child'
    chain.send_signal(signal.SIGTERM)
    _, err = chain.communicate(timeout=120)
    assert chain.returncode == 128 + signal.SIGTERM, err[-3000:]
    assert 'SIGTERM' in err and 'rerun the chain to continue' in err
    time.sleep(1)
    assert not any(_alive(pid) for pid in children)
