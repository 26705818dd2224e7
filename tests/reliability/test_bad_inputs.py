"""The bad-input matrix of the three packages: every bad input a user can give meets
a clear error naming the file/sample/key, or a documented fallback with a warning.

Each :class:`Case` builds its bad input under ``tmp_path``, calls the user-facing
function that meets it and declares the outcome it must have; one parametrised
test asserts it, under a per-case timeout (no hang). ``docs/reliability.md`` is
generated from :data:`CASES` (``python -m tests.reliability.matrix_doc``).
"""
from __future__ import annotations

import atexit
import functools
import json
import math
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

import numpy as np
import pytest

from mmcontrast.checkpoint import CheckpointError
from mmcontrast.compat import ImageLoadError
from mmcontrast.errors import InputError
from mms2l.errors import S2LInputError, S2LWarning
from mmvsumm import VSummInputError
from mmvsumm.errors import VSummWarning

from ..conftest import REPO_ROOT


class Trial(NamedTuple):
    """A prepared bad input: ``call()`` meets it; the message must contain every
    string of ``names``; ``check(result)`` verifies a fallback's result."""
    call: Callable[[], Any]
    names: tuple[str, ...]
    check: Optional[Callable[[Any], None]] = None


@dataclass(frozen=True)
class Case:
    """One row of the matrix.

    ``expect`` is an exception class (outcome: error) or a warning class
    (outcome: the documented ``fallback``, announced by that warning).
    """
    id: str
    package: str  # pixcon | vsumm | s2l | shared
    kind: str  # image | video | json | h5 | tsv | tfrecord | array | checkpoint | boxes | s2l
    bad_input: str
    entry: str  # the user-facing call that meets the input
    expect: type
    names: str  # what the message names, in words
    setup: Callable[[Path], Trial]
    fallback: str = ''
    timeout: int = 60

    @property
    def outcome(self) -> str:
        return 'fallback + warning' if issubclass(self.expect, Warning) else 'error'


CASES: list[Case] = []


def case(id: str, package: str, kind: str, bad_input: str, entry: str, expect: type,
         names: str, fallback: str = '', timeout: int = 60):
    """Register the decorated ``setup(tmp_path) -> Trial`` as a matrix row."""
    def register(setup: Callable[[Path], Trial]) -> Callable[[Path], Trial]:
        CASES.append(Case(id, package, kind, bad_input, entry, expect, names, setup,
                          fallback, timeout))
        return setup
    return register


