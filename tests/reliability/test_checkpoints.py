"""Checkpoints from every source load weights-only; resume never loses work; a
kill mid-save never leaves a partial file under the final name."""
import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

import mmcontrast  # noqa: F401
from mmcontrast.compat import CheckpointError, find_latest_checkpoint

from ..conftest import REPO_ROOT


class _RunsCodeOnLoad:
    """Pickles as a call that creates ``marker``: proof that a pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (['touch', str(self.marker)],))


@pytest.fixture()
def served(tmp_path, monkeypatch):
    """A loopback HTTP server over tmp_path/www serving a malicious checkpoint."""
    www = tmp_path / 'www'
    www.mkdir()
    marker = tmp_path / 'executed'
    torch.save({'state_dict': {}, 'payload': _RunsCodeOnLoad(marker)}, www / 'evil.pth')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    yield f'http://127.0.0.1:{server.server_address[1]}/evil.pth', marker
    server.shutdown()


def _refused_not_run(load, source: str, marker: Path) -> None:
    with pytest.raises(CheckpointError, match='refusing to load'):
        load(source)
    assert not marker.exists(), 'the pickle ran'


def test_url_checkpoint_is_refused_not_executed(served):
    from mmengine.runner.checkpoint import _load_checkpoint
    url, marker = served
    _refused_not_run(lambda src: _load_checkpoint(src, map_location='cpu'), url, marker)


@pytest.mark.parametrize('scheme,table', [('torchvision://', 'get_torchvision_models'),
                                          ('modelzoo://', 'get_torchvision_models'),
                                          ('open-mmlab://', 'get_external_models'),
                                          ('mmcls://', 'get_mmcls_models')])
def test_hub_names_resolve_to_the_same_weights_only_load(served, monkeypatch, scheme, table):
    """Model-zoo names are URLs in mmengine's tables: point one at the server."""
    from mmengine.runner import checkpoint
    url, marker = served
    monkeypatch.setattr(checkpoint, table, lambda: {'evil': url})
    _refused_not_run(lambda src: checkpoint._load_checkpoint(src, map_location='cpu'),
                     scheme + 'evil', marker)


def test_object_storage_bytes_load_weights_only(tmp_path, monkeypatch):
    """s3:// / petrel:// read bytes through a file backend, then torch.load them."""
    import io

    from mmengine.runner import checkpoint
    marker = tmp_path / 'executed'
    buffer = io.BytesIO()
    torch.save({'payload': _RunsCodeOnLoad(marker)}, buffer)

    class Backend:
        def get(self, filepath):
            return buffer.getvalue()

    monkeypatch.setattr(checkpoint, 'get_file_backend', lambda *a, **k: Backend())
    _refused_not_run(lambda src: checkpoint._load_checkpoint(src, map_location='cpu'),
                     's3://bucket/evil.pth', marker)


def test_torch_load_is_restored_after_a_load(served):
    from mmengine.runner.checkpoint import _load_checkpoint
    before = torch.load
    with pytest.raises(CheckpointError):
        _load_checkpoint(served[0])
    assert torch.load is before


@pytest.mark.parametrize('tool', ['converter', 'train_resume'])
def test_tools_refuse_a_served_checkpoint(served, tmp_path, coco_mini, tool):
    """The user's paths, each in a fresh process: the converter given a URL, and
    tools/train.py --resume URL."""
    url, marker = served
    config = REPO_ROOT / 'configs/pixcon/pixcon_sr_r18_tiny_test.py'
    cmd = {'converter': ['tools/model_converters/pixcon2det.py', url, str(tmp_path / 'out.pth')],
           'train_resume': ['tools/train.py', str(config), '--resume', url,
                            '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                            f'train_dataloader.dataset.data_root={coco_mini}',
                            'train_dataloader.num_workers=0']}[tool]
    proc = subprocess.run([sys.executable, *cmd], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300,
                          env=dict(os.environ, TORCH_HOME=str(tmp_path / 'torch_home')))
    assert proc.returncode != 0
    assert 'refusing to load' in proc.stderr, proc.stderr[-3000:]
    assert not marker.exists()


def _save(path: Path, iteration: int) -> None:
    torch.save({'meta': {'iter': iteration}, 'state_dict': {'w': torch.ones(4)}}, path)


def test_resume_without_last_checkpoint_takes_the_newest(tmp_path):
    for it in (2, 10, 4):
        _save(tmp_path / f'iter_{it}.pth', it)
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')


def test_work_dir_without_checkpoints_resumes_nothing(tmp_path):
    """(Empty, truncated and all-broken work dirs are rows of test_bad_inputs.py.)"""
    assert find_latest_checkpoint(str(tmp_path / 'empty_dir_is_none')) is None


def test_runner_uses_the_fixed_lookup():
    from mmengine.runner import checkpoint, runner
    assert runner.find_latest_checkpoint is find_latest_checkpoint
    assert runner.save_checkpoint is checkpoint.save_checkpoint
    assert hasattr(runner.save_checkpoint, '__wrapped__')


def test_kill_mid_save_leaves_no_file_under_the_final_name(tmp_path):
    """A process SIGKILLed while torch.save is writing: only NAME.partial remains,
    and auto-resume takes the previous checkpoint."""
    _save(tmp_path / 'iter_2.pth', 2)
    script = (
        'import os, signal, torch, mmcontrast\n'
        'from mmengine.runner.checkpoint import save_checkpoint\n'
        'real_save = torch.save\n'
        'def dying_save(obj, f):\n'
        '    f.write(b"PK\\x03\\x04 half a checkpoint"); f.flush()\n'
        '    os.kill(os.getpid(), signal.SIGKILL)\n'
        'torch.save = dying_save\n'
        f'save_checkpoint({{"meta": {{"iter": 4}}}}, {str(tmp_path / "iter_4.pth")!r})\n')
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert not (tmp_path / 'iter_4.pth').exists()
    assert (tmp_path / 'iter_4.pth.partial').exists()
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2.pth')


def test_save_checkpoint_writes_a_loadable_file(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    save_checkpoint({'meta': {'iter': 1}, 'state_dict': {'w': torch.zeros(2)}},
                    str(tmp_path / 'iter_1.pth'))
    assert sorted(os.listdir(tmp_path)) == ['iter_1.pth']
    assert _load_checkpoint(str(tmp_path / 'iter_1.pth'))['meta']['iter'] == 1
