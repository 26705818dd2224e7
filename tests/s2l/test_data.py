"""ETSum-style data: frame sampling, real-video decoding, token layout, collate, metric."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from mms2l.datasets import (LoadVideoFrames, ResizeCenterCrop, decode_video, s2l_collate,
                            sample_times, seconds_to_frames, video_duration)
from mms2l.evaluation import tvg_f1

from .conftest import build_dataset


def test_sample_times_at_fps_and_capped():
    assert sample_times(4.0, 1.0, 10).tolist() == [0.5, 1.5, 2.5, 3.5]
    long = sample_times(100.0, 1.0, 10)  # longer than the maximum: spread uniformly
    assert len(long) == 10 and long[0] == pytest.approx(5.0) and long[-1] == pytest.approx(95.0)
    assert len(sample_times(0.2, 1.0, 10)) == 1
    with pytest.raises(ValueError):
        sample_times(0.0, 1.0, 10)


def test_seconds_to_frames():
    spans = seconds_to_frames(np.array([[2.0, 5.0], [0.0, 0.4], [7.5, 20.0]]), 1.0, 10)
    assert spans.tolist() == [[2, 4], [0, 0], [7, 9]]
    assert seconds_to_frames(np.array([[4.0, 8.0]]), 2.0, 10).tolist() == [[2, 3]]
    with pytest.raises(ValueError):
        seconds_to_frames(np.array([[3.0, 1.0]]), 1.0, 10)


def test_decode_real_video_picks_the_frames_at_the_times():
    from mmcontrast.assets import MissingAssetError, video_paths
    try:
        path = video_paths()['bikes']  # 250 frames with 4 hard cuts
    except MissingAssetError as err:
        pytest.skip(str(err))
    duration = video_duration(path)
    assert 9.0 < duration < 11.0
    import av
    with av.open(str(path)) as c:
        every = [f.to_ndarray(format='rgb24') for f in c.decode(video=0)]
    fps = len(every) / duration
    times = np.array([0.5, 3.3, 7.9])
    picked = decode_video(path, times)
    for t, frame in zip(times, picked):
        assert np.array_equal(frame, every[int(np.floor(t * fps + 1e-6))])


def test_load_video_frames_caps_long_videos(tmp_path):
    video = np.zeros((40, 8, 8, 3), dtype=np.uint8)
    video[:, 0, 0, 0] = np.arange(40)  # frame index written into a pixel
    np.save(tmp_path / 'v.npy', video)
    out = LoadVideoFrames(fps=1.0, max_frames=10)(dict(video_path=tmp_path / 'v.npy', duration=40.0))
    assert len(out['frames']) == 10 and out['sec_per_frame'] == pytest.approx(4.0)
    assert out['frames'][:, 0, 0, 0].tolist() == [2, 6, 10, 14, 18, 22, 26, 30, 34, 38]
    np.save(tmp_path / 'empty.npy', video[:0])
    with pytest.raises(ValueError, match='zero frames'):
        LoadVideoFrames()(dict(video_path=tmp_path / 'empty.npy'))


def test_resize_center_crop():
    frames = np.zeros((2, 20, 40, 3), dtype=np.uint8)
    frames[:, :, 10:30] = 255  # the centre 20x20 is white after cropping
    out = ResizeCenterCrop(size=10)(dict(frames=frames))['frames']
    assert out.shape == (2, 3, 10, 10) and out.dtype == torch.uint8
    assert (out[..., 1:-1] == 255).all()  # only the antialiased border columns blend in
    assert out.min() > 200  # the black side bands were cropped away


def test_dataset_token_layout(tiny_cfg, tiny_root):
    ds = build_dataset(tiny_cfg, 'train')
    item = ds[0]
    ann = json.loads((tiny_root / 'train.json').read_text())[0]
    ids, labels = item['inputs']['input_ids'], item['inputs']['labels']
    sample = item['data_sample']
    from mms2l.tokenization import load_tokenizer, token_ids
    tok = load_tokenizer(str(tiny_root / 'tokenizer'))
    tid = token_ids(tok)
    assert int((ids == tid.frame).sum()) == sample['num_frames'] == 8
    assert (labels[:sample['prompt_length']] == -100).all()
    answer = tok.decode(ids[sample['prompt_length']:])
    assert answer.split() == (ann['summaries'][0].split() + ['<loc>', '</s>'])
    assert sample['spans'].tolist() == seconds_to_frames(np.array(ann['segments']), 1.0, 8).tolist()


def test_dataset_rejects_mismatched_summaries(tmp_path, tiny_cfg, tiny_root):
    bad = [dict(video='x.npy', q='when ?', segments=[[0, 1], [2, 3]], summaries=['one'])]
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    cfg = copy.deepcopy(tiny_cfg)
    cfg.train_dataloader.dataset.ann_file = str(tmp_path / 'bad.json')
    with pytest.raises(ValueError, match='1 summaries but 2 segments'):
        build_dataset(cfg, 'train')


def test_collate_pads_right(tiny_cfg):
    ds = build_dataset(tiny_cfg, 'train')
    items = [ds[0], ds[1]]
    items[1]['inputs']['input_ids'] = items[1]['inputs']['input_ids'][:-3]
    items[1]['inputs']['labels'] = items[1]['inputs']['labels'][:-3]
    batch = s2l_collate(items)['inputs']
    n0, n1 = len(items[0]['inputs']['input_ids']), len(items[1]['inputs']['input_ids'])
    assert batch['input_ids'].shape == (2, max(n0, n1))
    assert batch['attention_mask'].sum(1).tolist() == [n0, n1]
    assert (batch['labels'][1, n1:] == -100).all()
    assert isinstance(batch['frames'], list) and len(batch['frames']) == 2
    with pytest.raises(ValueError):
        s2l_collate([])


def test_tvg_f1_hand_checked():
    gt = [np.array([10.0, 20.0])] * 4
    preds = [np.array([10.0, 20.0]),  # IoU 1
             np.array([12.0, 20.0]),  # IoU 0.8
             np.array([15.0, 25.0]),  # IoU 5/15 = 0.333
             None]                    # no prediction
    # hits per threshold 0.1, 0.3, 0.5, 0.7: 3, 3, 2, 2 of 4
    assert tvg_f1(preds, gt) == pytest.approx(np.mean([0.75, 0.75, 0.5, 0.5]))
    with pytest.raises(ValueError):
        tvg_f1([], [])
