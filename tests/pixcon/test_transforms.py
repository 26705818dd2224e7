"""Two-crop geometry, paired flip, per-view pipelines, packing, and bad inputs."""
import json

import mmcv
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS
from PIL import Image

import mmpixcon  # noqa: F401  registers the transforms
from mmcontrast import assets
from mmpixcon.datasets import OverlapTwoCrop, PairedRandomFlip, UnlabeledCOCO

CONFIG = 'configs/pixcon/_base_/datasets/coco_pixcon.py'


def _coord_image(h=120, w=160):
    """float32 image whose channels hold the continuous x and y of each pixel centre."""
    ys, xs = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing='ij')
    return np.stack([xs, ys, np.zeros_like(xs)], -1).astype(np.float32)


def _sample(view, u, v):
    """Bilinear value of a view at normalised position (u, v)."""
    size = view.shape[0]
    x, y = u * size - 0.5, v * size - 0.5
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    fx, fy = x - x0, y - y0
    p = view[y0:y0 + 2, x0:x0 + 2, :2]
    return ((1 - fy) * ((1 - fx) * p[0, 0] + fx * p[0, 1])
            + fy * ((1 - fx) * p[1, 0] + fx * p[1, 1]))


@pytest.mark.parametrize('seed', range(12))
def test_boxes_cover_the_same_image_region_in_both_views(seed):
    np.random.seed(seed)
    results = OverlapTwoCrop(size=64, scale=(0.2, 1.0))(dict(img=_coord_image()))
    results = PairedRandomFlip(prob=0.5)(results)
    views, boxes, flips = results['img'], results['pixcon_boxes'], results['pixcon_flips']
    assert len(views) == 2 and all(v.shape == (64, 64, 3) for v in views)
    for s, t in [(0.5, 0.5), (0.25, 0.3), (0.8, 0.7)]:  # relative positions inside the box
        points = []
        for view, (x1, y1, x2, y2), flipped in zip(views, boxes, flips):
            s_view = 1 - s if flipped else s  # the image's left edge is on the right
            points.append(_sample(view, x1 + s_view * (x2 - x1), y1 + t * (y2 - y1)))
        np.testing.assert_allclose(points[0], points[1], atol=1.0)  # within one image px


def test_second_crop_overlaps_enough_or_falls_back():
    np.random.seed(0)
    t = OverlapTwoCrop(size=16, scale=(0.08, 0.2), min_overlap=0.3, max_tries=10)
    img = np.zeros((100, 80, 3), np.uint8)
    fallbacks = 0
    for _ in range(200):
        r = t(dict(img=img))
        (a, b) = r['pixcon_crops']
        ix = min(a[2], b[2]) - max(a[0], b[0])
        iy = min(a[3], b[3]) - max(a[1], b[1])
        if r['pixcon_fallback']:
            fallbacks += 1
            assert (a == b).all()
        else:
            assert ix > 0 and iy > 0
            assert ix * iy >= 0.3 * (b[2] - b[0]) * (b[3] - b[1])
    assert 0 < fallbacks < 200


def test_no_overlapping_pair_uses_documented_fallback():
    np.random.seed(0)
    t = OverlapTwoCrop(size=8, scale=(0.0025, 0.0025), ratio=(1, 1), min_overlap=1.0,
                       max_tries=2)
    r = t(dict(img=np.zeros((200, 200, 3), np.uint8)))
    assert r['pixcon_fallback']
    assert (r['pixcon_crops'][0] == r['pixcon_crops'][1]).all()
    np.testing.assert_array_equal(r['pixcon_boxes'], [[0, 0, 1, 1], [0, 0, 1, 1]])


def test_paired_flip_mirrors_image_and_box():
    np.random.seed(0)
    r = OverlapTwoCrop(size=32)(dict(img=_coord_image()))
    before = [v.copy() for v in r['img']], r['pixcon_boxes'].copy()
    r = PairedRandomFlip(prob=1.0)(r)
    assert r['pixcon_flips'].all()
    for i in range(2):
        np.testing.assert_array_equal(r['img'][i], before[0][i][:, ::-1])
        x1, y1, x2, y2 = before[1][i]
        np.testing.assert_allclose(r['pixcon_boxes'][i], [1 - x2, y1, 1 - x1, y2])


