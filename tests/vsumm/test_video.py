"""Real offline video: hard cuts by KTS, ``mmvsumm summarize`` outputs, bad files."""
import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from mmcontrast.fileio import TEMP_MARKER

from mmvsumm import VSummInputError, kts
from mmvsumm.cli import main
from mmvsumm.io.video import VideoSampler, iter_frames
from mmvsumm.models import build_backbone, extract_features
from mmvsumm.pipeline import summarize_video

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'tools' / 'vsumm'))
from kts_cuts import found_cuts, hard_cuts  # noqa: E402  the cut detector of the docs table


@pytest.fixture(scope='module')
def bikes():
    from mmcontrast.assets import video_paths
    return video_paths()['bikes']


@pytest.mark.parametrize('name,count', [('bikes', 4), ('megamind', 3)])
def test_kts_finds_the_hard_cuts_of_real_videos(name, count, tmp_path):
    from mmcontrast.assets import video_paths
    videos = video_paths()
    if name not in videos:
        pytest.skip(f'{name} needs the opencv-doc examples (tools/setup_env.sh)')
    every = 2
    cuts = hard_cuts(videos[name], min_shot=2 * every)
    assert len(cuts) >= count  # stack.md: bikes has 4 hard cuts, Megamind is multi-shot
    feats = extract_features(videos[name], every=every, size=112, cache_dir=tmp_path,
                             progress=False)
    found = feats.picks[kts(feats.features)]
    for cut in cuts:
        assert np.abs(found - cut).min() <= every, (cut, found)


