"""Reading answered ETBench samples: JSON/JSONL files in the official schema (a
list of dicts with ``idx``, ``task``, ``source``, ``video``, ``tgt``, ``p``,
``o``, ``g``, ... and the model's answer ``a``), checked field by field, with an
error naming the file and sample for anything the scorers cannot use."""
from __future__ import annotations

import json
import math
from numbers import Real
from pathlib import Path
from typing import Iterable

from ..datasets.etsum import read_samples

__all__ = ['ETBENCH_TASKS', 'ETBenchInputError', 'load_predictions', 'load_subset',
           'apply_subset', 'group_samples']

#: task codes, in the order of thesis table 4.1.
ETBENCH_TASKS = ('rar', 'eca', 'rvq', 'tvg', 'epm', 'tal', 'evs', 'vhd', 'dvc', 'slc', 'tem',
                 'gvq')
#: tasks whose samples carry options ``o`` and the answer's index ``p``.
CHOICE_TASKS = ('rar', 'eca', 'rvq', 'gvq')
_ONE_SPAN_TASKS = {'tvg', 'epm', 'gvq'}
_SPAN_LIST_TASKS = {'tem', 'tal', 'evs', 'dvc', 'slc'}


class ETBenchInputError(ValueError):
    """A prediction file or one of its samples cannot be scored."""


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _span(value, what: str) -> list:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(_is_number(v) for v in value)):
        raise ETBenchInputError(f'{what} must be a span [start, end] of two numbers, got {value!r}')
    start, end = value
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
        raise ETBenchInputError(f'{what} must satisfy 0 <= start <= end (finite), got {value!r}')
    return list(value)


def _span_list(value, what: str) -> list:
    if not isinstance(value, (list, tuple)) or not value:
        raise ETBenchInputError(f'{what} must be a non-empty list of spans, got {value!r}')
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
        raise ETBenchInputError(f'{where}: a sample must be a JSON object, '
                                f'got {type(sample).__name__}')
    missing = [key for key in ('idx', 'task', 'source', 'a') if key not in sample]
    if missing:
        raise ETBenchInputError(f'{where}: missing key(s) {missing}')
    if not isinstance(sample['idx'], (int, str)):
        raise ETBenchInputError(f"{where}: 'idx' must be an integer or a string, "
                                f"got {sample['idx']!r}")
    task = sample['task']
    where = f"{where} (idx={sample['idx']!r}, task={task!r}, source={sample['source']!r})"
    if task not in ETBENCH_TASKS:
        raise ETBenchInputError(f'{where}: unknown task {task!r}; '
                                f'known: {", ".join(ETBENCH_TASKS)}')
    if not isinstance(sample['a'], str):
        raise ETBenchInputError(f"{where}: the answer 'a' must be text, got {sample['a']!r}")
    needed = (['o', 'p'] if task in CHOICE_TASKS else []) + \
        (['tgt'] if task not in {'rar', 'eca', 'rvq'} else []) + \
        (['g', 'video'] if task in {'dvc', 'slc'} else [])
    missing = [key for key in needed if key not in sample]
    if missing:
        raise ETBenchInputError(f'{where}: missing key(s) {missing} needed by task {task!r}')
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
                raise ETBenchInputError(f"'o' must list 4 or 5 options, got {options!r}")
            for i, opt in enumerate(options):
                if not isinstance(opt, str):
                    _span(opt, f"'o'[{i}]")
            if not isinstance(sample['p'], int) or isinstance(sample['p'], bool) \
                    or not 0 <= sample['p'] < len(options):
                raise ETBenchInputError(f"'p' must index one of the {len(options)} options, "
                                        f"got {sample['p']!r}")
        if task in {'dvc', 'slc'}:
            captions = sample['g']
            if (not isinstance(captions, list) or len(captions) != len(out['tgt'])
                    or not all(isinstance(c, str) for c in captions)):
                raise ETBenchInputError(f"'g' must list one caption per 'tgt' span "
                                        f"({len(out['tgt'])}), got {captions!r}")
            if not isinstance(sample['video'], str):
                raise ETBenchInputError(f"'video' must be a path string, got {sample['video']!r}")
    except ETBenchInputError as exc:
        raise ETBenchInputError(f'{where}: {exc}') from None
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
            raise ETBenchInputError(f'{path}: no such file or directory')
    if not files:
        raise ETBenchInputError(f'no prediction files in {list(map(str, paths))}')
    return files


def load_predictions(paths: Iterable[str | Path]) -> list[dict]:
    """Every sample of the given JSON/JSONL files (a folder: its ``*.json``/``*.jsonl``
    except ``metrics*``), checked; raises :class:`ETBenchInputError` naming the
    file and sample at the first problem."""
    samples = []
    for path in _expand(paths):
        for pos, sample in enumerate(read_samples(path, ETBenchInputError, allow_empty=True)):
            samples.append(_check_sample(sample, f'{path}: sample #{pos}'))
    return samples


def load_subset(path: str | Path) -> dict[str, dict[str, set]]:
    """The official subset file (``evaluation/subset.json`` of the ETBench release:
    ``{task: {source: [idx, ...]}}``, 470 samples) as sets of ``idx``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, json.JSONDecodeError) as exc:
        raise ETBenchInputError(f'{path}: cannot read the subset ({exc})') from None
    if not isinstance(data, dict) or not all(
            isinstance(s, dict) and all(isinstance(i, list) for i in s.values())
            for s in data.values()):
        raise ETBenchInputError(f'{path}: a subset must map task -> source -> [idx, ...]')
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
