"""The eccv16 h5 files as an MMEngine dataset (one item per video)."""
from __future__ import annotations

import numpy as np
from mmengine.dataset import BaseDataset

from ..errors import VSummInputError
from ..io.h5 import read_eccv16
from ..io.tvsum_anno import attach_tvsum_scores
from ..registry import DATASETS
from ..splits import h5_stem, read_splits, shipped_split_file

__all__ = ['Eccv16Dataset', 'select_keys']


def select_keys(dataset: str, split_file: str | None, setting: str, split_index: int,
                subset: str) -> list[str] | None:
    """Video keys of ``dataset`` in one split's subset; None = every video."""
    if split_file is None and setting is None:
        return None
    splits = read_splits(split_file or shipped_split_file(dataset, setting))
    if not 0 <= split_index < len(splits):
        raise VSummInputError(f'split index {split_index} out of range: '
                              f'{len(splits)} splits')
    keys = getattr(splits[split_index], f'{subset}_keys')
    stem = h5_stem(dataset)
    return [key.split('/')[1] for key in keys if key.split('/')[0] == stem]


@DATASETS.register_module()
class Eccv16Dataset(BaseDataset):
    """Videos of one eccv16 h5 file; items are ``dict(name, features, record)``.

    Args:
        ann_file: the h5 file.
        dataset: ``tvsum``, ``summe``, ``ovp`` or ``youtube`` (protocol and split keys).
        tvsum_anno: ``ydata-tvsum50-anno.tsv[.gz]`` to attach TVSum's annotator scores.
        split_file: DSNet yml / VASNet json splits; default the shipped ones of
            ``setting`` when a setting is given, else every video.
        setting: ``canonical``, ``augmented`` or ``transfer``.
        split_index: which split of the file.
        subset: ``test`` or ``train``.
        frames: when set, each item's features are resampled to this many steps (a
            random sorted subset, or nearest-neighbour upsampling), for training.
    """

    METAINFO = dict(task='video summarization')

    def __init__(self, ann_file: str, dataset: str = 'tvsum', tvsum_anno: str | None = None,
                 split_file: str | None = None, setting: str | None = None,
                 split_index: int = 0, subset: str = 'test', frames: int | None = None,
                 **kwargs) -> None:
        if subset not in ('test', 'train'):
            raise VSummInputError(f"subset must be 'test' or 'train', got {subset!r}")
        self.dataset = dataset
        self.tvsum_anno = tvsum_anno
        self.frames = frames
        self.keys = select_keys(dataset, split_file, setting, split_index, subset)
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> list[dict]:
        records = read_eccv16(self.ann_file, self.keys)
        if self.tvsum_anno is not None:
            attach_tvsum_scores(records, self.tvsum_anno)
        return [dict(name=r.name, features=r.features, record=r) for r in records.values()]


    def prepare_data(self, idx: int) -> dict:
        item = super().prepare_data(idx)
        if self.frames is not None:
            from ..refine import resample_indices
            rng = np.random.default_rng(np.random.randint(2**31))  # follows mmengine's seed
            steps = resample_indices(len(item['features']), self.frames, rng)
            item = dict(item, features=item['features'][steps])
        return item
