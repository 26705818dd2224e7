"""Reading answered ETBench samples: JSON/JSONL files in the official schema (a
list of dicts with ``idx``, ``task``, ``source``, ``video``, ``tgt``, ``p``,
``o``, ``g``, ... and the model's answer ``a``), checked field by field, with an
error naming the file and sample for anything the scorers cannot use."""
from __future__ import annotations

import math
from numbers import Real
from pathlib import Path
from typing import Iterable

from mmcontrast.fileio import read_json

from ..datasets.etsum import read_samples
from ..errors import S2LInputError

__all__ = ['ETBENCH_TASKS', 'load_predictions', 'load_subset',
           'apply_subset', 'group_samples']

#: task codes, in the order of thesis table 4.1.
ETBENCH_TASKS = ('rar', 'eca', 'rvq', 'tvg', 'epm', 'tal', 'evs', 'vhd', 'dvc', 'slc', 'tem',
                 'gvq')
#: tasks whose samples carry options ``o`` and the answer's index ``p``.
CHOICE_TASKS = ('rar', 'eca', 'rvq', 'gvq')
_ONE_SPAN_TASKS = {'tvg', 'epm', 'gvq'}
_SPAN_LIST_TASKS = {'tem', 'tal', 'evs', 'dvc', 'slc'}


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _span(value, what: str) -> list:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(_is_number(v) for v in value)):
        raise S2LInputError(f'{what} must be a span [start, end] of two numbers, got {value!r}')
    start, end = value
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
        raise S2LInputError(f'{what} must satisfy 0 <= start <= end (finite), got {value!r}')
    return list(value)


def _span_list(value, what: str) -> list:
    if not isinstance(value, (list, tuple)) or not value:
        raise S2LInputError(f'{what} must be a non-empty list of spans, got {value!r}')
    return [_span(v, f'{what}[{i}]') for i, v in enumerate(value)]


def _annotators(value, what: str) -> list:
    """VHD windows: one annotator's spans, or a list of annotators' span lists."""
    if (isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple))
            and value[0] and isinstance(value[0][0], (list, tuple))):
        return [_span_list(v, f'{what}[{i}]') for i, v in enumerate(value)]
    return [_span_list(value, what)]


def _check_sample(sample, where: str) -> dict:
    """A shallow copy of one sample with its ground truth checked (VHD windows as
    a list per annotator)."""
    if not isinstance(sample, dict):
        raise S2LInputError(f'{where}: a sample must be a JSON object, '
                                f'got {type(sample).__name__}')
    missing = [key for key in ('idx', 'task', 'source', 'a') if key not in sample]
    if missing:
        raise S2LInputError(f'{where}: missing key(s) {missing}')
    if not isinstance(sample['idx'], (int, str)):
        raise S2LInputError(f"{where}: 'idx' must be an integer or a string, "
                                f"got {sample['idx']!r}")
    task = sample['task']
    where = f"{where} (idx={sample['idx']!r}, task={task!r}, source={sample['source']!r})"
    if task not in ETBENCH_TASKS:
        raise S2LInputError(f'{where}: unknown task {task!r}; '
                                f'known: {", ".join(ETBENCH_TASKS)}')
    if not isinstance(sample['a'], str):
        raise S2LInputError(f"{where}: the answer 'a' must be text, got {sample['a']!r}")
    needed = (['o', 'p'] if task in CHOICE_TASKS else []) + \
        (['tgt'] if task not in {'rar', 'eca', 'rvq'} else []) + \
        (['g', 'video'] if task in {'dvc', 'slc'} else [])
    missing = [key for key in needed if key not in sample]
    if missing:
        raise S2LInputError(f'{where}: missing key(s) {missing} needed by task {task!r}')
    out = dict(sample)
    try:
        if task in _ONE_SPAN_TASKS:
            out['tgt'] = _span(sample['tgt'], "'tgt'")
        elif task in _SPAN_LIST_TASKS:
            out['tgt'] = _span_list(sample['tgt'], "'tgt'")
        elif task == 'vhd':
            out['tgt'] = _annotators(sample['tgt'], "'tgt'")
        if task in CHOICE_TASKS:
            options = sample['o']
            if not isinstance(options, list) or len(options) not in (4, 5):
                raise S2LInputError(f"'o' must list 4 or 5 options, got {options!r}")
            for i, opt in enumerate(options):
                if not isinstance(opt, str):
                    _span(opt, f"'o'[{i}]")
            if not isinstance(sample['p'], int) or isinstance(sample['p'], bool) \
                    or not 0 <= sample['p'] < len(options):
                raise S2LInputError(f"'p' must index one of the {len(options)} options, "
                                        f"got {sample['p']!r}")
        if task in {'dvc', 'slc'}:
            captions = sample['g']
            if (not isinstance(captions, list) or len(captions) != len(out['tgt'])
                    or not all(isinstance(c, str) for c in captions)):
                raise S2LInputError(f"'g' must list one caption per 'tgt' span "
                                        f"({len(out['tgt'])}), got {captions!r}")
            if not isinstance(sample['video'], str):
                raise S2LInputError(f"'video' must be a path string, got {sample['video']!r}")
    except S2LInputError as exc:
        raise S2LInputError(f'{where}: {exc}') from None
    return out


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in ('.json', '.jsonl')
                            and 'metrics' not in p.name)
        elif path.is_file():
            files.append(path)
        else:
            raise S2LInputError(f'{path}: no such file or directory')
    if not files:
        raise S2LInputError(f'no prediction files in {list(map(str, paths))}')
    return files


