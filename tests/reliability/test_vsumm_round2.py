"""mmvsumm, reliability round 2 (issue 18): nothing a user owns is lost, one atomic
writer with a sweep of stale temporaries, every ``--out`` checked before work, finite
float options, frames' own timestamps for variable-frame-rate video, one error base."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import h5py
import numpy as np
import pytest

from mmcontrast.errors import InputError, InputWarning
from mmvsumm.cli import build_parser, main
from mmvsumm.errors import VSummInputError, VSummWarning

from ..conftest import REPO_ROOT

SIZE = ['--size', '32', '--every', '5', '--no-progress']


def write_clip(path: Path, pts_ms: list[int], colours: list[int] | None = None) -> Path:
    """A 48x32 MPEG-4 clip whose frame ``i`` has presentation time ``pts_ms[i]`` ms
    (uneven spacing = variable frame rate) and grey level ``colours[i]``."""
    colours = colours or [(i * 37) % 256 for i in range(len(pts_ms))]
    rng = np.random.default_rng(0)
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=30)
        stream.width, stream.height, stream.pix_fmt = 48, 32, 'yuv420p'
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.time_base = Fraction(1, 1000)
        for ms, grey in zip(pts_ms, colours):
            pixels = np.clip(grey + rng.integers(-8, 9, (32, 48, 3)), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format='rgb24')
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def decoded_times(path: Path) -> list[float]:
    """Each frame's own presentation time (pts x time_base), read with PyAV directly."""
    with av.open(str(path)) as container:
        return [float(f.pts * f.time_base) for f in container.decode(video=0)]


@pytest.fixture()
def video_dir(tmp_path):
    folder = tmp_path / 'videos'
    folder.mkdir()
    write_clip(folder / 'a.mp4', [40 * i for i in range(40)])
    return folder


# ------------------------------------------------------------------ data loss
def test_rebuilding_an_h5_keeps_what_the_user_added(video_dir, tmp_path):
    out = tmp_path / 'mine.h5'
    assert main(['extract', str(video_dir), '--out', str(out), *SIZE]) == 0
    with h5py.File(out, 'a') as handle:  # what docs/vsumm.md tells users to do
        n_frames = int(handle['video_1/n_frames'][()])
        steps = len(handle['video_1/picks'][()])
        user = np.random.default_rng(1).integers(0, 2, (3, n_frames)).astype(np.float32)
        handle['video_1/user_summary'] = user
        handle['video_1/gtscore'] = np.linspace(0, 1, steps, dtype=np.float32)
        handle['video_1'].attrs['annotator'] = 'me'
        handle.attrs['project'] = 'my study'
        handle.create_group('notes')['text'] = 'keep me'
    os.utime(video_dir / 'a.mp4', ns=(1, 10**18))  # the file changed: it is re-extracted
    assert main(['extract', str(video_dir), '--out', str(out), *SIZE]) == 0
    with h5py.File(out, 'r') as handle:
        np.testing.assert_array_equal(handle['video_1/user_summary'][()], user)
        assert len(handle['video_1/gtscore'][()]) == steps
        assert handle['video_1'].attrs['annotator'] == 'me'
        assert handle.attrs['project'] == 'my study'
        assert handle['notes/text'][()] == b'keep me'


def test_a_rebuild_that_would_drop_user_datasets_is_refused(video_dir, tmp_path, capsys):
    out = tmp_path / 'mine.h5'
    assert main(['extract', str(video_dir), '--out', str(out), *SIZE]) == 0
    with h5py.File(out, 'a') as handle:
        handle['video_1/gtscore'] = np.ones(len(handle['video_1/picks'][()]), np.float32)
    before = out.read_bytes()
    other = ['--size', '32', '--every', '4', '--no-progress']  # other picks: gtscore is stale
    assert main(['extract', str(video_dir), '--out', str(out), *other]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and 'video_1 (a.mp4)' in err and 'gtscore' in err
    (video_dir / 'a.mp4').rename(video_dir / 'b.mp4')  # its video is gone
    assert main(['extract', str(video_dir), '--out', str(out), *SIZE]) == 2
    err = capsys.readouterr().err
    assert 'gtscore' in err and 'no longer in the folder' in err
    assert out.read_bytes() == before


def test_a_parts_folder_the_tool_did_not_create_is_never_used_or_removed(video_dir, tmp_path,
                                                                        capsys):
    out = tmp_path / 'results'
    user = tmp_path / 'results.parts'
    user.mkdir()
    (user / 'thesis.tex').write_text('years of work')
    assert main(['extract', str(video_dir), '--out', str(out), *SIZE]) == 2
    err = capsys.readouterr().err
    assert f'{user}: exists and was not created by mmvsumm extract' in err
    assert (user / 'thesis.tex').read_text() == 'years of work' and not out.exists()
    out2 = tmp_path / 'other.h5'
    assert main(['extract', str(video_dir), '--out', str(out2), *SIZE]) == 0
    assert not (tmp_path / 'other.h5.parts').exists()  # its own folder is removed


def test_a_killed_extract_leaves_no_temporary_after_the_next_run(tmp_path):
    from mmcontrast.assets import video_paths
    folder = tmp_path / 'videos'
    folder.mkdir()
    (folder / 'bikes.mp4').symlink_to(video_paths()['bikes'])
    out = tmp_path / 'out' / 'mine.h5'
    cmd = [sys.executable, '-m', 'mmvsumm', 'extract', str(folder), '--out', str(out),
           '--size', '64', '--every', '1', '--no-progress']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    child = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    hidden = []
    deadline = time.monotonic() + 120
    while not hidden and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.2)
        hidden = [p for p in out.parent.glob('.*')] if out.parent.is_dir() else []
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert hidden, 'the extract did not start writing within 120 s'
    assert not out.exists() and [p for p in out.parent.glob('.*')]  # the kill left it
    assert main(['extract', str(folder), '--out', str(out), '--size', '32', '--every', '25',
                 '--no-progress']) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ['mine.h5']


