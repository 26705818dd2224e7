"""Tiny datasets in the exact on-disk layouts of COCO 2017, VOC07+12, Cityscapes and
ADE20k, built from the offline real photos (``mmcontrast.assets``) with synthetic
boxes, polygons and label maps. Nothing is committed; call this to generate.

    python -m mmpixcon.testing.fixtures coco|voc|cityscapes|ade20k DST [--num N] [--size S]

Each image gets one rectangular object (box = polygon = mask) whose class index is
``i % num_classes``; segmentation maps are that rectangle on background 0.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from ..errors import PixConInputError

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
               'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
               'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')

# COCO numbers its 80 categories 1..90 with ten gaps
COCO_IDS = tuple(i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83))


def _photos(num: int, size: int) -> list[np.ndarray]:
    """``num`` (size, size, 3) uint8 RGB real photos (cycled if fewer exist)."""
    from mmcontrast.assets import scene_image_paths
    paths = scene_image_paths()
    out = []
    for i in range(num):
        with Image.open(paths[i % len(paths)]) as img:
            out.append(np.asarray(img.convert('RGB').resize((size, size))))
    return out


def _box(i: int, size: int) -> tuple[int, int, int, int]:
    """A synthetic object box (x1, y1, x2, y2), different per image."""
    rng = np.random.default_rng(i)
    x1, y1 = rng.integers(0, size // 3, 2)
    w, h = rng.integers(size // 3, size // 2, 2)
    return int(x1), int(y1), int(x1 + w), int(y1 + h)


def _label_map(box: Sequence[int], size: int, value: int, fill: int = 0) -> np.ndarray:
    seg = np.full((size, size), fill, np.uint8)
    x1, y1, x2, y2 = box
    seg[y1:y2, x1:x2] = value
    return seg


def _voc_palette() -> list[int]:
    """PASCAL VOC's colour map (bit-interleaved), 256 RGB entries."""
    palette = []
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def make_coco(dst: Path, num: int = 4, size: int = 96) -> Path:
    """``train2017/``, ``val2017/``, ``annotations/instances_{train,val}2017.json``."""
    # all 80 categories with COCO's ids, as in the real files: mmdet's CocoDataset and
    # CocoMetric look categories up by name and map the 80 labels through them
    from mmdet.datasets import CocoDataset
    categories = [dict(id=cid, name=name, supercategory='object')
                  for cid, name in zip(COCO_IDS, CocoDataset.METAINFO['classes'], strict=True)]
    for split in ('train2017', 'val2017'):
        (dst / split).mkdir(parents=True, exist_ok=True)
        images, anns = [], []
        for i, rgb in enumerate(_photos(num, size)):
            image_id = i + 1 if split == 'train2017' else 1000 + i
            name = f'{image_id:012d}.jpg'
            Image.fromarray(rgb).save(dst / split / name)
            x1, y1, x2, y2 = _box(i, size)
            images.append(dict(id=image_id, file_name=name, height=size, width=size,
                               license=1, coco_url='', flickr_url='', date_captured=''))
            anns.append(dict(id=image_id, image_id=image_id, category_id=i % 3 + 1, iscrowd=0,
                             area=float((x2 - x1) * (y2 - y1)),
                             bbox=[x1, y1, x2 - x1, y2 - y1],
                             segmentation=[[x1, y1, x2, y1, x2, y2, x1, y2]]))
        (dst / 'annotations').mkdir(exist_ok=True)
        info = dict(description='mmpixcon fixture', version='1.0', year=2017)
        with open(dst / 'annotations' / f'instances_{split}.json', 'w') as f:
            json.dump(dict(info=info, licenses=[dict(id=1, name='fixture', url='')],
                           images=images, annotations=anns, categories=categories), f)
    return dst


def _voc_xml(name: str, size: int, cls: str, box: Sequence[int]) -> str:
    x1, y1, x2, y2 = box
    return (f'<annotation><folder>VOC</folder><filename>{name}.jpg</filename>'
            f'<size><width>{size}</width><height>{size}</height><depth>3</depth></size>'
            f'<segmented>1</segmented><object><name>{cls}</name><pose>Unspecified</pose>'
            f'<truncated>0</truncated><difficult>0</difficult><bndbox><xmin>{x1 + 1}</xmin>'
            f'<ymin>{y1 + 1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>'
            '</annotation>\n')