def _finite(value: Any) -> None:
    """Every number reachable in ``value`` is finite (no NaN slipped through)."""
    if isinstance(value, dict):
        for v in value.values():
            _finite(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _finite(v)
    elif isinstance(value, float):
        assert math.isfinite(value), value
    elif hasattr(value, 'dtype') and hasattr(value, 'shape'):
        array = np.asarray(value.detach().cpu() if hasattr(value, 'detach') else value)
        if array.dtype.kind == 'f':
            assert np.isfinite(array).all(), 'NaN/inf in a result'


def _cut(path: Path, keep: float = 0.5) -> None:
    """Keep the first ``keep`` share of the file's bytes (a truncated download)."""
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


# ---------------------------------------------------------------- shared: checkpoints
def _load_checkpoint(path: Path) -> Callable[[], Any]:
    def call():
        from mmengine.runner.checkpoint import _load_checkpoint
        return _load_checkpoint(str(path), map_location='cpu')
    return call


def _save_iter(path: Path, iteration: int) -> None:
    import torch
    torch.save({'meta': {'iter': iteration}, 'state_dict': {'w': torch.ones(2)}}, path)


@case('ckpt-zero-byte', 'shared', 'checkpoint', 'zero-byte .pth', 'load_from / --resume / '
      'converters (mmengine CheckpointLoader)', CheckpointError, 'file')
def _(tmp):
    path = tmp / 'empty.pth'
    path.write_bytes(b'')
    return Trial(_load_checkpoint(path), (str(path), 'empty or truncated'))


@case('ckpt-truncated', 'shared', 'checkpoint', 'checkpoint cut in half',
      'load_from / --resume / converters', CheckpointError, 'file')
def _(tmp):
    path = tmp / 'half.pth'
    _save_iter(path, 1)
    _cut(path)
    return Trial(_load_checkpoint(path), (str(path), 'empty or truncated'))


@case('ckpt-not-a-checkpoint', 'shared', 'checkpoint', 'a text file named .pth',
      'load_from / --resume / converters', CheckpointError, 'file')
def _(tmp):
    path = tmp / 'notes.pth'
    path.write_text('these are not weights\n' * 10)
    return Trial(_load_checkpoint(path), (str(path), 'not a complete checkpoint'))


class _RunsCodeOnLoad:
    """Pickles as a call that creates ``marker``: proof that a pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import subprocess
        return (subprocess.call, (['touch', str(self.marker)],))


@case('ckpt-malicious-pickle', 'shared', 'checkpoint', 'a .pth whose pickle runs code',
      'load_from / --resume / converters', CheckpointError, 'file')
def _(tmp):
    import torch
    path, marker = tmp / 'evil.pth', tmp / 'executed'
    torch.save({'state_dict': {}, 'payload': _RunsCodeOnLoad(marker)}, path)

    def call():
        try:
            return _load_checkpoint(path)()
        finally:
            assert not marker.exists(), 'the pickle ran'
    return Trial(call, (str(path), 'refusing to load'))


@case('resume-truncated-newest', 'shared', 'checkpoint',
      'work dir whose newest iter_*.pth is truncated', 'tools/train.py --resume (auto)',
      UserWarning, 'both files', fallback='resumes from the newest intact checkpoint')
def _(tmp):
    from mmcontrast.checkpoint import find_latest_checkpoint
    _save_iter(tmp / 'iter_2.pth', 2)
    _save_iter(tmp / 'iter_4.pth', 4)
    _cut(tmp / 'iter_4.pth')
    (tmp / 'last_checkpoint').write_text(str(tmp / 'iter_4.pth'))

    def check(found):
        assert found == str(tmp / 'iter_2.pth')
    return Trial(lambda: find_latest_checkpoint(str(tmp)),
                 (str(tmp / 'iter_2.pth'), str(tmp / 'iter_4.pth')), check)


@case('resume-no-intact', 'shared', 'checkpoint', 'work dir whose only checkpoint is empty',
      'tools/train.py --resume (auto)', CheckpointError, 'work dir + file')
def _(tmp):
    from mmcontrast.checkpoint import find_latest_checkpoint
    (tmp / 'epoch_3.pth').write_bytes(b'')
    return Trial(lambda: find_latest_checkpoint(str(tmp)), (str(tmp), 'epoch_3.pth'))


# ---------------------------------------------------------------- shared: images
def _load_image(path: Path) -> Callable[[], Any]:
    def call():
        from mmcv.transforms import LoadImageFromFile
        return LoadImageFromFile()(dict(img_path=str(path)))
    return call


@case('image-zero-byte', 'shared', 'image', 'zero-byte .jpg',
      'LoadImageFromFile (mmpretrain/mmdet/mmseg pipelines)', ImageLoadError, 'file')
def _(tmp):
    path = tmp / 'empty.jpg'
    path.write_bytes(b'')
    return Trial(_load_image(path), (str(path),))


@case('image-corrupt', 'shared', 'image', 'random bytes named .jpg', 'LoadImageFromFile',
      ImageLoadError, 'file')
def _(tmp):
    path = tmp / 'noise.jpg'
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return Trial(_load_image(path), (str(path),))


@case('image-truncated', 'shared', 'image', 'JPEG cut after its header', 'LoadImageFromFile',
      ImageLoadError, 'file')
def _(tmp):
    import cv2
    path = tmp / 'cut.jpg'
    ok, data = cv2.imencode('.jpg', np.full((64, 64, 3), 127, np.uint8))
    assert ok
    path.write_bytes(data.tobytes()[:200])
    return Trial(_load_image(path), (str(path),))


@case('image-missing', 'shared', 'image', 'image path that does not exist', 'LoadImageFromFile',
      FileNotFoundError, 'file')
def _(tmp):
    path = tmp / 'nowhere.jpg'
    return Trial(_load_image(path), (str(path),))


# ---------------------------------------------------------------- pixcon: COCO
def _unlabeled_coco(root: Path, ann_file: str = '') -> Callable[[], Any]:
    def call():
        from mmpixcon.datasets import UnlabeledCOCO
        return UnlabeledCOCO(data_root=str(root), ann_file=ann_file)
    return call


def _coco_with_json(tmp: Path, text: str) -> tuple[Path, Path]:
    from mmcontrast.assets import coco_image_folder
    root = coco_image_folder(tmp / 'coco', num=2)
    ann = root / 'annotations' / 'bad.json'
    ann.parent.mkdir(exist_ok=True)
    ann.write_text(text)
    return root, ann


@case('coco-json-malformed', 'pixcon', 'json', 'COCO json cut mid-file', 'UnlabeledCOCO(ann_file=)',
      ValueError, 'file')
def _(tmp):
    root, ann = _coco_with_json(tmp, '{"images": [{"file_name": "a.jpg"')
    return Trial(_unlabeled_coco(root, 'annotations/bad.json'), (str(ann), 'not a valid COCO json'))


@case('coco-json-no-file-name', 'pixcon', 'json', 'COCO images entry without file_name',
      'UnlabeledCOCO(ann_file=)', ValueError, 'file + entry index + image id')
def _(tmp):
    from mmcontrast.assets import coco_image_folder
    root = coco_image_folder(tmp / 'coco', num=2)
    names = sorted(p.name for p in (root / 'train2017').iterdir())
    text = json.dumps({'images': [{'id': 1, 'file_name': names[0]}, {'id': 7, 'height': 3}]})
    root, ann = _coco_with_json(tmp, text)
    return Trial(_unlabeled_coco(root, 'annotations/bad.json'), (str(ann), 'images[1]', 'id=7'))


@case('coco-json-no-images', 'pixcon', 'json', 'COCO json without an images list',
      'UnlabeledCOCO(ann_file=)', ValueError, 'file')
def _(tmp):
    root, ann = _coco_with_json(tmp, json.dumps({'annotations': []}))
    return Trial(_unlabeled_coco(root, 'annotations/bad.json'), (str(ann), '"images"'))


@case('coco-json-missing-image', 'pixcon', 'json', 'COCO json listing an image that is absent',
      'UnlabeledCOCO(ann_file=)', FileNotFoundError, 'file')
def _(tmp):
    root, ann = _coco_with_json(tmp, json.dumps({'images': [{'id': 1, 'file_name': 'gone.jpg'}]}))
    return Trial(_unlabeled_coco(root, 'annotations/bad.json'), ('gone.jpg',))


@case('coco-folder-empty', 'pixcon', 'image', 'image folder without images', 'UnlabeledCOCO()',
      ValueError, 'folder')
def _(tmp):
    (tmp / 'coco' / 'train2017').mkdir(parents=True)
    return Trial(_unlabeled_coco(tmp / 'coco'), (str(tmp / 'coco' / 'train2017'),))


@case('coco-folder-missing', 'pixcon', 'image', 'data_root without train2017/',
      'UnlabeledCOCO()', FileNotFoundError, 'folder')
def _(tmp):
    return Trial(_unlabeled_coco(tmp / 'coco'), (str(tmp / 'coco' / 'train2017'),))


@case('pixcon-crop-empty-image', 'pixcon', 'image', 'decoded image of size 0 x 0',
      'OverlapTwoCrop (PixCon pipelines)', ValueError, 'file')
def _(tmp):
    from mmpixcon.datasets import OverlapTwoCrop
    results = dict(img=np.zeros((0, 0, 3), np.uint8), img_path='/data/empty.png')
    return Trial(lambda: OverlapTwoCrop(size=64)(results), ('/data/empty.png',))


# ---------------------------------------------------------------- pixcon: boxes
@case('boxes-non-finite-inverse-augment', 'pixcon', 'boxes',
      'NaN/inf intersection box given to roi_align', 'inverse_augment', ValueError,
      'sample in the batch')
def _(tmp):
    import torch

    from mmpixcon.models import inverse_augment
    boxes = torch.tensor([[0.1, 0.1, 0.9, 0.9], [0.0, float('nan'), 1.0, float('inf')]])
    return Trial(lambda: inverse_augment(torch.ones(2, 4, 7, 7), boxes, torch.zeros(2), (7, 7)),
                 ('sample 1 of the batch', 'non-finite'))


@case('boxes-non-finite-pixcon', 'pixcon', 'boxes',
      'a data sample whose pixcon_boxes hold inf', 'PixCon.loss (Coord / reweighting)', ValueError,
      'image file')
def _(tmp):
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    cfg = Config.fromfile(str(REPO_ROOT / 'configs/pixcon/pixcon_sr_r18_tiny_test.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    samples = []
    for i in range(2):
        sample = DataSample(metainfo=dict(img_path=f'/data/img_{i}.jpg'))
        boxes = [[0.1, 0.1, 0.9, 0.9], [0.0, 0.0, 0.8, 0.8]]
        if i == 1:
            boxes[1][2] = float('inf')
        sample.set_field(torch.tensor(boxes), 'pixcon_boxes')
        sample.set_field(torch.tensor([False, True]), 'pixcon_flips')
        samples.append(sample)
    views = [torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)]
    return Trial(lambda: model.loss(views, samples), ('/data/img_1.jpg', 'non-finite'))


# ---------------------------------------------------------------- vsumm: h5 / tsv / splits
def _vsumm_h5(tmp: Path, edit: Callable[[dict], None]) -> Path:
    """An eccv16-layout h5 of two videos; ``edit`` changes video_2's arrays."""
    from ..vsumm.h5fixture import synthetic_video, write_h5
    rng = np.random.default_rng(0)
    videos = {f'video_{i}': synthetic_video(rng, 20) for i in (1, 2)}
    edit(videos['video_2'])
    path = tmp / 'eccv16_dataset_tvsum_google_pool5.h5'
    write_h5(path, videos)
    return path


def _read_eccv16(path: Path) -> Callable[[], Any]:
    def call():
        from mmvsumm.io.h5 import read_eccv16
        return read_eccv16(path)
    return call


_H5_EDITS = {  # id: (bad input, edit of video_2's arrays, the key the message names)
    'h5-missing-key': ('video group without picks', lambda v: v.pop('picks'), 'video_2/picks'),
    'h5-nan-features': ('features holding NaN',
                        lambda v: v['features'].__setitem__((3, 5), np.nan), 'video_2/features'),
    'h5-1d-features': ('features without a feature axis (1-D)',
                       lambda v: v.__setitem__('features', v['features'][:, 0]),
                       'video_2/features'),
    'h5-picks-length': ('picks shorter than the features',
                        lambda v: v.__setitem__('picks', v['picks'][:-1]), 'video_2/picks'),
    'h5-user-summary-shape': ('user_summary of the wrong shape',
                              lambda v: v.__setitem__('user_summary', np.ones((3, 7))),
                              'video_2/user_summary'),
    'h5-change-points-shape': ('change_points not (S, 2)',
                               lambda v: v.__setitem__('change_points', np.arange(6)),
                               'video_2/change_points'),
}


def _h5_case(id: str, bad_input: str, edit: Callable[[dict], None], key: str) -> None:
    @case(id, 'vsumm', 'h5', bad_input, 'read_eccv16 (evaluate, Eccv16Dataset)',
          VSummInputError, 'file + video/key')
    def _(tmp):
        path = _vsumm_h5(tmp, edit)
        return Trial(_read_eccv16(path), (path.name, key))


for _id, (_bad, _edit, _key) in _H5_EDITS.items():
    _h5_case(_id, _bad, _edit, _key)


@case('h5-not-h5', 'vsumm', 'h5', 'text file named .h5', 'read_eccv16', VSummInputError, 'file')
def _(tmp):
    path = tmp / 'junk.h5'
    path.write_text('not an h5 file')
    return Trial(_read_eccv16(path), (str(path),))


def _read_anno(tmp: Path, text: str) -> Trial:
    from mmvsumm.io.tvsum_anno import read_tvsum_anno
    path = tmp / 'ydata-tvsum50-anno.tsv'
    path.write_text(text)
    return Trial(lambda: read_tvsum_anno(path), (str(path), 'line 2'))


@case('tsv-columns', 'vsumm', 'tsv', 'TVSum annotation line with 2 columns', 'read_tvsum_anno',
      VSummInputError, 'file + line')
def _(tmp):
    return _read_anno(tmp, 'vid1\tVT\t1,2,3\nvid1\t1,2,3\n')


@case('tsv-non-numeric', 'vsumm', 'tsv', 'non-numeric importance score', 'read_tvsum_anno',
      VSummInputError, 'file + line + video')
def _(tmp):
    return _read_anno(tmp, 'vid1\tVT\t1,2,3\nvid1\tVT\t1,x,3\n')


@case('tsv-score-range', 'vsumm', 'tsv', 'score outside 1..5', 'read_tvsum_anno',
      VSummInputError, 'file + line + video')
def _(tmp):
    return _read_anno(tmp, 'vid1\tVT\t1,2,3\nvid1\tVT\t1,9,3\n')


@case('tsv-empty', 'vsumm', 'tsv', 'empty TVSum annotation file', 'read_tvsum_anno',
      VSummInputError, 'file')
def _(tmp):
    from mmvsumm.io.tvsum_anno import read_tvsum_anno
    path = tmp / 'ydata-tvsum50-anno.tsv'
    path.write_text('')
    return Trial(lambda: read_tvsum_anno(path), (str(path), 'no annotations'))


@case('splits-json-malformed', 'vsumm', 'json', 'splits file cut mid-file', 'read_splits',
      VSummInputError, 'file')
def _(tmp):
    from mmvsumm.splits import read_splits
    path = tmp / 'splits.json'
    path.write_text('[{"train_keys": [')
    return Trial(lambda: read_splits(path), (str(path),))


@case('splits-missing-keys', 'vsumm', 'json', 'split without test_keys', 'read_splits',
      VSummInputError, 'file + split index')
def _(tmp):
    from mmvsumm.splits import read_splits
    path = tmp / 'splits.json'
    path.write_text(json.dumps([{'train_keys': ['eccv16_dataset_tvsum_google_pool5/video_1']}]))
    return Trial(lambda: read_splits(path), (str(path), 'split 0'))


# ---------------------------------------------------------------- vsumm: tfrecord / video
@case('tfrecord-crc', 'vsumm', 'tfrecord', 'YouTube-8M record with a flipped data byte',
      'iter_yt8m / YT8MFrameDataset', VSummInputError, 'file + offset')
def _(tmp):
    from mmvsumm.io.yt8m import iter_yt8m

    from ..vsumm.yt8m_writer import write_frame_tfrecord
    path = tmp / 'train0000.tfrecord'
    rng = np.random.default_rng(0)
    write_frame_tfrecord(path, [dict(vid='v000', labels=[1],
                                     rgb=rng.integers(0, 256, (3, 1024), dtype=np.uint8),
                                     audio=rng.integers(0, 256, (3, 128), dtype=np.uint8))])
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF
    path.write_bytes(bytes(data))
    return Trial(lambda: list(iter_yt8m(path)), (str(path), 'CRC'))


def _extract(video: Path, tmp: Path) -> Callable[[], Any]:
    def call():
        from mmvsumm.models.features import extract_features
        return extract_features(video, cache_dir=tmp / 'cache', progress=False)
    return call


@case('video-not-a-video', 'vsumm', 'video', 'random bytes named .mp4',
      'mmvsumm summarize / extract_features', VSummInputError, 'file')
def _(tmp):
    path = tmp / 'noise.mp4'
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    return Trial(_extract(path, tmp), (str(path),))


@case('video-missing', 'vsumm', 'video', 'video path that does not exist',
      'mmvsumm summarize / extract_features', VSummInputError, 'file')
def _(tmp):
    path = tmp / 'gone.mp4'
    return Trial(_extract(path, tmp), (str(path),))


@case('video-zero-byte', 'vsumm', 'video', 'zero-byte .mp4', 'mmvsumm summarize / extract_features',
      VSummInputError, 'file')
def _(tmp):
    path = tmp / 'empty.mp4'
    path.write_bytes(b'')
    return Trial(_extract(path, tmp), (str(path),))


# ---------------------------------------------------------------- vsumm: videos, caches, scores
def _tiny_video(path: Path, frames: int = 60, **options: str) -> Path:
    """A 32x32 MPEG-4 clip of noise frames at 10 fps (``options`` go to the muxer)."""
    import av
    pixels = np.random.default_rng(0).integers(0, 256, (frames, 32, 32, 3), np.uint8)
    with av.open(str(path), 'w', options=options) as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, 'yuv420p'
        for frame in pixels:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode())
    return path