def load_predictions(paths: Iterable[str | Path]) -> list[dict]:
    """Every sample of the given JSON/JSONL files (a folder: its ``*.json``/``*.jsonl``
    except ``metrics*``), checked; raises :class:`S2LInputError` naming the
    file and sample at the first problem."""
    samples = []
    seen: dict[tuple, str] = {}  # (task, source, idx) -> where it was first read
    files = _expand(paths)
    for path in files:
        for pos, sample in enumerate(read_samples(path, allow_empty=True, what='ETBench predictions')):
            where = f'{path}: sample #{pos}'
            samples.append(_check_sample(sample, where))
            key = (sample['task'], sample['source'], sample['idx'])
            if key in seen:
                raise S2LInputError(
                    f"idx {sample['idx']!r} ({sample['task']}, {sample['source']}) is answered "
                    f'twice: {seen[key]} and {where}; each sample must be scored once, remove '
                    'one of them (or pass only one run\'s files)')
            seen[key] = where
    if not samples:
        raise S2LInputError(f'{", ".join(map(str, files))}: no prediction samples (every list '
                            'is empty)')
    return samples


def load_subset(path: str | Path) -> dict[str, dict[str, set]]:
    """The official subset file (``evaluation/subset.json`` of the ETBench release:
    ``{task: {source: [idx, ...]}}``, 470 samples) as sets of ``idx``."""
    path = Path(path)
    data = read_json(path, 'subset file')
    if not isinstance(data, dict) or not all(
            isinstance(s, dict) and all(isinstance(i, list) for i in s.values())
            for s in data.values()):
        raise S2LInputError(f'{path}: a subset must map task -> source -> [idx, ...]')
    return {task: {source: set(idx) for source, idx in sources.items()}
            for task, sources in data.items()}


def apply_subset(samples: list[dict], subset: dict[str, dict[str, set]]) -> list[dict]:
    """The samples whose ``idx`` the subset lists under their task and source."""
    return [s for s in samples if s['idx'] in subset.get(s['task'], {}).get(s['source'], ())]


def group_samples(samples: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """{task: {source: [samples]}}, tasks and sources in order of first appearance."""
    groups: dict[str, dict[str, list[dict]]] = {}
    for sample in samples:
        groups.setdefault(sample['task'], {}).setdefault(sample['source'], []).append(sample)
    return groups