def test_one_atomic_writer():
    import mmvsumm.io.outputs as outputs
    assert not hasattr(outputs, 'atomic_path')
    pattern = re.compile(r'os\.replace|\.partial|os\.rename')
    found = [f'{path}:{n}' for root in ('mmvsumm', 'tools/vsumm')
             for path in sorted((REPO_ROOT / root).rglob('*.py'))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if pattern.search(line) and 'self.partial' not in line
             and 'frames.partial' not in line and 'sampler.partial' not in line
             and "'partial'" not in line and 'partial=' not in line]
    assert found == []


# ------------------------------------------------------------------ --out before work
def _no_work(monkeypatch, target: str) -> None:
    def fail(*_args, **_kwargs):
        raise AssertionError('the work started although the output exists')
    monkeypatch.setattr(target, fail)


def test_existing_outputs_are_refused_before_any_work(video_dir, tmp_path, capsys, monkeypatch):
    video = video_dir / 'a.mp4'
    taken = tmp_path / 'summary.mkv'
    taken.write_text('mine')
    _no_work(monkeypatch, 'mmvsumm.pipeline.extract_features')
    assert main(['summarize', str(video), '--out', str(taken), '--no-progress']) == 2
    err = capsys.readouterr().err
    assert f'--out {taken}' in err and '--overwrite' in err and taken.read_text() == 'mine'
    folder = tmp_path / 'folder'
    folder.mkdir()
    (folder / 'a_keyshots.json').write_text('{}')
    assert main(['summarize', str(video), '--out', str(folder), '--no-progress']) == 2
    assert 'a_keyshots.json' in capsys.readouterr().err
    _no_work(monkeypatch, 'mmvsumm.evaluate.run_evaluation')
    report = tmp_path / 'report.json'
    report.write_text('{}')
    assert main(['evaluate', '--dataset', 'tvsum', '--h5', str(tmp_path / 'x.h5'),
                 '--json', str(report)]) == 2
    assert f'--json {report}' in capsys.readouterr().err
    splits = tmp_path / 'splits'
    splits.mkdir()
    (splits / 'summe_transfer.yml').write_text('mine')
    assert main(['splits', '--out', str(splits)]) == 2
    assert 'summe_transfer.yml' in capsys.readouterr().err
    assert sorted(p.name for p in splits.iterdir()) == ['summe_transfer.yml']


