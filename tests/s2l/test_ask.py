"""``mms2l ask``: summary, timestamps, one PNG per <loc> and a JSON, from any directory."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from tests.s2l.conftest import build_model


@pytest.fixture(scope='module')
def checkpoint(tiny_cfg, tmp_path_factory) -> Path:
    cfg = dict(copy.deepcopy(tiny_cfg.model.to_dict()), max_new_tokens=6)  # short answers: fast
    return build_model(cfg).save_pretrained(tmp_path_factory.mktemp('ask') / 'saved')


def real_video(name: str) -> Path:
    from mmcontrast.assets import MissingAssetError, video_paths
    try:
        return video_paths()[name]
    except MissingAssetError as err:
        pytest.skip(str(err))


def test_ask_writes_png_and_json_from_another_directory(checkpoint, tmp_path, monkeypatch, capsys):
    from PIL import Image

    from mms2l.cli import main
    from mms2l.datasets import video_duration
    video = real_video('bikes')  # 640x272; the tiny model takes 32x32 frames
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(['ask', str(video), 'when is the red square shown ?', '--checkpoint',
                 str(checkpoint), '--decoder', 'critical_point', '--out', 'answers']) == 0
    out = elsewhere / 'answers'
    record = json.loads((out / 'result.json').read_text())
    assert record['query'] == 'when is the red square shown ?'
    assert record['decoder'] == {'type': 'critical_point'}
    duration = video_duration(video)
    assert record['num_frames'] == round(duration)  # 1 fps
    assert record['sec_per_frame'] == pytest.approx(duration / record['num_frames'])
    assert len(record['locs']) >= 1
    printed = capsys.readouterr().out
    for m, loc in enumerate(record['locs']):
        segments = np.asarray(loc['segments']).reshape(-1, 2)
        assert (segments >= 0).all() and (segments <= duration + 1e-6).all()
        assert len(loc['curve']) == record['num_frames'] and len(loc['scores']) == len(segments)
        assert loc['png'] == f'loc{m}.png'  # beside result.json
        with Image.open(out / loc['png']) as png:
            assert png.format == 'PNG' and png.size == (800, 300)
            pixels = np.asarray(png.convert('RGB'))
        assert pixels.std() > 10  # something is drawn, not a blank canvas
        assert f'<loc> {m}:' in printed and f'plot: answers/loc{m}.png' in printed
    for s, e in record['locs'][0]['segments']:
        assert f'{s:.1f} - {e:.1f} seconds' in printed


def test_ask_default_out_and_missing_video(checkpoint, tmp_path, monkeypatch, capsys):
    from mms2l.cli import main
    video = real_video('carphone')
    monkeypatch.chdir(tmp_path)
    assert main(['ask', str(video), 'when is the man shown ?',
                 '--checkpoint', str(checkpoint)]) == 0
    assert (tmp_path / 's2l_ask' / video.stem / 'result.json').is_file()
    assert (tmp_path / 's2l_ask' / video.stem / 'loc0.png').is_file()
    assert main(['ask', str(tmp_path / 'nope.mp4'), 'q', '--checkpoint', str(checkpoint)]) == 2
    assert f'error: video not found: {tmp_path / "nope.mp4"}' in capsys.readouterr().err


def test_threshold_lines_are_the_decoders_thresholds():
    from mms2l.ask import threshold_levels
    from mms2l.decoding import threshold_decode
    curve = np.array([0.1, 0.5, 0.9, 0.4, 0.62, 0.2])
    (level,) = threshold_levels(dict(type='threshold'))  # the decoder's default
    for got, want in zip(threshold_decode(curve), threshold_decode(curve, threshold=level)):
        np.testing.assert_array_equal(got, want)
    assert threshold_levels(dict(type='threshold', threshold=[0.3, 0.6])) == [0.3, 0.6]
    assert threshold_levels(dict(type='critical_point', sigma=1.0)) == []
