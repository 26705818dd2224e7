"""Train/test splits: the canonical, augmented and transfer settings.

A split key is ``<h5 stem>/<video key>``, e.g.
``eccv16_dataset_tvsum_google_pool5/video_7``. Readers accept the formats the
field uses -- DSNet's yml (``- test_keys: [../datasets/<file>.h5/video_7, ...]``
with ``train_keys``) and VASNet's json (a list of ``{"train_keys", "test_keys"}``
with ``<h5 stem>/video_7`` keys) -- and normalise their keys to this form.

Shipped files (``mmvsumm/split_files/{tvsum,summe}_{canonical,augmented,transfer}.yml``,
DSNet yml layout) are made by :func:`make_splits` with seed 0 (see docs/vsumm.md):

* canonical: the target's videos shuffled and cut into 5 disjoint test folds of
  20 % (5-fold cross-validation); train = the rest of the target.
* augmented: the same test folds; train adds every video of the other three
  datasets.
* transfer: one split; test = all of the target, train = the other three.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from mmcontrast.fileio import write_text_atomic

from .errors import VSummInputError

__all__ = ['Split', 'DATASETS', 'SETTINGS', 'h5_stem', 'dataset_keys', 'make_splits',
           'read_splits', 'write_dsnet_yml', 'shipped_split_file', 'split_key']

SETTINGS = ('canonical', 'augmented', 'transfer')
# Video keys of the public eccv16 h5 files (YouTube: 39 videos, video_11..video_50
# without video_22, as listed in the splits published with DSNet and VASNet).
DATASETS = {
    'tvsum': [f'video_{i}' for i in range(1, 51)],
    'summe': [f'video_{i}' for i in range(1, 26)],
    'ovp': [f'video_{i}' for i in range(1, 51)],
    'youtube': [f'video_{i}' for i in range(11, 51) if i != 22],
}


@dataclass(frozen=True)
class Split:
    """One train/test split; keys are ``<h5 stem>/<video key>``."""

    train_keys: tuple[str, ...]
    test_keys: tuple[str, ...]


def h5_stem(dataset: str) -> str:
    """``eccv16_dataset_<dataset>_google_pool5``."""
    return f'eccv16_dataset_{dataset}_google_pool5'


def split_key(raw: str) -> str:
    """Normalise ``[dir/]<file>[.h5]/<video>`` to ``<file stem>/<video>``."""
    parts = str(raw).replace('\\', '/').rstrip('/').split('/')
    if len(parts) < 2 or not parts[-1]:
        raise VSummInputError(f'split key {raw!r} is not of the form <h5 file>/<video key>')
    return f'{parts[-2].removesuffix(".h5")}/{parts[-1]}'


def dataset_keys(dataset: str) -> list[str]:
    """All split keys of one dataset."""
    if dataset not in DATASETS:
        raise VSummInputError(f'unknown dataset {dataset!r}; known: {sorted(DATASETS)}')
    return [f'{h5_stem(dataset)}/{key}' for key in DATASETS[dataset]]


def make_splits(target: str, setting: str, num_splits: int = 5, seed: int = 0) -> list[Split]:
    """Seeded splits of ``target`` for one setting (see the module docstring)."""
    if setting not in SETTINGS:
        raise VSummInputError(f'setting must be one of {SETTINGS}, got {setting!r}')
    own = dataset_keys(target)
    others = [key for name in DATASETS if name != target for key in dataset_keys(name)]
    if setting == 'transfer':
        return [Split(tuple(others), tuple(own))]
    order = np.random.default_rng(seed).permutation(len(own))
    folds = np.array_split(order, num_splits)
    splits = []
    for fold in folds:
        test = [own[i] for i in sorted(fold)]
        train = [key for key in own if key not in test]
        if setting == 'augmented':
            train += others
        splits.append(Split(tuple(train), tuple(test)))
    return splits


def write_dsnet_yml(splits: list[Split], path: str | Path, prefix: str = '') -> None:
    """Write splits in DSNet's yml layout (keys ``<prefix><stem>.h5/<video>``)."""
    def full(key: str) -> str:
        stem, video = key.split('/')
        return f'{prefix}{stem}.h5/{video}'
    data = [{'test_keys': [full(k) for k in s.test_keys],
             'train_keys': [full(k) for k in s.train_keys]} for s in splits]
    write_text_atomic(path, yaml.safe_dump(data, sort_keys=False))


def read_splits(path: str | Path) -> list[Split]:
    """Splits from a DSNet yml or VASNet json file (chosen by the suffix).

    Raises:
        VSummInputError: unreadable file, missing ``train_keys``/``test_keys``,
            malformed key (naming the file and the split index).
    """
    path = Path(path)
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == '.json' else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise VSummInputError(f'{path}: cannot read splits ({exc})') from exc
    if not isinstance(data, list) or not data:
        raise VSummInputError(f'{path}: expected a non-empty list of splits')
    splits = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not {'train_keys', 'test_keys'} <= set(entry):
            raise VSummInputError(f'{path}: split {index}: needs train_keys and test_keys')
        try:
            splits.append(Split(tuple(split_key(k) for k in entry['train_keys']),
                                tuple(split_key(k) for k in entry['test_keys'])))
        except VSummInputError as exc:
            raise VSummInputError(f'{path}: split {index}: {exc}') from exc
    return splits


def shipped_split_file(dataset: str, setting: str) -> Path:
    """Path of a shipped split file."""
    path = Path(__file__).parent / 'split_files' / f'{dataset}_{setting}.yml'
    if not path.is_file():
        raise VSummInputError(f'no shipped split file for {dataset}/{setting} ({path})')
    return path