def _truncated_video(tmp: Path) -> Path:
    """A 60-frame clip with its index first (faststart), cut at 60 %."""
    data = _tiny_video(tmp / 'full.mp4', movflags='faststart').read_bytes()
    cut = tmp / 'cut.mp4'
    cut.write_bytes(data[:int(len(data) * 0.6)])
    return cut


def _sample_video(path: Path, strict: bool) -> Callable[[], Any]:
    def call():
        from mmvsumm.io.video import VideoSampler
        sampler = VideoSampler(path, every=5, size=32, strict=strict)
        return dict(frames=np.stack([rgb for _, rgb in sampler]), picks=sampler.picks,
                    n_frames=sampler.n_frames)
    return call


@case('video-truncated', 'vsumm', 'video', 'MP4 cut at 60 % (index first)',
      'mmvsumm summarize / extract (VideoSampler)', VSummWarning, 'file + frames read',
      fallback='the frames read are used (an error with --strict)')
def _(tmp):
    cut = _truncated_video(tmp)

    def check(out):
        assert 0 < out['n_frames'] < 60 and len(out['frames']) == len(out['picks'])
    return Trial(_sample_video(cut, strict=False), (str(cut), 'of 60 frames'), check)


@case('video-truncated-strict', 'vsumm', 'video', 'MP4 cut at 60 %, --strict',
      'mmvsumm summarize --strict', VSummInputError, 'file + frames read')
