"""COCO images without labels, from a folder or a COCO-style json."""
from __future__ import annotations

import json
import os
from pathlib import Path

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


@DATASETS.register_module()
class UnlabeledCOCO(BaseDataset):
    """Images only: ``data_root/data_prefix/*.jpg`` or the ``images`` of ``ann_file``.

    Args:
        data_root: dataset root, e.g. ``data/coco``.
        data_prefix: image folder under the root (``train2017``) or
            ``dict(img_path=...)``.
        ann_file: optional COCO json (``annotations/instances_train2017.json``
            as COCO 2017 ships it, or an ``image_info_*.json``); only
            ``images[*].file_name`` is read. Without it (the configs' default)
            the folder is listed (sorted, image extensions only).
        pipeline: transform configs.

    Raises:
        FileNotFoundError: listed images that are missing or unreadable (named).
        ValueError: an empty dataset or a json without an ``images`` list.
    """

    def __init__(self, data_root: str = '', data_prefix: str | dict = 'train2017',
                 ann_file: str = '', pipeline: list = (), **kwargs) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         pipeline=list(pipeline), **kwargs)

    def _file_names(self, img_dir: Path) -> list[str]:
        if self.ann_file:
            with open(self.ann_file, encoding='utf-8') as f:
                images = json.load(f).get('images')
            if not isinstance(images, list):
                raise ValueError(f'{self.ann_file}: no "images" list in this COCO json')
            return [im['file_name'] for im in images]
        if not img_dir.is_dir():
            raise FileNotFoundError(f'image folder {img_dir} does not exist')
        return sorted(p.name for p in img_dir.iterdir() if p.suffix.lower() in IMG_EXTENSIONS)

    def load_data_list(self) -> list[dict]:
        img_dir = Path(self.data_prefix['img_path'])
        paths = [img_dir / name for name in self._file_names(img_dir)]
        if not paths:
            raise ValueError(f'no images found in {img_dir} (ann_file={self.ann_file!r})')
        bad = [str(p) for p in paths if not (p.is_file() and os.access(p, os.R_OK))]
        if bad:
            raise FileNotFoundError(f'{len(bad)} of {len(paths)} images are missing or '
                                    f'unreadable: {", ".join(bad[:10])}')
        return [dict(img_path=str(p)) for p in paths]
