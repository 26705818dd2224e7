"""``mmvsumm extract`` on the offline real videos, resumed runs, then ``evaluate`` on the h5."""
import json

import av
import h5py
import numpy as np
import pytest
import torch

from mmvsumm import VSummInputError
from mmvsumm.cli import main
from mmvsumm.extract import extract_dataset
from mmvsumm.io.h5 import read_eccv16
from mmvsumm.models import build_backbone
from mmvsumm.splits import Split, write_dsnet_yml

SIZE = 112  # frames are resized to SIZE x SIZE; small keeps the test fast


@pytest.fixture(scope='module')
def video_dir(tmp_path_factory):
    """Two real offline videos (symlinked; different sizes and lengths)."""
    from mmcontrast.assets import video_paths
    folder = tmp_path_factory.mktemp('videos')
    for name in ('bikes', 'carphone'):
        (folder / f'{name}.mp4').symlink_to(video_paths()[name])
    (folder / 'notes.txt').write_text('not a video')
    return folder


def decoded(path):
    """Frame count and first frame (RGB, SIZE x SIZE) read with PyAV directly."""
    with av.open(str(path)) as container:
        frames = [f for f in container.decode(video=0)]
    return len(frames), frames[0].to_ndarray(width=SIZE, height=SIZE, format='rgb24')