def test_summarize_writes_keyshots_video_and_plot(bikes, tmp_path, monkeypatch, capsys):
    out, cache = tmp_path / 'out', tmp_path / 'cache'
    args = ['summarize', str(bikes), '--out', str(out), '--cache-dir', str(cache),
            '--no-progress']
    assert main(args) == 0
    data = json.loads((out / 'bikes_keyshots.json').read_text())
    assert data['n_frames'] == 250 and data['keyshots']
    budget = int(0.15 * data['n_frames'])
    assert 0 < data['summary_frames'] <= budget
    covered = sorted(f for s in data['shots'] for f in range(s['frames'][0], s['frames'][1] + 1))
    assert covered == list(range(250))  # shots tile the video
    check_plays_at_source_rate(out / 'bikes_summary.mp4', bikes, data['summary_frames'])
    png = (out / 'bikes_scores.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 5000

    def no_model(*_args, **_kwargs):
        raise AssertionError('the second run must use the feature cache')
    monkeypatch.setattr('mmvsumm.models.features.build_backbone', no_model)
    assert main(args) == 2  # existing outputs are refused before any work
    assert f'--out {out / "bikes_keyshots.json"}' in capsys.readouterr().err
    again = summarize_video(bikes, out, cache_dir=cache, progress=False, overwrite=True)
    assert again.chosen.tolist() == [s['index'] for s in data['keyshots']]


def check_plays_at_source_rate(summary, source, count):
    """The summary has ``count`` frames at the source's rate, one every 1/rate s."""
    with av.open(str(source)) as src:
        rate = src.streams.video[0].average_rate
    with av.open(str(summary)) as video:
        stream = video.streams.video[0]
        times = [frame.time for frame in video.decode(stream)]
        duration = video.duration / av.time_base
        assert stream.average_rate == pytest.approx(rate, rel=1e-3)
    assert len(times) == count
    np.testing.assert_allclose(times, np.arange(count) / float(rate), atol=1e-3)
    assert duration == pytest.approx(count / float(rate), abs=1.01 / float(rate))
    assert not list(summary.parent.glob(f'*{TEMP_MARKER}*'))  # no temporary file left


def reencode(source, dst, codec, pix_fmt, frames=None, rate=None, **options):
    """The first ``frames`` frames of ``source`` re-encoded with PyAV; returns their count."""
    with av.open(str(source)) as src, av.open(str(dst), 'w', options=options) as out:
        stream_in = src.streams.video[0]
        rate = Fraction(rate or stream_in.average_rate)
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height = stream_in.width, stream_in.height
        stream.pix_fmt = pix_fmt
        count = 0
        for frame in src.decode(stream_in):
            if count == frames:
                break
            image = frame.reformat(format=pix_fmt)
            image.pts, image.time_base = count, 1 / rate
            out.mux(stream.encode(image))
            count += 1
        out.mux(stream.encode())
    return count


@pytest.mark.parametrize('suffix,codec,pix_fmt,rate', [
    ('mkv', 'mpeg4', 'yuv420p', None), ('gif', 'gif', 'rgb8', 10)])
def test_mkv_and_gif_inputs_give_a_playable_summary(bikes, tmp_path, suffix, codec, pix_fmt,
                                                    rate):
    clip = tmp_path / f'clip.{suffix}'
    count = reencode(bikes, clip, codec, pix_fmt, frames=60, rate=rate)
    out = summarize_video(clip, tmp_path / 'out', cache_dir=tmp_path / 'c', progress=False)
    assert count == 60 and out.summary_video.is_file()
    check_plays_at_source_rate(out.summary_video, clip, out.summary_frames)


@pytest.mark.parametrize('suffix,format_name', [
    ('mp4', 'mp4'), ('mkv', 'matroska'), ('webm', 'webm'), ('gif', 'gif'), ('mov', 'mov'),
    ('avi', 'avi')])
def test_summary_container_follows_the_out_suffix(bikes, tmp_path, suffix, format_name):
    clip = tmp_path / 'clip.mp4'
    reencode(bikes, clip, 'mpeg4', 'yuv420p', frames=60, rate=10)  # 10 fps: exact GIF delays
    out = tmp_path / f'summary.{suffix}'
    assert main(['summarize', str(clip), '--out', str(out), '--cache-dir',
                 str(tmp_path / 'c'), '--every', '5', '--no-progress']) == 0
    assert out.is_file() and (tmp_path / 'summary_keyshots.json').is_file()
    assert (tmp_path / 'summary_scores.png').is_file()
    data = json.loads((tmp_path / 'summary_keyshots.json').read_text())
    with av.open(str(out)) as video:
        assert format_name in video.format.name.split(',')
    check_plays_at_source_rate(out, clip, data['summary_frames'])


def test_a_video_suffix_that_cannot_be_written_is_refused(bikes, tmp_path, capsys):
    out = tmp_path / 'summary.flv'
    assert main(['summarize', str(bikes), '--out', str(out), '--no-progress']) == 2
    assert f"{out}: cannot write a summary video with suffix '.flv'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


MEGAMIND_CUTS = (98, 154, 200)  # issue 21: hard cuts of the opencv-doc Megamind.avi
KTS_VMAX_SHORT = 0.5  # docs/vsumm.md, Shots: keeps the hard cuts of the offline videos


def test_a_smaller_kts_penalty_finds_megamind_cuts_sampled_every_15(tmp_path):
    from mmcontrast.assets import video_paths
    from mmvsumm.shots import video_shots
    videos = video_paths()
    if 'megamind' not in videos:
        pytest.skip('megamind needs the opencv-doc examples (tools/setup_env.sh)')
    cuts = hard_cuts(videos['megamind'], min_shot=15)
    assert set(MEGAMIND_CUTS) <= set(cuts.tolist())
    feats = extract_features(videos['megamind'], every=15, cache_dir=tmp_path, progress=False)
    default = video_shots(feats.features, feats.picks, feats.times)
    assert found_cuts(np.array(MEGAMIND_CUTS), default, 15) < 3  # the issue: merged
    shots = video_shots(feats.features, feats.picks, feats.times, vmax=KTS_VMAX_SHORT)
    assert found_cuts(np.array(MEGAMIND_CUTS), shots, 15) == 3, shots
    assert len(shots) <= 3 * len(default) + 6  # not cut everywhere


def test_a_failing_output_leaves_nothing_behind(bikes, tmp_path, monkeypatch):
    def broken_plot(*_args, **_kwargs):
        raise OSError('disk full')
    monkeypatch.setattr('mmvsumm.pipeline.plot_scores', broken_plot)
    with pytest.raises(OSError, match='disk full'):
        summarize_video(bikes, tmp_path / 'out', every=50, cache_dir=tmp_path / 'c',
                        progress=False)
    assert list((tmp_path / 'out').iterdir()) == []


def test_out_pointing_to_a_file_is_named(bikes, tmp_path, capsys):
    taken = tmp_path / 'taken'
    taken.write_text('a file')
    assert main(['summarize', str(bikes), '--out', str(taken), '--no-progress']) == 2
    assert f'{taken}: is a file, not a folder' in capsys.readouterr().err
    assert main(['summarize', str(bikes), '--out', str(taken / 'sub'), '--no-progress']) == 2
    assert f'{taken}: is a file, not a folder' in capsys.readouterr().err


def test_a_corrupt_feature_cache_is_rebuilt_with_a_warning(bikes, tmp_path):
    cache = tmp_path / 'cache'
    first = extract_features(bikes, every=25, size=64, cache_dir=cache, progress=False)
    (cached,) = cache.glob('*.npz')
    cached.write_bytes(cached.read_bytes()[:200])  # cut short
    with pytest.warns(UserWarning, match=rf'{cached.name}: corrupt feature cache'):
        again = extract_features(bikes, every=25, size=64, cache_dir=cache, progress=False)
    assert not again.from_cache
    np.testing.assert_allclose(again.features, first.features, rtol=1e-5, atol=1e-5)
    assert extract_features(bikes, every=25, size=64, cache_dir=cache,
                            progress=False).from_cache  # rebuilt file is good
    with pytest.raises(VSummInputError, match=f'{cache / "x"}: is a file'):
        (cache / 'x').write_text('')
        extract_features(bikes, every=25, size=64, cache_dir=cache / 'x', progress=False)


def write_video(path, frames, rate=10):
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuv420p'
        out.start_encoding()  # writes the header even without frames
        for i in range(frames):
            grey = np.full((48, 64, 3), i * 20 % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(grey, 'rgb24')
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


def write_audio_only(path):
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mp2', rate=44100)
        stream.layout = 'mono'
        samples = (np.sin(np.arange(44100) / 10) * 3000).astype(np.int16)[None]
        frame = av.AudioFrame.from_ndarray(samples, format='s16', layout='mono')
        frame.sample_rate = 44100
        frame.time_base = Fraction(1, 44100)
        frame.pts = 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode())


def test_bad_videos_give_clear_errors(tmp_path, bikes, capsys):
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(np.random.default_rng(0).bytes(5000))
    truncated = tmp_path / 'truncated.mp4'
    truncated.write_bytes(bikes.read_bytes()[:3000])
    empty = tmp_path / 'empty.avi'  # AVI keeps a video stream that has no frame
    write_video(empty, 0)
    audio = tmp_path / 'audio.mka'
    write_audio_only(audio)
    cases = [(corrupt, 'cannot open as a video'), (truncated, 'cannot open as a video'),
             (empty, 'the video stream has no decodable frame'),
             (audio, r'no video stream \(streams: audio\)'),
             (tmp_path / 'missing.mp4', 'no such video file')]
    for path, message in cases:
        with pytest.raises(VSummInputError, match=rf'{path.name}: ({message})'):
            extract_features(path, cache_dir=tmp_path / 'cache', progress=False)
    assert main(['summarize', str(audio), '--out', str(tmp_path), '--no-progress']) == 2
    assert 'audio.mka: no video stream' in capsys.readouterr().err


def test_tiny_real_video_is_summarised(tmp_path):
    clip = tmp_path / 'clip.mp4'
    write_video(clip, 3)  # a single sampled frame: one shot, cut to fit the budget
    out = summarize_video(clip, tmp_path / 'o', cache_dir=tmp_path / 'c', progress=False,
                          ratio=0.5)
    assert out.summary_frames == 1 and out.summary_video.is_file()


def test_one_frame_video_gets_a_one_frame_summary(bikes, tmp_path):
    clip = tmp_path / 'one.mp4'
    assert reencode(bikes, clip, 'mpeg4', 'yuv420p', frames=1) == 1
    out = summarize_video(clip, tmp_path / 'o', cache_dir=tmp_path / 'c', progress=False)
    assert out.summary_frames == 1 and out.shots.tolist() == [[0, 0]]
    check_plays_at_source_rate(out.summary_video, clip, 1)


def truncated_copy(bikes, tmp_path):
    """bikes re-encoded with its index first (faststart), then cut at 60 %."""
    full = tmp_path / 'full.mp4'
    assert reencode(bikes, full, 'mpeg4', 'yuv420p', movflags='faststart') == 250
    cut = tmp_path / 'cut.mp4'
    data = full.read_bytes()
    cut.write_bytes(data[:int(len(data) * 0.6)])
    return cut


def test_truncated_video_is_summarised_with_a_warning_or_refused(bikes, tmp_path, capsys):
    cut = truncated_copy(bikes, tmp_path)
    with pytest.warns(UserWarning, match=r'cut.mp4: read (\d+) of 250 frames') as caught:
        out = summarize_video(cut, tmp_path / 'o', cache_dir=tmp_path / 'c', progress=False)
    read = int(str(caught[0].message).split('read ')[1].split(' ')[0])
    assert 0 < read < 250
    data = json.loads(out.keyshots_json.read_text())
    assert data['n_frames'] == read and out.summary_frames <= int(0.15 * read)
    check_plays_at_source_rate(out.summary_video, bikes, out.summary_frames)
    args = ['summarize', str(cut), '--out', str(tmp_path / 'o2'), '--cache-dir',
            str(tmp_path / 'c'), '--no-progress', '--strict']
    assert main(args[:-1]) == 0
    assert f'mmvsumm: warning: {cut}: read {read} of 250 frames' in capsys.readouterr().err
    args[3] = str(tmp_path / 'o3')  # a new --out: existing outputs are refused
    assert main(args) == 2  # the cached features remember the truncation
    assert f'{cut}: read {read} of 250 frames' in capsys.readouterr().err


def test_torchvision_backbone_needs_local_weights(tmp_path):
    with pytest.raises(VSummInputError, match='pass --weights'):
        build_backbone('resnet18')
    with pytest.raises(VSummInputError, match='unknown backbone'):
        build_backbone('no_such_net')
    import torchvision
    weights = tmp_path / 'resnet18.pth'
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    encoder = build_backbone('resnet18', weights)
    assert encoder(torch.rand(2, 3, 64, 64)).shape == (2, 512)
    torch.save({'fc.weight': torch.zeros(3)}, weights)
    with pytest.raises(VSummInputError, match='does not fit resnet18'):
        build_backbone('resnet18', weights)


def test_timm_backbone_from_local_safetensors(tmp_path):
    timm = pytest.importorskip('timm')
    from safetensors.torch import save_file
    reference = timm.create_model('test_resnet', pretrained=False).eval()
    weights = tmp_path / 'test_resnet.safetensors'
    save_file(reference.state_dict(), str(weights))
    with pytest.raises(VSummInputError, match='pass --weights'):
        build_backbone('timm:test_resnet')
    with pytest.raises(VSummInputError, match='unknown timm model'):
        build_backbone('timm:no_such_net', weights)
    encoder = build_backbone('timm:test_resnet', weights)
    rgb = torch.rand(2, 3, 64, 64)
    mean = torch.tensor(reference.pretrained_cfg['mean']).view(1, 3, 1, 1)
    std = torch.tensor(reference.pretrained_cfg['std']).view(1, 3, 1, 1)
    with torch.no_grad():  # timm's own pre-logits features of the normalised frames
        expected = reference.forward_head(reference.forward_features((rgb - mean) / std),
                                          pre_logits=True)
    assert torch.allclose(encoder(rgb), expected, atol=1e-5)
    clip = tmp_path / 'clip.mp4'
    write_video(clip, 20, rate=10)
    feats = extract_features(clip, 'timm:test_resnet', weights, every=5, size=64,
                             cache_dir=tmp_path / 'cache', progress=False)
    assert feats.features.shape == (4, reference.num_features)
    assert np.isfinite(feats.features).all()


def test_frames_without_a_channel_axis_are_refused():
    encoder = build_backbone()
    with pytest.raises(VSummInputError, match=r'\(B, 3, H, W\); got shape \(2, 64, 64\)'):
        encoder(torch.rand(2, 64, 64))


def test_sampling_every_n_frames_or_at_a_rate(tmp_path):
    clip = tmp_path / 'clip.mp4'
    write_video(clip, 30, rate=10)
    every = VideoSampler(clip, every=7, size=32)
    assert [i for i, rgb in every] == [0, 7, 14, 21, 28] and every.n_frames == 30
    rate = VideoSampler(clip, fps=4, size=32)
    frames = [rgb for _, rgb in rate]
    assert rate.picks == [0, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28]  # 0.25 s steps at 10 fps
    assert frames[0].shape == (32, 32, 3) and rate.video_fps == pytest.approx(10.0)
