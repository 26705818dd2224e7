"""The eccv16 h5 files as an MMEngine dataset (one item per video)."""
from __future__ import annotations

from pathlib import Path

from mmengine.dataset import BaseDataset

from ..errors import VSummInputError
from ..io.h5 import read_eccv16
from ..io.tvsum_anno import attach_tvsum_scores
from ..io.yt8m import dequantize
from ..registry import DATASETS
from ..splits import h5_stem, read_splits, shipped_split_file
from .sampling import EpochResampling, resample_features

__all__ = ['Eccv16Dataset', 'select_keys']


def select_keys(dataset: str, split_file: str | None, setting: str | None, split_index: int,
                subset: str) -> dict[str, list[str]] | None:
    """Video keys of one split's subset grouped by h5 stem (augmented and transfer
    training sets span several files); None = every video of ``dataset``."""
    if split_file is None and setting is None:
        return None
    splits = read_splits(split_file or shipped_split_file(dataset, setting))
    if not 0 <= split_index < len(splits):
        raise VSummInputError(f'split index {split_index} out of range: '
                              f'{len(splits)} splits')
    grouped: dict[str, list[str]] = {}
    for key in getattr(splits[split_index], f'{subset}_keys'):
        stem, video = key.split('/')
        grouped.setdefault(stem, []).append(video)
    return grouped


@DATASETS.register_module()
class Eccv16Dataset(EpochResampling, BaseDataset):
    """Videos of eccv16 h5 files; items are ``dict(name, features, record)``.

    Args:
        ann_file: the h5 file of ``dataset``. Keys of other datasets (augmented and
            transfer training sets) are read from ``<stem>.h5`` in the same folder,
            e.g. ``eccv16_dataset_ovp_google_pool5.h5``.
        dataset: ``tvsum``, ``summe``, ``ovp`` or ``youtube`` (protocol and split keys).
        tvsum_anno: ``ydata-tvsum50-anno.tsv[.gz]`` to attach TVSum's annotator scores.
        split_file: DSNet yml / VASNet json splits; default the shipped ones of
            ``setting`` when a setting is given, else every video.
        setting: ``canonical``, ``augmented`` or ``transfer``.
        split_index: which split of the file.
        subset: ``test`` or ``train``.
        frames: when set, each item's features are resampled to this many steps (a
            random sorted subset, or nearest-neighbour upsampling), for training;
            repeatable across ``--resume`` (see :mod:`mmvsumm.datasets.sampling`).
        dequantize: the features are YouTube-8M-style uint8 codes (the release's
            ``{tvsum,summe}_inception_v3.h5``); map them back to floats.
    """

    METAINFO = dict(task='video summarization')

    def __init__(self, ann_file: str, dataset: str = 'tvsum', tvsum_anno: str | None = None,
                 split_file: str | None = None, setting: str | None = None,
                 split_index: int = 0, subset: str = 'test', frames: int | None = None,
                 dequantize: bool = False, **kwargs) -> None:
        if subset not in ('test', 'train'):
            raise VSummInputError(f"subset must be 'test' or 'train', got {subset!r}")
        self.dataset = dataset
        self.tvsum_anno = tvsum_anno
        self.frames = frames
        self.dequantize = dequantize
        self.keys = select_keys(dataset, split_file, setting, split_index, subset)
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, **kwargs)

    def _h5_files(self) -> dict[str, Path]:
        """The h5 file of each stem to read."""
        own = Path(self.ann_file)
        if self.keys is None:
            return {h5_stem(self.dataset): own}
        files = {}
        for stem in self.keys:
            path = own if stem in (own.stem, h5_stem(self.dataset)) else own.with_name(
                stem + '.h5')
            if not path.is_file():
                raise VSummInputError(f'{path}: not found; the split needs videos of {stem} '
                                      f'(put {stem}.h5 next to {own.name})')
            files[stem] = path
        return files

    def load_data_list(self) -> list[dict]:
        items = []
        for stem, path in self._h5_files().items():
            records = read_eccv16(path, None if self.keys is None else self.keys[stem])
            if self.tvsum_anno is not None and stem == h5_stem('tvsum'):
                attach_tvsum_scores(records, self.tvsum_anno)
            for r in records.values():
                if self.dequantize:
                    r.features = dequantize(r.features)
                items.append(dict(name=r.name, features=r.features, record=r))
        return items

    def prepare_data(self, idx: int) -> dict:
        item = super().prepare_data(idx)
        if self.frames is not None:
            item = dict(item, features=resample_features(item['features'], self.frames,
                                                        self.resample_rng(idx)))
        return item