def _(tmp):
    cut = _truncated_video(tmp)
    return Trial(_sample_video(cut, strict=True), (str(cut), 'of 60 frames'))


@case('feature-cache-corrupt', 'vsumm', 'array', 'feature cache .npz cut short',
      'mmvsumm summarize / extract (feature cache)', VSummWarning, 'file',
      fallback='the cache is treated as absent and rebuilt')
def _(tmp):
    from mmvsumm.io.feature_cache import read_feature_cache, write_feature_cache
    path = tmp / 'features.npz'
    write_feature_cache(path, np.ones((4, 8), np.float32), np.arange(4) * 15,
                        np.arange(61) / 30.0, 30.0)
    path.write_bytes(path.read_bytes()[:200])

    def check(items):
        assert items is None
    return Trial(lambda: read_feature_cache(path), (str(path), 'corrupt feature cache'), check)


@case('frames-no-channel-encoder', 'vsumm', 'array', 'frames tensor (B, H, W) without channel axis',
      'FrameEncoder (summarize / extract backbones)', VSummInputError, 'expected and given shape')
def _(tmp):
    import torch
    from mmvsumm.models import build_backbone
    encoder = build_backbone()
    return Trial(lambda: encoder(torch.rand(2, 64, 64)), ('(B, 3, H, W)', '(2, 64, 64)'))


@case('scores-nan-prediction', 'vsumm', 'array', 'importance prediction holding NaN',
      'rank_correlation / f1_score (evaluate)', VSummInputError, 'index of the first NaN')
def _(tmp):
    from mmvsumm.metrics.functional import rank_correlation
    pred = np.arange(10.0)
    pred[[3, 7]] = np.nan
    users = np.stack([np.arange(10.0), np.arange(10.0)[::-1]])
    return Trial(lambda: rank_correlation(pred, users), ('prediction', 'index 3'))


@case('scores-constant-video', 'vsumm', 'h5', 'video whose features are all equal (constant '
      'prediction)', 'mmvsumm evaluate (run_evaluation)', VSummInputError, 'video')
def _(tmp):
    from mmvsumm.evaluate import run_evaluation
    from mmvsumm.splits import Split, write_dsnet_yml

    from ..vsumm.h5fixture import synthetic_video, write_h5
    rng = np.random.default_rng(3)
    videos = {f'video_{i}': synthetic_video(rng, 30) for i in (1, 2)}
    videos['video_2']['features'][:] = 1.0
    h5, splits = tmp / 'mine.h5', tmp / 'mine.yml'
    write_h5(h5, videos)
    write_dsnet_yml([Split((), ('mine/video_1', 'mine/video_2'))], splits)
    return Trial(lambda: run_evaluation(h5, 'summe', split_file=splits),
                 ('mine/video_2', 'prediction is constant', '--on-bad-video skip'))


@case('tvsum-annotator-count', 'vsumm', 'h5', 'TVSum h5 with 5 annotators instead of 20',
      'mmvsumm evaluate (check_annotators)', VSummInputError, 'video + array + counts')
def _(tmp):
    from mmvsumm.evaluate import check_annotators
    from mmvsumm.io.h5 import read_eccv16
    path = _vsumm_h5(tmp, lambda v: None)
    return Trial(lambda: check_annotators(read_eccv16(path), 'tvsum'),
                 ('video_1', 'user_summary has 5 annotator rows', '20'))


# ---------------------------------------------------------------- s2l: ETSum annotations
def _etsum(tmp: Path, items: Any, name: str = 'ann.json') -> tuple[Path, Callable[[], Any]]:
    """Write ``items`` (or raw text) as an ETSum file -> (path, build the dataset)."""
    path = tmp / name
    path.write_text(items if isinstance(items, str) else json.dumps(items))

    def call():
        from mms2l.datasets import ETSumDataset
        return ETSumDataset(ann_file=str(path), lazy_init=False, serialize_data=False)
    return path, call


_GOOD = dict(video='v.npy', q='when is the red square shown ?', duration=4.0,
             segments=[[1.0, 2.0]], summaries=['the red square'])


