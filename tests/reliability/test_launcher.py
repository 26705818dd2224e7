"""Killing ``tools/dist_train.sh`` stops its workers, whatever the signal."""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from mmcontrast import assets

from ..conftest import free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/pixcon/pixcon_sr_r18_tiny_test.py'


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (the torchrun agent's workers)."""
    out = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _ppid(pid: int) -> int:
    return int(Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != 'Z'


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


@pytest.mark.skipif(not shutil.which('pgrep') or not Path('/proc').is_dir(),
                    reason='needs Linux /proc and pgrep')
@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_launcher_stops_both_workers(tmp_path, sig):
    data_root = assets.coco_image_folder(tmp_path / 'coco', num=16)
    cmd = ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path / 'work'),
           '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
           'train_cfg.max_epochs=1000']
    launcher = subprocess.Popen(cmd, cwd=REPO, env=dict(os.environ, PORT=str(free_port())),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    workers: list[int] = []
    try:
        # dist_train.sh execs torchrun, so the launcher's pid is the agent's.
        assert _wait(lambda: len(_children(launcher.pid)) == 2, 120), 'workers never started'
        workers = _children(launcher.pid)
        # the workers' parent, whose death the kernel reports to them, is the torchrun agent
        agent = Path(f'/proc/{launcher.pid}/cmdline').read_bytes().split(b'\0')
        assert b'torch.distributed.run' in agent, agent
        for worker in workers:
            assert _ppid(worker) == launcher.pid
        # let them get past start-up (config, model, process group) into training
        assert _wait(lambda: any((tmp_path / 'work').glob('*/vis_data/scalars.json')), 180)
        os.kill(launcher.pid, sig)
        launcher.wait(timeout=60)
        assert _wait(lambda: not any(_alive(w) for w in workers), 60), \
            f'workers {[w for w in workers if _alive(w)]} outlived the launcher'
    finally:
        for pid in [launcher.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.skipif(not Path('/proc').is_dir(), reason='needs Linux /proc')
def test_a_process_that_asked_dies_with_its_sigkilled_parent(tmp_path):
    """parent -> child(exit_with_launcher, sleeps); SIGKILL parent -> child gone."""
    pid_file = tmp_path / 'child.pid'
    child = ('import os, sys, time; from mmcontrast.launcher import exit_with_launcher; '
             f'assert exit_with_launcher(); open({str(pid_file)!r}, "w").write(str(os.getpid())); '
             'time.sleep(120)')
    parent = ('import subprocess, sys, time; '
              f'subprocess.Popen([sys.executable, "-c", {child!r}]); time.sleep(120)')
    proc = subprocess.Popen([str(REPO / '.venv/bin/python'), '-c', parent], cwd=REPO)
    try:
        assert _wait(lambda: pid_file.exists() and pid_file.read_text(), 60)
        child_pid = int(pid_file.read_text())
        assert _alive(child_pid)
        proc.kill()
        proc.wait()
        assert _wait(lambda: not _alive(child_pid), 10)
    finally:
        proc.kill()


@pytest.mark.skipif(not Path('/proc').is_dir(), reason='needs Linux /proc')
@pytest.mark.parametrize('launcher_pid,alive', [('parent', True), ('1', False)])
def test_a_worker_whose_launcher_already_died_stops(launcher_pid, alive):
    """A worker re-parented before it asked (its launcher, named by tools/torchrun.sh,
    is not its parent) stops at once; one whose parent is the launcher carries on."""
    code = ('import os, time; from mmcontrast.launcher import exit_with_launcher; '
            'exit_with_launcher(); print("running", flush=True); time.sleep(1)')
    env = dict(os.environ, MMCONTRAST_LAUNCHER_PID=str(os.getpid()) if launcher_pid == 'parent'
               else launcher_pid)
    proc = subprocess.run([str(REPO / '.venv/bin/python'), '-c', code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    if alive:
        assert proc.returncode == 0 and 'running' in proc.stdout, proc.stderr
    else:
        assert proc.returncode == -signal.SIGTERM and 'running' not in proc.stdout
