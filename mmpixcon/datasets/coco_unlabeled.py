"""COCO images without labels, from a folder or a COCO-style json."""
from __future__ import annotations

import json
import os
from pathlib import Path

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from ..errors import PixConInputError

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def _coco_file_names(ann_file: str) -> list[str]:
    """``images[*].file_name`` of a COCO json; errors name the file and the entry."""
    try:
        with open(ann_file, encoding='utf-8') as f:
            content = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PixConInputError(f'{ann_file}: not a valid COCO json ({err})') from err
    images = content.get('images') if isinstance(content, dict) else None
    if not isinstance(images, list):
        raise PixConInputError(f'{ann_file}: no "images" list in this COCO json')
    names = []
    for index, image in enumerate(images):
        name = image.get('file_name') if isinstance(image, dict) else None
        if not isinstance(name, str) or not name:
            image_id = image.get('id') if isinstance(image, dict) else None
            raise PixConInputError(
                f'{ann_file}: images[{index}] (id={image_id}) has no "file_name"')
        names.append(name)
    return names


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
        PixConInputError: an empty dataset, a json that does not parse, has no
            ``images`` list or an entry without ``file_name`` (file and entry named).
    """

    def __init__(self, data_root: str = '', data_prefix: str | dict = 'train2017',
                 ann_file: str = '', pipeline: list = (), **kwargs) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         pipeline=list(pipeline), **kwargs)

    def _file_names(self, img_dir: Path) -> list[str]:
        if self.ann_file:
            return _coco_file_names(self.ann_file)
        if not img_dir.is_dir():
            raise FileNotFoundError(f'image folder {img_dir} does not exist')
        return sorted(p.name for p in img_dir.iterdir() if p.suffix.lower() in IMG_EXTENSIONS)

    def load_data_list(self) -> list[dict]:
        img_dir = Path(self.data_prefix['img_path'])
        paths = [img_dir / name for name in self._file_names(img_dir)]
        if not paths:
            raise PixConInputError(f'no images found in {img_dir} (ann_file={self.ann_file!r})')
        bad = [str(p) for p in paths if not (p.is_file() and os.access(p, os.R_OK))]
        if bad:
            raise FileNotFoundError(f'{len(bad)} of {len(paths)} images are missing or '
                                    f'unreadable: {", ".join(bad[:10])}')
        return [dict(img_path=str(p)) for p in paths]
