"""Checkpoints from every source load weights-only; resume never loses work; a
kill mid-save never leaves a partial file under the final name."""
import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

import mmcontrast  # noqa: F401
from mmcontrast.checkpoint import CheckpointError, find_latest_checkpoint

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
    """A process SIGKILLed while torch.save is writing: only the writer's own
    temporary remains, auto-resume takes the previous checkpoint, and the next save
    into the folder sweeps the dead writer's temporary."""
    from mmcontrast.fileio import is_own_temporary
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
    left = [name for name in os.listdir(tmp_path) if is_own_temporary(name)]
    assert len(left) == 1 and left[0].startswith('.iter_4')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2.pth')
    from mmengine.runner.checkpoint import save_checkpoint
    save_checkpoint({'meta': {'iter': 6}}, str(tmp_path / 'iter_6.pth'))
    assert not (tmp_path / left[0]).exists()


def test_save_checkpoint_writes_a_loadable_file(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    save_checkpoint({'meta': {'iter': 1}, 'state_dict': {'w': torch.zeros(2)}},
                    str(tmp_path / 'iter_1.pth'))
    assert sorted(os.listdir(tmp_path)) == ['iter_1.pth', 'iter_1.pth.sha256']
    assert _load_checkpoint(str(tmp_path / 'iter_1.pth'))['meta']['iter'] == 1


def test_a_partial_symlink_is_not_followed(tmp_path):
    """``NAME.partial`` (the old writer's temporary name) a symlink to a user file:
    saving NAME leaves the user file and the link as they were."""
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    victim = tmp_path / 'precious.txt'
    victim.write_text('user data')
    (tmp_path / 'iter_1.pth.partial').symlink_to(victim)
    save_checkpoint({'meta': {'iter': 1}}, str(tmp_path / 'iter_1.pth'))
    assert victim.read_text() == 'user data'
    assert (tmp_path / 'iter_1.pth.partial').is_symlink()
    assert _load_checkpoint(str(tmp_path / 'iter_1.pth'))['meta']['iter'] == 1


def _flip_a_tensor_byte(path: Path, tensor: torch.Tensor) -> None:
    """Flip one byte in the middle of ``tensor``'s stored data inside ``path``."""
    data = bytearray(path.read_bytes())
    start = data.find(tensor.numpy().tobytes())
    assert start > 0
    data[start + tensor.numel() * tensor.element_size() // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_bytes_inside_a_tensor_are_detected(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    weights = torch.arange(4096, dtype=torch.float32)
    path = tmp_path / 'iter_3.pth'
    save_checkpoint({'meta': {'iter': 3}, 'state_dict': {'w': weights}}, str(path))
    _flip_a_tensor_byte(path, weights)
    with pytest.raises(CheckpointError, match='digest') as caught:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(caught.value)


def test_resume_passes_over_a_checkpoint_failing_its_digest(tmp_path):
    from mmengine.runner.checkpoint import save_checkpoint
    weights = torch.arange(4096, dtype=torch.float32)
    for it in (2, 4):
        save_checkpoint({'meta': {'iter': it}, 'state_dict': {'w': weights}},
                        str(tmp_path / f'iter_{it}.pth'))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    _flip_a_tensor_byte(tmp_path / 'iter_4.pth', weights)
    with pytest.warns(UserWarning) as caught:
        assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2.pth')
    message = str(caught[-1].message)
    assert str(tmp_path / 'iter_2.pth') in message and str(tmp_path / 'iter_4.pth') in message
    assert 'digest' in message


def test_checkpoints_without_a_digest_still_load(tmp_path):
    """Older checkpoints, and other codebases' weights, have no sidecar digest."""
    from mmengine.runner.checkpoint import _load_checkpoint
    _save(tmp_path / 'iter_5.pth', 5)
    assert _load_checkpoint(str(tmp_path / 'iter_5.pth'))['meta']['iter'] == 5
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_5.pth')


_CONCURRENT_SAVER = '''
import sys, time, torch, mmcontrast
from mmengine.runner.checkpoint import save_checkpoint
target, value, start = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
for _ in range(10):
    save_checkpoint({'state_dict': {'w': torch.full((1 << 20,), value)}}, target)
'''


def test_two_processes_saving_one_checkpoint_leave_one_intact_version(tmp_path):
    """Each saver reports success only for a file that holds a complete version."""
    from mmengine.runner.checkpoint import _load_checkpoint
    target = tmp_path / 'iter_8.pth'
    start = time.time() + 4
    procs = [subprocess.Popen([sys.executable, '-c', _CONCURRENT_SAVER, str(target), str(v),
                               str(start)], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
             for v in (1.0, 2.0)]
    codes = [p.wait(timeout=180) for p in procs]
    assert codes == [0, 0], [p.stderr.read()[-2000:] for p in procs]
    weights = _load_checkpoint(str(target), map_location='cpu')['state_dict']['w']
    assert weights.numel() == 1 << 20 and len(weights.unique()) == 1
    assert sorted(os.listdir(tmp_path)) == ['iter_8.pth', 'iter_8.pth.sha256']


def test_file_size_limit_during_a_save_names_the_path_and_errno(tmp_path):
    target = tmp_path / 'iter_9.pth'
    script = (
        'import resource, torch, mmcontrast\n'
        'from mmengine.runner.checkpoint import save_checkpoint\n'
        'resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))\n'
        'try:\n'
        f'    save_checkpoint({{"state_dict": {{"w": torch.zeros(1 << 20)}}}}, {str(target)!r})\n'
        'except OSError as error:\n'
        '    print(type(error).__name__, error)\n')
    done = subprocess.run([sys.executable, '-c', script], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert str(target) in done.stdout and 'EFBIG' in done.stdout, done.stdout
    assert os.listdir(tmp_path) == []
