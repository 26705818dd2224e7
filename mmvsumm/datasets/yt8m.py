"""YouTube-8M frame-level TFRecords as an MMEngine dataset, read lazily.

Only the byte offset of each record is kept (16 bytes a video, from the record
headers alone); a video is read, CRC-checked and dequantised when the sampler asks
for it, so 10,000 videos never have to be in memory at once.
"""
from __future__ import annotations

from typing import Sequence

from mmengine.dataset import BaseDataset

from ..errors import VSummInputError
from ..io.tfrecord import index_tfrecords, read_tfrecord
from ..io.yt8m import FEATURE_SIZES, parse_yt8m_record, yt8m_files
from ..registry import DATASETS
from ..scores import l2_normalize
from .sampling import EpochResampling, resample_features

__all__ = ['YT8MFrameDataset']


@DATASETS.register_module()
class YT8MFrameDataset(EpochResampling, BaseDataset):
    """Videos of YouTube-8M frame-level files; items are ``dict(name, features, labels)``.

    Args:
        ann_file: a glob pattern of the TFRecord files (joined to ``data_root``),
            e.g. ``'frame/train*.tfrecord'``.
        features: feature lists to concatenate: ``('rgb',)`` (1024-d, the thesis's
            transfer setting) and/or ``'audio'`` (128-d).
        frames: when set, each item's features are resampled to this many steps (a
            random sorted subset, or nearest-neighbour upsampling), for training.
        max_videos: keep only the first N records (in sorted file order).
        verify_crc: check the CRC of every record's data (the length CRC always is).
        l2_normalize: scale each frame to unit L2 norm (the release's YouTube-8M loader).
    """

    METAINFO = dict(task='video summarization')

    def __init__(self, ann_file: str, features: Sequence[str] = ('rgb',),
                 frames: int | None = None, max_videos: int | None = None,
                 verify_crc: bool = True, l2_normalize: bool = False, **kwargs) -> None:
        unknown = [f for f in features if f not in FEATURE_SIZES]
        if not features or unknown:
            raise VSummInputError(f'features must be a non-empty subset of '
                                  f'{tuple(FEATURE_SIZES)}, got {tuple(features)}')
        if frames is not None and frames < 1:
            raise VSummInputError(f'frames must be >= 1, got {frames}')
        self.features = tuple(features)
        self.frames = frames
        self.max_videos = max_videos
        self.verify_crc = verify_crc
        self.l2_normalize = l2_normalize
        super().__init__(ann_file=ann_file, **kwargs)

    @property
    def feature_dim(self) -> int:
        """Size of one frame's feature vector (1024 for ``rgb``)."""
        return sum(FEATURE_SIZES[f] for f in self.features)

    def load_data_list(self) -> list[dict]:
        entries = []
        for path in yt8m_files(self.ann_file):
            entries += [dict(file=str(path), offset=o) for o in index_tfrecords(path)]
            if self.max_videos is not None and len(entries) >= self.max_videos:
                return entries[:self.max_videos]
        return entries

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        data = read_tfrecord(info['file'], info['offset'], self.verify_crc)
        video = parse_yt8m_record(data, self.features, f"{info['file']}@{info['offset']}")
        feats = video.features
        if self.frames is not None:
            feats = resample_features(feats, self.frames, self.resample_rng(idx))
        if self.l2_normalize:
            feats = l2_normalize(feats)
        return self.pipeline(dict(name=f'yt8m/{video.id}', features=feats,
                                  labels=video.labels, source=video.source))