@case('etsum-json-malformed', 's2l', 'json', 'ETSum json cut mid-file', 'ETSumDataset',
      ValueError, 'file')
def _(tmp):
    path, call = _etsum(tmp, '[{"video": "v.npy", "q": ')
    return Trial(call, (str(path), 'not valid JSON'))


@case('etsum-jsonl-bad-line', 's2l', 'json', 'ETSum .jsonl with a broken line', 'ETSumDataset',
      ValueError, 'file + line')
def _(tmp):
    path, call = _etsum(tmp, json.dumps(_GOOD) + '\n{"video": \n', 'ann.jsonl')
    return Trial(call, (str(path), 'line 2'))


@case('etsum-empty-list', 's2l', 'json', 'ETSum json holding []', 'ETSumDataset', ValueError,
      'file')
def _(tmp):
    path, call = _etsum(tmp, [])
    return Trial(call, (str(path), 'no samples'))


@case('etsum-not-a-list', 's2l', 'json', 'ETSum json holding one object, not a list',
      'ETSumDataset', ValueError, 'file')
def _(tmp):
    path, call = _etsum(tmp, _GOOD)
    return Trial(call, (str(path), 'expected a JSON list'))


@case('etsum-no-q', 's2l', 'json', 'ETSum sample without q', 'ETSumDataset', S2LInputError,
      'file + sample + key')
def _(tmp):
    path, call = _etsum(tmp, [_GOOD, {k: v for k, v in _GOOD.items() if k != 'q'}])
    return Trial(call, (str(path), 'sample 1', "'q'"))


@case('etsum-no-video', 's2l', 'json', 'ETSum sample without video', 'ETSumDataset',
      S2LInputError, 'file + sample + key')
def _(tmp):
    path, call = _etsum(tmp, [{k: v for k, v in _GOOD.items() if k != 'video'}])
    return Trial(call, (str(path), 'sample 0', "'video'"))


@case('etsum-summaries-count', 's2l', 'json', 'ETSum sample with 2 segments and 1 summary',
      'ETSumDataset', ValueError, 'file + sample')
def _(tmp):
    path, call = _etsum(tmp, [dict(_GOOD, segments=[[0, 1], [2, 3]])])
    return Trial(call, (str(path), 'sample 0'))


# ---------------------------------------------------------------- s2l: frames and spans
def _load_frames(path: Path) -> Callable[[], Any]:
    def call():
        from mms2l.datasets import LoadVideoFrames
        return LoadVideoFrames()(dict(video_path=str(path)))
    return call


def _frames_npy(tmp: Path, frames: np.ndarray) -> Path:
    path = tmp / 'v.npy'
    np.save(path, frames)
    return path


@case('frames-npy-no-channel', 's2l', 'array', 'frames .npy (T, H, W) uint8 without channel axis',
      'LoadVideoFrames', ValueError, 'file')
def _(tmp):
    path = _frames_npy(tmp, np.zeros((4, 16, 16), np.uint8))
    return Trial(_load_frames(path), (str(path), 'no channel axis'))


@case('frames-array-no-channel', 's2l', 'array', 'frames array (T, H, W) reaching the resize step',
      'ResizeCenterCrop', ValueError, 'sample + video')
def _(tmp):
    from mms2l.datasets import ResizeCenterCrop
    results = dict(idx=3, video_path='clip.mp4', frames=np.zeros((4, 16, 16), np.uint8))
    return Trial(lambda: ResizeCenterCrop(8)(results), ('sample 3', 'clip.mp4'))


@case('frames-npy-empty', 's2l', 'array', 'frames .npy with zero frames', 'LoadVideoFrames',
      ValueError, 'file')
def _(tmp):
    path = _frames_npy(tmp, np.zeros((0, 16, 16, 3), np.uint8))
    return Trial(_load_frames(path), (str(path), 'zero frames'))


@case('features-npy-nan', 's2l', 'array', 'precomputed features .npy holding NaN',
      'LoadVideoFrames', ValueError, 'file')
def _(tmp):
    features = np.ones((4, 2, 8), np.float32)
    features[2, 1, 3] = np.nan
    path = _frames_npy(tmp, features)
    return Trial(_load_frames(path), (str(path), 'NaN'))


@case('frames-npy-corrupt', 's2l', 'array', '.npy cut after its header', 'LoadVideoFrames',
      ValueError, 'file')
def _(tmp):
    path = _frames_npy(tmp, np.zeros((4, 16, 16, 3), np.uint8))
    _cut(path, 0.3)
    return Trial(_load_frames(path), (str(path), 'cannot read'))


@case('etsum-duration-invalid', 's2l', 'json', 'ETSum sample with duration -3',
      'LoadVideoFrames', ValueError, 'sample + video')
def _(tmp):
    from mms2l.datasets import LoadVideoFrames
    path = _frames_npy(tmp, np.zeros((4, 16, 16, 3), np.uint8))
    return Trial(lambda: LoadVideoFrames()(dict(idx=2, video_path=str(path), duration=-3.0)),
                 ('sample 2', str(path), '-3.0'))


@case('s2l-video-not-a-video', 's2l', 'video', 'random bytes named .mp4', 'LoadVideoFrames',
      ValueError, 'file')
def _(tmp):
    path = tmp / 'noise.mp4'
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    return Trial(_load_frames(path), (str(path), 'cannot open as a video'))


@case('s2l-video-missing', 's2l', 'video', 'video path that does not exist', 'LoadVideoFrames',
      FileNotFoundError, 'file')
def _(tmp):
    path = tmp / 'gone.mp4'
    return Trial(_load_frames(path), (str(path),))


@case('s2l-video-audio-only', 's2l', 'video', 'an audio-only .mp4', 'LoadVideoFrames',
      ValueError, 'file')
def _(tmp):
    import av
    path = tmp / 'sound.mp4'
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('aac', rate=8000)
        samples = np.zeros((1, 8000), np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format='fltp', layout='mono')
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return Trial(_load_frames(path), (str(path), 'no video stream'))


def _format(tmp: Path, clip: bool = False, **sample: Any) -> Callable[[], Any]:
    """FormatS2LInputs on a 4-frame, 4-second sample (the tiny word tokenizer)."""
    def call():
        from mms2l.datasets import FormatS2LInputs
        from mms2l.testing import make_word_tokenizer
        tokenizer = make_word_tokenizer(tmp / 'tokenizer')
        results = dict(idx=5, video_path='v.npy', query='when is the red square shown ?',
                       frames=np.zeros((4, 3, 8, 8), np.uint8), duration=4.0,
                       sec_per_frame=1.0, segments=[[1.0, 2.0]], summaries=['red square'])
        results.update(sample)
        return FormatS2LInputs(tokenizer=dict(path=str(tokenizer)), clip_spans=clip)(results)
    return call


