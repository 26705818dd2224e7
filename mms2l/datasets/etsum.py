"""ETSum-style dataset: a JSON list of videos with a query and per-segment summaries."""
from __future__ import annotations

from pathlib import Path

from mmengine.dataset import BaseDataset

from mmcontrast.fileio import read_json, read_json_lines

from ..durations import check_duration
from ..errors import S2LInputError
from ..registry import DATASETS


@DATASETS.register_module()
class ETSumDataset(BaseDataset):
    """Samples ``{"video", "q", "duration"?, "segments"?: [[s, e], ...] (seconds),
    "summaries"?: [str, ...], "vid_times"?: [t, ...], "task"?}``.

    ``video`` is relative to ``data_prefix['video']``. A training sample needs one
    summary per segment (the answer closes each summary with ``<loc>``). A ``.jsonl``
    file (one sample per line, as :mod:`mms2l.etsum_builder` writes) works too.
    A sample's ``duration`` that disagrees with its video's by more than a frame warns
    when the sample is loaded (``strict_duration=True``: an error).
    """

    def __init__(self, *args, data_prefix: dict | None = None, strict_duration: bool = False,
                 **kwargs) -> None:
        self.strict_duration = strict_duration
        super().__init__(*args, data_prefix=data_prefix or dict(video=''), **kwargs)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        check_duration(f'{self.ann_file} sample {info["idx"]}', info['duration'],
                       info['video_path'], self.strict_duration, 'strict_duration=True')
        return info

    def load_data_list(self) -> list[dict]:
        items = read_samples(self.ann_file, what='ETSum annotations')
        return [self._parse(item, idx) for idx, item in enumerate(items)]

    def _parse(self, item: dict, idx: int) -> dict:
        where = f'{self.ann_file} sample {idx}'
        if not isinstance(item, dict):
            raise S2LInputError(f'{where}: expected an object, got {type(item).__name__}')
        missing = [key for key in ('video', 'q') if key not in item]
        if missing:
            raise S2LInputError(f'{where}: missing {", ".join(map(repr, missing))} '
                           f'(has {sorted(item)})')
        segments = item.get('segments') or []
        summaries = item.get('summaries') or []
        if summaries and len(summaries) != len(segments):
            raise S2LInputError(f'{where}: {len(summaries)} summaries but {len(segments)} segments')
        return dict(idx=item.get('idx', idx), task=item.get('task', 'tvg'),
                    video_path=str(Path(self.data_prefix['video']) / item['video']),
                    query=item['q'], duration=item.get('duration'), segments=segments,
                    summaries=summaries, vid_times=item.get('vid_times') or [])


def read_samples(path: str | Path, allow_empty: bool = False,
                 what: str = 'sample file') -> list:
    """A JSON list, or JSON lines for ``.jsonl``, non-empty unless ``allow_empty``;
    an unreadable file is an :class:`~mmcontrast.errors.InputError` (the shared reader,
    :func:`mmcontrast.fileio.read_json`), a wrong shape an :class:`S2LInputError`, both
    naming the file (and line) and ``what`` it was meant to be."""
    read = read_json_lines if str(path).endswith('.jsonl') else read_json
    items = read(path, what)
    if not isinstance(items, list):
        raise S2LInputError(f'{path}: expected a JSON list of samples, got {type(items).__name__}')
    if not items and not allow_empty:
        raise S2LInputError(f'{path}: the list of samples is empty (no samples)')
    return items
