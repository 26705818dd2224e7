"""Shipped split files: reproducible from the documented seed, disjoint 5-fold tests."""
import subprocess
import sys
from pathlib import Path

import pytest

from mmvsumm.splits import DATASETS, SETTINGS, dataset_keys, read_splits, shipped_split_file


def test_shipped_files_are_what_python_m_mmvsumm_splits_writes(tmp_path):
    subprocess.run([sys.executable, '-m', 'mmvsumm', 'splits', '--out', str(tmp_path),
                    '--seed', '0'], check=True, capture_output=True)
    for dataset in ('tvsum', 'summe'):
        for setting in SETTINGS:
            made = (tmp_path / f'{dataset}_{setting}.yml').read_text()
            assert made == shipped_split_file(dataset, setting).read_text()


@pytest.mark.parametrize('dataset', ['tvsum', 'summe'])
def test_canonical_and_augmented_folds(dataset):
    own = set(dataset_keys(dataset))
    others = {k for name in DATASETS if name != dataset for k in dataset_keys(name)}
    canon = read_splits(shipped_split_file(dataset, 'canonical'))
    aug = read_splits(shipped_split_file(dataset, 'augmented'))
    tests = [set(s.test_keys) for s in canon]
    assert len(canon) == len(aug) == 5
    assert set().union(*tests) == own and sum(map(len, tests)) == len(own)  # disjoint folds
    for c, a in zip(canon, aug):
        assert len(c.test_keys) == len(own) // 5
        assert set(c.train_keys) == own - set(c.test_keys)
        assert a.test_keys == c.test_keys and set(a.train_keys) == set(c.train_keys) | others
    (trans,) = read_splits(shipped_split_file(dataset, 'transfer'))
    assert set(trans.test_keys) == own and set(trans.train_keys) == others


def test_dataset_sizes():
    assert {k: len(v) for k, v in DATASETS.items()} == dict(tvsum=50, summe=25, ovp=50,
                                                            youtube=39)
    assert Path(shipped_split_file('tvsum', 'canonical')).suffix == '.yml'
