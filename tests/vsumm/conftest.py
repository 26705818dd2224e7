"""Synthetic eccv16-layout datasets shared by the evaluation tests."""
import pytest

from mmvsumm.splits import DATASETS

from .h5fixture import make_dataset


@pytest.fixture(scope='session')
def tvsum_h5(tmp_path_factory):
    """(h5, anno, arrays) of a synthetic 50-video TVSum in the exact eccv16 layout."""
    return make_dataset(tmp_path_factory.mktemp('tvsum'), 'tvsum', DATASETS['tvsum'], seed=1)


@pytest.fixture(scope='session')
def summe_h5(tmp_path_factory):
    """(h5, anno, arrays) of a synthetic 25-video SumMe."""
    return make_dataset(tmp_path_factory.mktemp('summe'), 'summe', DATASETS['summe'], seed=2)


@pytest.fixture(scope='session')
def eccv16_folder(tmp_path_factory):
    """One folder with synthetic TVSum, SumMe, OVP and YouTube h5 files (short videos)
    and ``ydata-tvsum50-anno.tsv``, the layout the training configs read."""
    folder = tmp_path_factory.mktemp('eccv16')
    for seed, name in enumerate(DATASETS):
        _, anno, _ = make_dataset(folder, name, DATASETS[name], seed=10 + seed, n_steps=(24, 40))
        if name == 'tvsum':
            anno.rename(folder / 'ydata-tvsum50-anno.tsv')
    return folder
