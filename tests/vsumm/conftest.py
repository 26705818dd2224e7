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