@case('spans-outside-video', 's2l', 's2l', 'ground-truth span [3, 9] s in a 4 s video',
      'FormatS2LInputs (training / evaluation pipelines)', ValueError, 'sample + span')
def _(tmp):
    return Trial(_format(tmp, segments=[[3.0, 9.0]]), ('sample 5', '[3.0, 9.0]', 'clip_spans'))


@case('spans-outside-video-clipped', 's2l', 's2l', 'ground-truth span [3, 9] s in a 4 s video, '
      'clip_spans=True', 'FormatS2LInputs(clip_spans=True)', UserWarning, 'sample + span',
      fallback='span clipped to the video: [3, 4] s, frames 3..3')
def _(tmp):
    def check(packed):
        sample = packed['data_sample']
        assert sample['gt_segments'].tolist() == [[3.0, 4.0]]
        assert sample['spans'].tolist() == [[3, 3]]
    return Trial(_format(tmp, clip=True, segments=[[3.0, 9.0]]), ('sample 5', '[3.0, 9.0]'),
                 check)


@case('spans-wholly-outside', 's2l', 's2l', 'span [6, 8] s after the end of a 4 s video, '
      'clip_spans=True', 'FormatS2LInputs(clip_spans=True)', ValueError, 'sample + span')
def _(tmp):
    return Trial(_format(tmp, clip=True, segments=[[6.0, 8.0]]), ('sample 5', '[6.0, 8.0]'))


@case('spans-non-finite', 's2l', 's2l', 'span holding NaN', 'FormatS2LInputs', ValueError,
      'sample')
def _(tmp):
    return Trial(_format(tmp, segments=[[float('nan'), 2.0]]), ('sample 5', 'finite'))


@case('vid-without-times', 's2l', 's2l', 'query with <vid> but no vid_times (src dropped)',
      'FormatS2LInputs', ValueError, 'sample + query')
def _(tmp):
    return Trial(_format(tmp, query='what happens after <vid> ?'), ('sample 5', '1 <vid>'))


@case('vid-time-outside', 's2l', 's2l', 'vid_times beyond the video end', 'FormatS2LInputs',
      ValueError, 'sample')
def _(tmp):
    return Trial(_format(tmp, query='what happens after <vid> ?', vid_times=[12.0]),
                 ('sample 5', '[12.0]'))


# ---------------------------------------------------------------- s2l: ETSum builder
class _Captioner:
    def caption(self, frames: np.ndarray, prompt: str) -> str:
        return f'{len(frames)} frames'


