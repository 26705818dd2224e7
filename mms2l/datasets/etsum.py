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
        text = Path(self.ann_file).read_text()
        items = ([json.loads(line) for line in text.splitlines() if line.strip()]
                 if str(self.ann_file).endswith('.jsonl') else json.loads(text))
        if not isinstance(items, list):
            raise ValueError(f'{self.ann_file}: expected a JSON list of samples')
        data = []
        for idx, item in enumerate(items):
            segments = item.get('segments') or []
            summaries = item.get('summaries') or []
            if summaries and len(summaries) != len(segments):
                raise ValueError(f'{self.ann_file} sample {idx}: {len(summaries)} summaries but '
                                 f'{len(segments)} segments')
            data.append(dict(idx=item.get('idx', idx), task=item.get('task', 'tvg'),
                             video_path=str(Path(self.data_prefix['video']) / item['video']),
                             query=item['q'], duration=item.get('duration'),
                             segments=segments, summaries=summaries,
                             vid_times=item.get('vid_times') or []))
        return data