def test_extract_writes_the_eccv16_layout_and_resumes(video_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / 'mine.h5'
    args = ['extract', str(video_dir), '--out', str(out), '--size', str(SIZE), '--no-progress']
    assert main(args) == 0
    assert '2 videos (2 extracted, 0 reused)' in capsys.readouterr().out
    encoder = build_backbone()
    with h5py.File(out, 'r') as handle:
        assert sorted(handle) == ['video_1', 'video_2']  # bikes, carphone (sorted names)
        for key, name in (('video_1', 'bikes'), ('video_2', 'carphone')):
            group = handle[key]
            n_frames, first = decoded(video_dir / f'{name}.mp4')
            assert group['video_name'][()].decode() == name
            assert int(group['n_frames'][()]) == n_frames
            picks = group['picks'][()]
            np.testing.assert_array_equal(picks, np.arange(0, n_frames, 15))
            feats = group['features'][()]
            assert feats.shape == (len(picks), 1280) and int(group['n_steps'][()]) == len(picks)
            rgb = torch.from_numpy(first).permute(2, 0, 1)[None].float() / 255
            np.testing.assert_allclose(feats[0], encoder(rgb)[0].numpy(), rtol=1e-4, atol=1e-4)
            cps = group['change_points'][()]  # KTS shots tile the video
            assert cps[0, 0] == 0 and cps[-1, 1] == n_frames - 1
            np.testing.assert_array_equal(cps[1:, 0], cps[:-1, 1] + 1)
            np.testing.assert_array_equal(group['n_frame_per_seg'][()], cps[:, 1] - cps[:, 0] + 1)
            assert set(cps[1:, 0]) <= set(picks)  # shots start at sampled frames
    assert not (tmp_path / 'mine.h5.parts').exists()
    assert [p.name for p in tmp_path.iterdir()] == ['mine.h5']  # no temporary file left

    def no_model(*_args, **_kwargs):
        raise AssertionError('a rerun must not encode again')
    monkeypatch.setattr('mmvsumm.models.features.build_backbone', no_model)
    again = extract_dataset(video_dir, out, size=SIZE, progress=False)
    assert again.reused == ['bikes.mp4', 'carphone.mp4'] and again.extracted == []


def test_an_interrupted_extraction_keeps_finished_videos(video_dir, tmp_path, monkeypatch):
    """With a torchvision backbone from a local weights file (random weights here)."""
    import torchvision
    from mmvsumm import extract as module
    weights = tmp_path.parent / f'{tmp_path.name}_resnet18.pth'
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    options = dict(backbone='resnet18', weights=weights, size=SIZE, progress=False)
    out = tmp_path / 'mine.h5'
    real = module.extract_features

    def crash_on_second(video, *args, **kwargs):
        if video.name == 'carphone.mp4':
            raise KeyboardInterrupt
        return real(video, *args, **kwargs)
    monkeypatch.setattr(module, 'extract_features', crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        extract_dataset(video_dir, out, **options)
    assert not out.exists() and len(list((tmp_path / 'mine.h5.parts').glob('*.npz'))) == 1
    assert [p.name for p in tmp_path.iterdir()] == ['mine.h5.parts']
    monkeypatch.setattr(module, 'extract_features', real)
    report = extract_dataset(video_dir, out, **options)
    assert report.reused == ['bikes.mp4'] and report.extracted == ['carphone.mp4']
    with h5py.File(out, 'r') as handle:
        assert handle['video_1/features'].shape[1] == 512  # resnet18's pooled features
        assert handle['video_2'].attrs['backbone'] == 'resnet18'
    with pytest.raises(VSummInputError, match=r'mine.h5: video_1/gtscore: missing'):
        read_eccv16(out)  # no annotations were given: evaluation cannot start


def test_out_must_be_ours_or_new(video_dir, tmp_path, capsys):
    foreign = tmp_path / 'foreign.h5'
    foreign.write_text('not h5')
    assert main(['extract', str(video_dir), '--out', str(foreign), '--no-progress']) == 2
    assert f'{foreign}: exists and is not an h5 file' in capsys.readouterr().err
    folder = tmp_path / 'a_folder.h5'
    folder.mkdir()
    assert main(['extract', str(video_dir), '--out', str(folder), '--no-progress']) == 2
    assert f'{folder}: is a folder' in capsys.readouterr().err
    assert main(['extract', str(tmp_path / 'none'), '--out', str(foreign)]) == 2
    assert 'none: no such folder of videos' in capsys.readouterr().err


def test_extracted_h5_with_annotations_runs_through_evaluate(video_dir, tmp_path):
    """Annotations copied from a reference h5 (matched by video_name), then the
    SumMe protocol on the real features; F1 checked against a direct computation."""
    from mmvsumm import f1_score, importance_scores, keyshot_summary
    rng = np.random.default_rng(0)
    reference = tmp_path / 'reference.h5'
    truth = {}
    with h5py.File(reference, 'w') as handle:  # annotated in the other order, at 3 fps steps
        for key, name in (('video_1', 'carphone'), ('video_2', 'bikes')):
            n_frames = decoded(video_dir / f'{name}.mp4')[0]
            users = (rng.random((4, n_frames)) < 0.2).astype(np.float32)
            picks = np.arange(0, n_frames, 10)
            group = handle.create_group(key)
            group.update(dict(user_summary=users, picks=picks, n_frames=n_frames,
                              gtscore=rng.random(len(picks)), video_name=name))
            truth[name] = (users, group['gtscore'][()], picks)
    out = tmp_path / 'mine.h5'
    assert main(['extract', str(video_dir), '--out', str(out), '--size', str(SIZE),
                 '--annotations', str(reference), '--no-progress']) == 0
    records = read_eccv16(out)
    bikes = records['video_1']
    users, gtscore, ref_picks = truth['bikes']
    np.testing.assert_array_equal(bikes.user_summary, users)
    held = gtscore[np.searchsorted(ref_picks, bikes.picks, side='right') - 1]
    np.testing.assert_allclose(bikes.gtscore, held)
    splits = tmp_path / 'mine.yml'
    write_dsnet_yml([Split((), ('mine/video_1', 'mine/video_2'))], splits)
    report_path = tmp_path / 'report.json'
    assert main(['evaluate', '--dataset', 'summe', '--h5', str(out), '--splits', str(splits),
                 '--json', str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert [v['name'] for v in report['videos']] == ['mine/video_1', 'mine/video_2']
    scores = importance_scores(bikes.features, 0.1, ('align', 'uniform'), 0.05, 1.0)
    summary, _ = keyshot_summary(scores, bikes.change_points, bikes.n_frames, bikes.picks)
    assert report['videos'][0]['f1'] == pytest.approx(100 * f1_score(summary, users, 'max'))
    assert np.isfinite([report['overall'][k] for k in ('f1', 'kendall', 'spearman')]).all()