class _Condenser:
    """Answers with one line too many for queries containing 'bad'."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, prompt: str) -> str:
        self.calls += 1
        n = int(re.search(r'has (\d+) relevant segments', prompt).group(1))
        return '\n'.join(['a summary'] * (n + 1 if 'bad' in prompt else n))


def _builder(tmp: Path, items: Any, condenser: Any = None) -> tuple[Path, Callable[[], Any]]:
    path = tmp / 'etbench.json'
    path.write_text(items if isinstance(items, str) else json.dumps(items))
    frames = np.random.default_rng(0).integers(0, 256, (8, 16, 16, 3), np.uint8)
    video = tmp / 'v.mp4'
    _write_video(video, frames)

    def call():
        from mms2l.etsum_builder import build_etsum
        return build_etsum(path, tmp, tmp / 'out.jsonl', _Captioner(), condenser or _Condenser())
    return path, call


def _write_video(path: Path, frames: np.ndarray, fps: int = 4) -> None:
    import av
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], 'yuv420p'
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode())


_ETB = dict(video='v.mp4', duration=2.0, task='tvg', q='when is it shown?', tgt=[[0.0, 1.0]])


@case('builder-no-tgt', 's2l', 'json', 'ETBench sample without tgt', 'mms2l.etsum_builder',
      ValueError, 'file + sample + key')
def _(tmp):
    path, call = _builder(tmp, [_ETB, {k: v for k, v in _ETB.items() if k != 'tgt'}])
    return Trial(call, (str(path), 'sample 1', "'tgt'"))


@case('builder-no-q', 's2l', 'json', 'ETBench sample without q', 'mms2l.etsum_builder',
      ValueError, 'file + sample + key')
def _(tmp):
    path, call = _builder(tmp, [{k: v for k, v in _ETB.items() if k != 'q'}])
    return Trial(call, (str(path), 'sample 0', "'q'"))


@case('builder-vid-without-src', 's2l', 'json', 'ETBench query with <vid> but no src',
      'mms2l.etsum_builder', ValueError, 'file + sample')
def _(tmp):
    path, call = _builder(tmp, [dict(_ETB, q='what happens after <vid> ?')])
    return Trial(call, (str(path), 'sample 0', '1 <vid>'))


@case('builder-json-malformed', 's2l', 'json', 'ETBench json cut mid-file',
      'mms2l.etsum_builder', ValueError, 'file')
def _(tmp):
    path, call = _builder(tmp, '[{"video": "v.mp4", ')
    return Trial(call, (str(path), 'not valid JSON'))


@case('builder-condenser-lines', 's2l', 'json',
      'condenser answers with the wrong number of lines for one sample', 'mms2l.etsum_builder',
      UserWarning, 'file + sample', fallback='retried, then that sample alone is skipped and '
      'recorded in OUT.failed.jsonl; the others are built', timeout=120)
def _(tmp):
    items = [dict(_ETB, idx=0), dict(_ETB, idx=1, q='a bad one?'), dict(_ETB, idx=2)]
    condenser = _Condenser()
    path, call = _builder(tmp, items, condenser)

    def check(out):
        rows = [json.loads(line) for line in Path(out).read_text().splitlines()]
        assert [r['key'] for r in rows] == ['0', '2']
        failed = [json.loads(line) for line in (tmp / 'out.failed.jsonl').read_text().splitlines()]
        assert [f['key'] for f in failed] == ['1']
        assert condenser.calls == 2 + 3  # two good samples once, the bad one 1 + 2 retries
    return Trial(call, (str(path), 'sample 1', 'summary lines'), check)


# ---------------------------------------------------------------- s2l: checkpoints, model inputs
@functools.lru_cache(maxsize=None)
def _saved_s2l() -> Path:
    """A tiny S2L model saved once per process (``save_pretrained``), removed at exit."""
    import copy

    from mmengine.config import Config

    from mms2l.testing import make_tiny_etsum

    from ..s2l.conftest import TINY_CONFIG, build_model, point_config_at
    root = Path(tempfile.mkdtemp(prefix='matrix_s2l_'))
    atexit.register(shutil.rmtree, root, True)
    make_tiny_etsum(root / 'data', num_train=1, num_val=1)
    cfg = point_config_at(Config.fromfile(str(TINY_CONFIG)), root / 'data')
    build_model(copy.deepcopy(cfg.model.to_dict())).save_pretrained(root / 'saved')
    return root / 'saved'


def _broken_s2l(tmp: Path, damage: Callable[[Path], None]) -> tuple[Path, Callable[[], Any]]:
    """A copy of the saved tiny model, damaged -> (its folder, load it)."""
    folder = tmp / 'ckpt'
    shutil.copytree(_saved_s2l(), folder)
    damage(folder)

    def call():
        from mms2l.models import S2LModel
        return S2LModel.from_pretrained(folder)
    return folder, call


_S2L_DAMAGE = {  # id: (bad input, damage, expected error, what the message must name)
    's2l-ckpt-no-adapter': ('S2L checkpoint without adapter/',
                            lambda d: shutil.rmtree(d / 'adapter'), S2LInputError,
                            ('adapter', 'missing from the S2L checkpoint')),
    's2l-ckpt-type-import-path': ('s2l_config.json naming vision_tower.type "subprocess.Popen"',
                                  lambda d: _s2l_config_edit(d, vision_tower=dict(
                                      type='subprocess.Popen', args=['true'])), S2LInputError,
                                  ('s2l_config.json', 'vision_tower.type', "'subprocess.Popen'")),
    's2l-ckpt-config-deep': ('s2l_config.json nested 200 000 deep',
                             lambda d: (d / 's2l_config.json').write_text(
                                 '[' * 200_000 + ']' * 200_000), InputError,
                             ('s2l_config.json', 'nested too deeply')),
    's2l-ckpt-config-not-utf8': ('s2l_config.json in Latin-1 (not UTF-8)',
                                 lambda d: (d / 's2l_config.json').write_bytes(
                                     '{"llm": "caf\u00e9"}'.encode('latin-1')), InputError,
                                 ('s2l_config.json', 'not UTF-8')),
    's2l-ckpt-adapter-corrupt': ('adapter_model.safetensors holding random bytes',
                                 lambda d: (d / 'adapter' / 'adapter_model.safetensors')
                                 .write_bytes(bytes(range(256)) * 8), S2LInputError,
                                 ('adapter_model.safetensors', 'not a complete safetensors')),
    's2l-ckpt-adapter-pickle': ('adapter_model.safetensors that is really a pickle',
                                lambda d: (d / 'adapter' / 'adapter_model.safetensors')
                                .write_bytes(__import__('pickle').dumps({'w': [1.0]})),
                                S2LInputError,
                                ('adapter_model.safetensors', 'not a complete safetensors')),
    's2l-ckpt-heads-truncated': ('truncated heads.safetensors',
                                 lambda d: _cut(d / 'heads.safetensors'), ValueError,
                                 ('heads.safetensors', 'not a complete safetensors')),
    's2l-ckpt-config-malformed': ('s2l_config.json cut mid-file',
                                  lambda d: _cut(d / 's2l_config.json'), ValueError,
                                  ('s2l_config.json', 'not valid JSON')),
    's2l-ckpt-config-not-s2l': ('s2l_config.json holding {}',
                                lambda d: (d / 's2l_config.json').write_text('{}'), ValueError,
                                ('s2l_config.json', 'not an S2L config')),
}


def _s2l_config_edit(folder: Path, **keys: Any) -> None:
    path = folder / 's2l_config.json'
    path.write_text(json.dumps(dict(json.loads(path.read_text()), **keys)))


def _s2l_ckpt_case(id: str, bad_input: str, damage: Callable[[Path], None], error: type,
                   names: tuple[str, ...]) -> None:
    @case(id, 's2l', 'checkpoint', bad_input, 'S2LModel.from_pretrained (mms2l infer/ask)',
          error, 'file', timeout=180)
    def _(tmp):
        folder, call = _broken_s2l(tmp, damage)
        return Trial(call, (str(folder), *names))


for _id, (_bad, _damage, _error, _names) in _S2L_DAMAGE.items():
    _s2l_ckpt_case(_id, _bad, _damage, _error, _names)


@case('s2l-model-frames-no-channel', 's2l', 'array',
      'frames tensor (T, H, W) without channel axis reaching the model',
      'S2LDataPreprocessor (training / mms2l infer)', ValueError, 'sample + video')
def _(tmp):
    import torch

    from mms2l.models.data_preprocessor import S2LDataPreprocessor
    batch = dict(inputs=dict(frames=[torch.zeros(4, 32, 32, dtype=torch.uint8)],
                             input_ids=torch.zeros(1, 6, dtype=torch.long),
                             attention_mask=torch.ones(1, 6, dtype=torch.long),
                             labels=torch.zeros(1, 6, dtype=torch.long),
                             vid_frames=[torch.zeros(0, dtype=torch.long)]),
                 data_samples=[dict(idx=0, video='clip.mp4')])
    return Trial(lambda: S2LDataPreprocessor()(batch), ('sample 0', 'clip.mp4'))


# ---------------------------------------------------------------- s2l: ETBench files
def _etbench_file(tmp: Path, items: Any, name: str = 'etbench.json') -> Path:
    path = tmp / name
    path.write_text(items if isinstance(items, str) else json.dumps(items))
    return path


@case('etbench-annotations-malformed', 's2l', 'json', 'ETBench annotation json cut mid-file',
      'mms2l infer (load_annotations)', ValueError, 'file')
def _(tmp):
    from mms2l.etbench import load_annotations
    path = _etbench_file(tmp, '[{"idx": 0, ')
    return Trial(lambda: load_annotations(path), (str(path), 'not valid JSON'))


@case('etbench-annotations-empty', 's2l', 'json', 'ETBench annotation json holding []',
      'mms2l infer (load_annotations)', ValueError, 'file')
def _(tmp):
    from mms2l.etbench import load_annotations
    path = _etbench_file(tmp, [])
    return Trial(lambda: load_annotations(path), (str(path), 'empty'))


@case('etbench-src-count', 's2l', 'json', 'ETBench sample with 2 <vid> tokens and 1 src time',
      'mms2l infer (load_annotations)', ValueError, 'sample')
def _(tmp):
    from mms2l.etbench import load_annotations
    sample = dict(idx=4, task='tvg', source='charades', video='v.mp4', duration=10.0,
                  q='between <vid> and <vid> ?', src=[2.0], tgt=[[1.0, 2.0]], p=0, a='')
    path = _etbench_file(tmp, [sample])
    return Trial(lambda: load_annotations(path), ('sample idx 4', '2 <vid>', '1 times'))


@case('etbench-predictions-malformed', 's2l', 'json', 'ETBench prediction file cut mid-file',
      'mms2l evaluate (load_predictions)', ValueError, 'file')
def _(tmp):
    from mms2l.evaluation.etbench_data import load_predictions
    path = _etbench_file(tmp, '[{"idx": 0, "task": "tvg", ', 'preds.json')
    return Trial(lambda: load_predictions([path]), (str(path), 'not valid JSON'))


@case('etbench-predictions-missing-key', 's2l', 'json', 'ETBench prediction without its answer a',
      'mms2l evaluate (load_predictions)', ValueError, 'file + sample + key')
def _(tmp):
    from mms2l.evaluation.etbench_data import load_predictions
    path = _etbench_file(tmp, [dict(idx=0, task='tvg', source='charades', video='v.mp4',
                                    tgt=[[1.0, 2.0]])], 'preds.json')
    return Trial(lambda: load_predictions([path]), (str(path), "'a'"))


@case('etbench-annotations-deep', 's2l', 'json', 'ETBench annotation json nested 200 000 deep',
      'mms2l infer (load_annotations)', InputError, 'file')
def _(tmp):
    from mms2l.etbench import load_annotations
    path = _etbench_file(tmp, '[' * 200_000 + ']' * 200_000)
    return Trial(lambda: load_annotations(path), (str(path), 'nested too deeply'))


@case('etbench-annotations-not-utf8', 's2l', 'json', 'ETBench annotation json in Latin-1',
      'mms2l infer (load_annotations)', InputError, 'file')
def _(tmp):
    from mms2l.etbench import load_annotations
    path = tmp / 'etbench.json'
    path.write_bytes('[{"q": "caf\u00e9"}]'.encode('latin-1'))
    return Trial(lambda: load_annotations(path), (str(path), 'not UTF-8'))


@case('etbench-predictions-empty', 's2l', 'json', 'ETBench prediction files all holding []',
      'mms2l evaluate (load_predictions)', S2LInputError, 'file')
def _(tmp):
    from mms2l.evaluation.etbench_data import load_predictions
    path = _etbench_file(tmp, [], 'preds.json')
    return Trial(lambda: load_predictions([path]), (str(path), 'no prediction samples'))


@case('etbench-predictions-duplicate-idx', 's2l', 'json',
      'two prediction files answering the same idx', 'mms2l evaluate (load_predictions)',
      S2LInputError, 'both files + idx')
def _(tmp):
    from mms2l.evaluation.etbench_data import load_predictions
    sample = dict(idx=7, task='tvg', source='charades', video='v.mp4', tgt=[1.0, 2.0],
                  a='1.0 - 2.0 seconds.')
    first = _etbench_file(tmp, [sample], 'run1.json')
    second = _etbench_file(tmp, [sample], 'run2.json')
    return Trial(lambda: load_predictions([tmp]), (str(first), str(second), 'idx 7', 'twice'))


def _short_video(tmp: Path, seconds: int = 2, fps: int = 5) -> Path:
    """A real ``seconds`` s mpeg4 video at ``fps``."""
    import av
    path = tmp / 'short.mp4'
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=fps)
        stream.width = stream.height = 32
        stream.pix_fmt = 'yuv420p'
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 20 * i, np.uint8),
                                               format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@case('etsum-duration-mismatch', 's2l', 'video', 'ETSum sample stating 300 s for a 2 s video',
      'ETSumDataset (training / evaluation)', S2LWarning, 'file + sample + both durations',
      fallback='the stated duration is used as given')
def _(tmp):
    from mms2l.datasets import ETSumDataset
    video = _short_video(tmp)
    path, _ = _etsum(tmp, [dict(_GOOD, video=str(video), duration=300.0)])

    def call():
        return ETSumDataset(ann_file=str(path), lazy_init=False,
                            serialize_data=False).get_data_info(0)

    def check(info):
        assert info['duration'] == 300.0
    return Trial(call, (str(path), 'sample 0', 'duration 300 s', 'lasts 2 s'), check)


@case('etbench-duration-mismatch-strict', 's2l', 'video',
      'ETBench sample stating 300 s for a 2 s video, --strict', 'mms2l infer --strict '
      '(infer_sample)', S2LInputError, 'sample + video + both durations')
def _(tmp):
    from mms2l.etbench_infer import infer_sample
    video = _short_video(tmp)
    sample = dict(idx=3, task='tvg', source='charades', video=video.name, duration=300.0,
                  q='when ?')
    return Trial(lambda: infer_sample(None, None, sample, tmp, strict=True),
                 ('sample idx 3', str(video), 'duration 300 s', 'lasts 2 s'))


@case('s2l-ask-blank-query', 's2l', 's2l', 'mms2l ask VIDEO "  " (blank query)',
      'mms2l ask', S2LInputError, 'option')
def _(tmp):
    from mms2l.cli import build_parser
    video = _short_video(tmp)
    args = build_parser().parse_args(['ask', str(video), '  ', '--checkpoint', str(tmp),
                                      '--out', str(tmp / 'out')])
    return Trial(lambda: args.func(args), ('the query is empty',))


# ---------------------------------------------------------------- the test
def _param(c: Case):
    return pytest.param(c, id=c.id, marks=pytest.mark.timeout(c.timeout))


@pytest.mark.parametrize('bad', [_param(c) for c in CASES])
def test_bad_input(bad: Case, tmp_path):
    trial = bad.setup(tmp_path)
    if bad.outcome == 'error':
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            with pytest.raises(bad.expect) as info:
                trial.call()
        message = str(info.value)
        assert all(name in message for name in trial.names), \
            f'{type(info.value).__name__} does not name {trial.names}: {message}'
        return
    with pytest.warns(bad.expect) as record:
        result = trial.call()
    messages = [str(w.message) for w in record]
    assert any(all(name in m for name in trial.names) for m in messages), \
        f'no warning names {trial.names}: {messages}'
    _finite(result)
    trial.check(result)


def test_matrix_is_complete():
    """The issue asks for at least 40 cases over every kind of input and package."""
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.package for c in CASES} >= {'shared', 'pixcon', 'vsumm', 's2l'}
    assert {c.kind for c in CASES} >= {'image', 'video', 'json', 'h5', 'tsv', 'array',
                                       'checkpoint'}
    assert all(c.fallback for c in CASES if c.outcome != 'error')


def test_docs_table_is_generated_from_these_cases():
    from .matrix_doc import DOC, render
    current = DOC.read_text()
    assert render(current) == current, \
        'docs/reliability.md is stale: run python -m tests.reliability.matrix_doc'
