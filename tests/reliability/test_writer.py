"""The one atomic writer (``mmcontrast.fileio``) and the shared JSON reader: a symlink is
never followed, a failed write leaves nothing behind, only dead writers' temporaries
are swept, concurrent writers leave one complete version, a full disk names the
path and errno, and unreadable JSON is an ``InputError`` naming the file."""
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from mmcontrast import fileio
from mmcontrast.errors import InputError

from ..conftest import REPO_ROOT


def _files(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_symlink_at_the_temporary_name_is_never_followed(tmp_path, monkeypatch):
    """The first temporary name the writer draws is already a symlink to a victim
    file: the writer draws another name and the victim keeps its bytes."""
    victim = tmp_path / 'victim.txt'
    victim.write_text('keep me')
    first, second = uuid.UUID('1' * 32), uuid.UUID('2' * 32)
    names = iter([first, second])
    monkeypatch.setattr(fileio.uuid, 'uuid4', lambda: next(names))
    target = tmp_path / 'out.json'
    trap = tmp_path / f'.out{fileio.TEMP_MARKER}{os.getpid()}-{first.hex[:12]}.tmp.json'
    trap.symlink_to(victim)
    fileio.write_json_atomic(target, {'a': 1})
    assert victim.read_text() == 'keep me'
    assert json.loads(target.read_text()) == {'a': 1}
    assert trap.is_symlink()


def test_a_failed_write_leaves_the_target_and_no_temporary(tmp_path):
    target = tmp_path / 'out.bin'
    target.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='boom'):
        with fileio.atomic_path(target) as tmp:
            tmp.write_bytes(b'half of the new')
            raise RuntimeError('boom')
    assert target.read_bytes() == b'old'
    assert _files(tmp_path) == ['out.bin']


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_sweep_removes_only_temporaries_of_dead_writers(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    stale = tmp_path / f'.ckpt{fileio.TEMP_MARKER}{dead}-0123456789ab.tmp.pth'
    live = tmp_path / f'.ckpt{fileio.TEMP_MARKER}{alive}-0123456789ab.tmp.pth'
    own = tmp_path / f'.ckpt{fileio.TEMP_MARKER}{os.getpid()}-0123456789ab.tmp.pth'
    others = [tmp_path / 'iter_4.pth.partial', tmp_path / 'notes.tmp',
              tmp_path / f'.ckpt{fileio.TEMP_MARKER}{dead}-not-hex.tmp.pth',
              tmp_path / f'ckpt{fileio.TEMP_MARKER}{dead}-0123456789ab.tmp.pth']
    for path in [stale, live, own, *others]:
        path.write_bytes(b'x')
    link = tmp_path / f'.link{fileio.TEMP_MARKER}{dead}-0123456789ab.tmp'
    link.symlink_to(tmp_path / 'notes.tmp')
    folder = tmp_path / f'.dir{fileio.TEMP_MARKER}{dead}-0123456789ab.tmp'
    folder.mkdir()
    assert fileio.sweep_stale_temporaries(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in [live, own, *others, link, folder])


_CONCURRENT_WRITER = textwrap.dedent('''
    import sys, time
    from mmcontrast.fileio import write_bytes_atomic
    target, byte, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)
    for _ in range(20):
        write_bytes_atomic(target, bytes([byte]) * (4 << 20))
''')


def test_two_writers_of_one_target_leave_one_complete_version(tmp_path):
    target = tmp_path / 'shared.bin'
    start = time.time() + 3
    procs = [subprocess.Popen([sys.executable, '-c', _CONCURRENT_WRITER, str(target), str(b),
                               str(start)], cwd=REPO_ROOT) for b in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    data = target.read_bytes()
    assert len(data) == 4 << 20 and len(set(data)) == 1
    assert _files(tmp_path) == ['shared.bin']


def _under_file_size_limit(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    """Run ``body`` in a process whose files may not grow past 1 MiB."""
    script = ('import resource\n'
              'resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))\n' + body)
    return subprocess.run([sys.executable, '-c', script], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)


def test_file_size_limit_names_the_path_and_errno(tmp_path):
    target = tmp_path / 'big.bin'
    target.write_bytes(b'old')
    done = _under_file_size_limit(tmp_path, textwrap.dedent(f'''
        from mmcontrast.fileio import write_bytes_atomic
        try:
            write_bytes_atomic({str(target)!r}, bytes(4 << 20))
        except OSError as error:
            print(error)
    '''))
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout and 'EFBIG' in done.stdout
    assert target.read_bytes() == b'old'
    assert _files(tmp_path) == ['big.bin']


@pytest.mark.parametrize('content,says', [
    (b'[' * 200_000 + b']' * 200_000, 'nested too deeply'),
    ('{"title": "caf\u00e9"}'.encode('latin-1'), 'not UTF-8'),
    (b'{"a": 1,}', 'not valid JSON'),
])
def test_read_json_names_the_file(tmp_path, content, says):
    path = tmp_path / 'annotations.json'
    path.write_bytes(content)
    with pytest.raises(InputError, match=says) as caught:
        fileio.read_json(path, what='ETBench annotations')
    assert str(path) in str(caught.value) and 'ETBench annotations' in str(caught.value)


def test_read_json_reads_valid_json_and_names_a_missing_file(tmp_path):
    path = tmp_path / 'a.json'
    path.write_text('{"x": [1, 2]}')
    assert fileio.read_json(path) == {'x': [1, 2]}
    with pytest.raises(InputError, match='does not exist') as caught:
        fileio.read_json(tmp_path / 'missing.json', what='predictions')
    assert str(tmp_path / 'missing.json') in str(caught.value)


def test_no_other_rename_into_place_in_the_shared_code():
    """mmcontrast and the stock tools replace files only through fileio.atomic_path."""
    import re
    hits = [f'{path.relative_to(REPO_ROOT)}:{number}'
            for path in sorted([*(REPO_ROOT / 'mmcontrast').glob('*.py'),
                                *(REPO_ROOT / 'tools').glob('*.py')])
            if path.name != 'fileio.py'
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if re.search(r'os\.(replace|rename)\(|\.partial\b', line)]
    assert hits == []
