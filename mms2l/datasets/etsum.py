"""ETSum-style dataset: a JSON list of videos with a query and per-segment summaries."""
from __future__ import annotations

import json
from pathlib import Path

from mmengine.dataset import BaseDataset

from ..registry import DATASETS


@DATASETS.register_module()
class ETSumDataset(BaseDataset):
    """Samples ``{"video", "q", "duration"?, "segments"?: [[s, e], ...] (seconds),
    "summaries"?: [str, ...], "vid_times"?: [t, ...], "task"?}``.

    ``video`` is relative to ``data_prefix['video']``. A training sample needs one
    summary per segment (the answer closes each summary with ``<loc>``). A ``.jsonl``
    file (one sample per line, as :mod:`mms2l.etsum_builder` writes) works too.
    """

    def __init__(self, *args, data_prefix: dict | None = None, **kwargs) -> None:
        super().__init__(*args, data_prefix=data_prefix or dict(video=''), **kwargs)

    def load_data_list(self) -> list[dict]:
        items = read_samples(self.ann_file)
        return [self._parse(item, idx) for idx, item in enumerate(items)]

    def _parse(self, item: dict, idx: int) -> dict:
        where = f'{self.ann_file} sample {idx}'
        if not isinstance(item, dict):
            raise ValueError(f'{where}: expected an object, got {type(item).__name__}')
        missing = [key for key in ('video', 'q') if key not in item]
        if missing:
            raise KeyError(f'{where}: missing {", ".join(map(repr, missing))} '
                           f'(has {sorted(item)})')
        segments = item.get('segments') or []
        summaries = item.get('summaries') or []
        if summaries and len(summaries) != len(segments):
            raise ValueError(f'{where}: {len(summaries)} summaries but {len(segments)} segments')
        return dict(idx=item.get('idx', idx), task=item.get('task', 'tvg'),
                    video_path=str(Path(self.data_prefix['video']) / item['video']),
                    query=item['q'], duration=item.get('duration'), segments=segments,
                    summaries=summaries, vid_times=item.get('vid_times') or [])


def read_samples(path: str | Path, error: type[ValueError] = ValueError,
                 allow_empty: bool = False) -> list:
    """A JSON list, or JSON lines for ``.jsonl``, non-empty unless ``allow_empty``;
    raises ``error`` (a ValueError subclass of the caller's choosing) naming the file
    (and line)."""
    text = Path(path).read_text(encoding='utf-8')
    if str(path).endswith('.jsonl'):
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise error(f'{path}: line {number} is not valid JSON ({err})') from err
    else:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as err:
            raise error(f'{path}: not valid JSON ({err})') from err
    if not isinstance(items, list):
        raise error(f'{path}: expected a JSON list of samples, got {type(items).__name__}')
    if not items and not allow_empty:
        raise error(f'{path}: the list of samples is empty (no samples)')
    return items
