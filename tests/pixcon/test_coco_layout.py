"""The headline config's dataset on a folder laid out as the COCO 2017 download is."""
import json
import shutil
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import mmpixcon  # noqa: F401  registers UnlabeledCOCO and the PixCon transforms
from mmcontrast.assets import scene_image_paths

from ..conftest import REPO_ROOT

HEADLINE = REPO_ROOT / 'configs/pixcon/pixcon_sr_coco_800e.py'


def _coco2017(root: Path, num: int = 3) -> list[str]:
    """train2017/*.jpg + annotations/instances_train2017.json with COCO 2017's keys
    (no image_info_train2017.json: COCO 2017's train split does not ship one).
    The last image has no instance, as ~1k train2017 images have none."""
    (root / 'train2017').mkdir(parents=True)
    (root / 'annotations').mkdir()
    images, annotations = [], []
    for idx, src in enumerate(scene_image_paths()[:num]):
        name = f'{idx + 9:012d}.jpg'
        shutil.copy(src, root / 'train2017' / name)
        images.append(dict(license=1, file_name=name, coco_url='', height=0, width=0,
                           date_captured='2013-11-14 16:28:13', flickr_url='', id=idx + 9))
        if idx < num - 1:
            annotations.append(dict(segmentation=[[1., 1., 9., 1., 9., 9.]], area=32.,
                                    iscrowd=0, image_id=idx + 9, bbox=[1., 1., 8., 8.],
                                    category_id=1, id=idx + 100))
    instances = dict(info=dict(description='COCO 2017 Dataset', version='1.0', year=2017),
                     licenses=[dict(url='', id=1, name='')], images=images,
                     annotations=annotations,
                     categories=[dict(supercategory='person', id=1, name='person')])
    (root / 'annotations/instances_train2017.json').write_text(json.dumps(instances))
    return [im['file_name'] for im in images]


@pytest.mark.parametrize('ann_file', [None, 'annotations/instances_train2017.json'])
def test_headline_dataset_reads_the_coco2017_download(tmp_path, ann_file):
    names = _coco2017(tmp_path)
    cfg = Config.fromfile(HEADLINE).train_dataloader.dataset
    cfg.data_root = str(tmp_path)
    if ann_file is not None:  # the documented alternative to listing the folder
        cfg.ann_file = ann_file
    init_default_scope('mmpretrain')  # as the Runner does for this config
    dataset = DATASETS.build(cfg)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    assert sorted(Path(p).name for p in paths) == sorted(names)
    views = dataset[0]['inputs']
    assert [tuple(v.shape) for v in views] == [(3, 224, 224)] * 2