def test_tool_tables_are_refused_before_training(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'splits.json').write_text('mine')
    config = REPO_ROOT / 'configs/vsumm/ctvsumm_4l1h_tvsum_canonical.py'
    done = subprocess.run([sys.executable, 'tools/vsumm/train_splits.py', str(config),
                           '--work-dir', str(work)], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and 'splits.json' in done.stderr and '--overwrite' in done.stderr
    assert (work / 'splits.json').read_text() == 'mine'


# ------------------------------------------------------------------ float options
@pytest.mark.parametrize('argv,option', [
    (['summarize', 'v.mp4', '--fps', 'nan'], '--fps'),
    (['summarize', 'v.mp4', '--ratio', 'nan'], '--ratio'),
    (['summarize', 'v.mp4', '--ratio', '0'], '--ratio'),
    (['summarize', 'v.mp4', '--ratio', '1.5'], '--ratio'),
    (['summarize', 'v.mp4', '--neighbour-ratio', 'inf'], '--neighbour-ratio'),
    (['summarize', 'v.mp4', '--kts-vmax', '0'], '--kts-vmax'),
    (['summarize', 'v.mp4', '--max-shot-seconds', '-1'], '--max-shot-seconds'),
    (['extract', 'd', '--out', 'o.h5', '--fps', '-inf'], '--fps'),
    (['extract', 'd', '--out', 'o.h5', '--kts-vmax', 'nan'], '--kts-vmax'),
    (['evaluate', '--dataset', 'tvsum', '--h5', 'x.h5', '--knapsack-scale', 'nan'],
     '--knapsack-scale'),
    (['evaluate', '--dataset', 'tvsum', '--h5', 'x.h5', '--lambda1', '-1'], '--lambda1'),
    (['evaluate', '--dataset', 'tvsum', '--h5', 'x.h5', '--neighbour-ratio', 'nan'],
     '--neighbour-ratio'),
])
def test_float_options_refuse_nan_inf_and_out_of_range(argv, option, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2 and f'argument {option}' in capsys.readouterr().err


@pytest.mark.parametrize('tool,option', [('sweep.py', '--lambda1'), ('sweep.py', '--ratio')])
def test_tool_float_options_refuse_nan(tool, option):
    done = subprocess.run([sys.executable, f'tools/vsumm/{tool}', 'c.py', option, 'nan'],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f'argument {option}' in done.stderr


# ------------------------------------------------------------------ variable frame rate
VFR_PTS = [33 * i for i in range(30)] + [1000 + 200 * i for i in range(30)]  # 30 fps, then 5


def test_variable_frame_rate_times_are_the_frames_own(tmp_path):
    colours = [40] * 30 + [200] * 30  # a hard cut at frame 30 (t = 1.0 s)
    clip = write_clip(tmp_path / 'vfr.mp4', VFR_PTS, colours)
    truth = decoded_times(clip)
    assert len(truth) == 60 and truth[30] == pytest.approx(1.0)
    out = tmp_path / 'out'
    assert main(['summarize', str(clip), '--out', str(out), '--every', '3', '--ratio', '0.5',
                 '--cache-dir', str(tmp_path / 'c'), '--no-progress']) == 0
    import json
    data = json.loads((out / 'vfr_keyshots.json').read_text())
    starts = {s['frames'][0]: s['time'][0] for s in data['shots']}
    assert 30 in starts, data['shots']  # KTS finds the cut
    for shot in data['shots']:
        first, last = shot['frames']
        assert shot['time'][0] == pytest.approx(truth[first] - truth[0], abs=1e-6)
        if last + 1 < len(truth):
            assert shot['time'][1] == pytest.approx(truth[last + 1] - truth[0], abs=1e-6)
    with av.open(str(clip)) as container:  # the last frame lasts its own stored duration
        last = list(container.decode(video=0))[-1]
    assert data['duration'] == pytest.approx(truth[-1] - truth[0] +
                                             float(last.duration * last.time_base), abs=1e-6)
    np.testing.assert_allclose(data['sampled']['times'],
                               [truth[i] for i in data['sampled']['frames']], atol=1e-6)


def test_sampling_at_fps_uses_the_frames_timestamps(tmp_path):
    from mmvsumm.io.video import VideoSampler
    clip = write_clip(tmp_path / 'vfr.mp4', VFR_PTS)
    truth = decoded_times(clip)
    expected, next_time = [], truth[0]
    for index, t in enumerate(truth):  # one frame per 0.5 s of presentation time
        if t + 1e-9 >= next_time:
            expected.append(index)
            next_time += 0.5
    sampler = VideoSampler(clip, fps=2, size=16)
    assert [i for i, _ in sampler] == expected
    np.testing.assert_allclose(sampler.times[:-1], np.array(truth) - truth[0], atol=1e-9)


# ------------------------------------------------------------------ one error base
def test_one_error_base_mapped_to_exit_2_in_one_place(tmp_path, capsys, monkeypatch):
    from mmvsumm.io.example_proto import ProtoDecodeError, parse_sequence_example
    assert issubclass(VSummInputError, InputError) and issubclass(VSummWarning, InputWarning)
    assert issubclass(ProtoDecodeError, VSummInputError)
    with pytest.raises(VSummInputError):
        parse_sequence_example(b'\x00')

    def shared_error(_args):
        raise InputError('raised by a shared helper')
    monkeypatch.setattr('mmvsumm.cli._splits', shared_error)
    assert main(['splits', '--out', str(tmp_path / 's')]) == 2
    assert 'mmvsumm: error: raised by a shared helper' in capsys.readouterr().err