def make_voc(dst: Path, num: int = 4, size: int = 96) -> Path:
    """``VOCdevkit/VOC2007`` and ``VOC2012``: JPEGImages, Annotations, ImageSets/Main and
    Segmentation, palette-mode SegmentationClass and SegmentationClassAug (+ aug.txt)."""
    root = dst / 'VOCdevkit'
    palette = _voc_palette()
    for year in ('2007', '2012'):
        base = root / f'VOC{year}'
        for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main', 'ImageSets/Segmentation',
                    'SegmentationClass', 'SegmentationClassAug'):
            (base / sub).mkdir(parents=True, exist_ok=True)
        names = []
        for i, rgb in enumerate(_photos(num, size)):
            name = f'{year}_{i:06d}'
            names.append(name)
            Image.fromarray(rgb).save(base / 'JPEGImages' / f'{name}.jpg')
            box, cls = _box(i, size), i % len(VOC_CLASSES)
            (base / 'Annotations' / f'{name}.xml').write_text(
                _voc_xml(name, size, VOC_CLASSES[cls], box))
            seg = _label_map(box, size, cls + 1)
            Image.fromarray(seg).save(base / 'SegmentationClassAug' / f'{name}.png')
            png = Image.fromarray(seg, mode='P')
            png.putpalette(palette)
            png.save(base / 'SegmentationClass' / f'{name}.png')
        lines = '\n'.join(names) + '\n'
        for split in ('train', 'val', 'trainval', 'test'):
            (base / 'ImageSets/Main' / f'{split}.txt').write_text(lines)
            (base / 'ImageSets/Segmentation' / f'{split}.txt').write_text(lines)
        (base / 'ImageSets/Segmentation/aug.txt').write_text(lines)
    return dst


def make_cityscapes(dst: Path, num: int = 2, size: int = 96) -> Path:
    """``leftImg8bit/{train,val}/<city>/*_leftImg8bit.png`` and ``gtFine/.../
    *_gtFine_labelTrainIds.png`` (19 train ids, 255 ignored)."""
    for split, city in (('train', 'aachen'), ('val', 'frankfurt')):
        img_dir = dst / 'leftImg8bit' / split / city
        ann_dir = dst / 'gtFine' / split / city
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        for i, rgb in enumerate(_photos(num, size)):
            stem = f'{city}_{i:06d}_000019'
            Image.fromarray(rgb).save(img_dir / f'{stem}_leftImg8bit.png')
            seg = _label_map(_box(i, size), size, i % 18 + 1)
            Image.fromarray(seg).save(ann_dir / f'{stem}_gtFine_labelTrainIds.png')
    return dst


def make_ade20k(dst: Path, num: int = 2, size: int = 96) -> Path:
    """``ADEChallengeData2016/{images,annotations}/{training,validation}``: jpg images,
    png maps with 0 = other (ignored by reduce_zero_label) and classes 1..150."""
    root = dst / 'ADEChallengeData2016'
    for split, tag in (('training', 'train'), ('validation', 'val')):
        (root / 'images' / split).mkdir(parents=True, exist_ok=True)
        (root / 'annotations' / split).mkdir(parents=True, exist_ok=True)
        for i, rgb in enumerate(_photos(num, size)):
            stem = f'ADE_{tag}_{i + 1:08d}'
            Image.fromarray(rgb).save(root / 'images' / split / f'{stem}.jpg')
            seg = _label_map(_box(i, size), size, i % 150 + 1, fill=i % 150 + 2)
            Image.fromarray(seg).save(root / 'annotations' / split / f'{stem}.png')
    return dst


LAYOUTS: dict[str, Callable[..., Path]] = dict(
    coco=make_coco, voc=make_voc, cityscapes=make_cityscapes, ade20k=make_ade20k)


def make_fixture(layout: str, dst: str | Path, num: int = 4, size: int = 96) -> Path:
    """Write the ``layout`` fixture under ``dst`` and return ``dst``."""
    if layout not in LAYOUTS:
        raise PixConInputError(f'layout must be one of {sorted(LAYOUTS)}, got {layout!r}')
    return LAYOUTS[layout](Path(dst), num=num, size=size)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description='tiny dataset in a standard layout')
    parser.add_argument('layout', choices=sorted(LAYOUTS))
    parser.add_argument('dst')
    parser.add_argument('--num', type=int, default=4, help='images per split')
    parser.add_argument('--size', type=int, default=96, help='square image side')
    args = parser.parse_args(argv)
    print(make_fixture(args.layout, args.dst, args.num, args.size))


if __name__ == '__main__':
    main()