@pytest.mark.parametrize('shape', [(1, 1, 3), (3, 2, 3), (40, 30)])
def test_tiny_and_grey_images_are_accepted(shape):
    r = OverlapTwoCrop(size=16)(dict(img=np.full(shape, 7, np.uint8)))
    assert all(v.shape == (16, 16, 3) for v in r['img'])
    assert np.isfinite(r['pixcon_boxes']).all()
    assert ((r['pixcon_boxes'] >= 0) & (r['pixcon_boxes'] <= 1)).all()


@pytest.mark.parametrize('img', [None, np.zeros((8, 8, 4), np.uint8)])
def test_undecodable_or_odd_images_are_clear_errors(img):
    with pytest.raises(ValueError, match='bad.jpg'):
        OverlapTwoCrop(size=16)(dict(img=img, img_path='bad.jpg'))


def _pipeline():
    init_default_scope('mmpretrain')  # as the Runner does for these configs
    return Compose([TRANSFORMS.build(t) for t in Config.fromfile(CONFIG).train_pipeline])


def test_full_pipeline_packs_views_boxes_and_flips():
    np.random.seed(0)
    path = assets.scene_image_paths()[0]
    packed = _pipeline()(dict(img_path=str(path)))
    assert [tuple(v.shape) for v in packed['inputs']] == [(3, 224, 224)] * 2
    ds = packed['data_samples']
    assert ds.pixcon_boxes.shape == (2, 4) and ds.pixcon_flips.shape == (2, )


def test_grayscale_file_becomes_three_channels(tmp_path):
    grey = tmp_path / 'grey.jpg'
    Image.fromarray(np.random.randint(0, 255, (50, 70), np.uint8), 'L').save(grey)
    packed = _pipeline()(dict(img_path=str(grey)))
    assert packed['inputs'][0].shape == (3, 224, 224)


def test_corrupt_file_is_named_in_the_error(tmp_path):
    bad = tmp_path / 'corrupt.jpg'
    bad.write_bytes(b'\xff\xd8 this is not a jpeg')
    with pytest.raises(Exception, match='corrupt.jpg'):
        _pipeline()(dict(img_path=str(bad)))


def test_dataset_from_folder_and_from_json(tmp_path):
    root = assets.coco_image_folder(tmp_path / 'coco', num=5)
    from_json = UnlabeledCOCO(data_root=str(root),
                              ann_file='annotations/image_info_train2017.json')
    from_folder = UnlabeledCOCO(data_root=str(root))
    assert len(from_json) == len(from_folder) == 5
    assert sorted(d['img_path'] for d in from_json.data_list) == \
        sorted(d['img_path'] for d in from_folder.data_list)
    assert mmcv.imread(from_json.get_data_info(0)['img_path']) is not None


def test_dataset_names_missing_files_and_rejects_empty_inputs(tmp_path):
    root = assets.coco_image_folder(tmp_path / 'coco', num=3)
    ann = root / 'annotations' / 'image_info_train2017.json'
    info = json.loads(ann.read_text())
    info['images'].append(dict(id=99, file_name='gone.jpg'))
    ann.write_text(json.dumps(info))
    with pytest.raises(FileNotFoundError, match='gone.jpg'):
        UnlabeledCOCO(data_root=str(root), ann_file='annotations/image_info_train2017.json')
    (root / 'annotations' / 'empty.json').write_text('{"annotations": []}')
    with pytest.raises(ValueError, match='images'):
        UnlabeledCOCO(data_root=str(root), ann_file='annotations/empty.json')
    (tmp_path / 'nothing' / 'train2017').mkdir(parents=True)
    with pytest.raises(ValueError, match='no images'):
        UnlabeledCOCO(data_root=str(tmp_path / 'nothing'))
