"""The last differences from the thesis and the upstream recipes (issue 21): total batch
of every benchmark on any GPU count, the zoo tables' columns from the chain's output,
crop resizing of the pre-training pipelines, VOC segmentation scale, non-overlapping
labels of fig. 2.6, the loss weighting's source."""
from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from .conftest import REPO

BENCH = REPO / 'configs/pixcon/benchmarks'
PIXCON = REPO / 'configs/pixcon'
# images per optimiser step of each benchmark's protocol: Detectron2's VOC C4 24k and
# mmdet's COCO 1x schedule at 16; MoCo's / SlotCon's FCN-d6 recipes at 8 x 2 (Cityscapes)
# and 4 x 4 (VOC seg.); mmseg's ADE20k 80k at 4 x 4 (the release: "Total bs should be 16")
PROTOCOL_BATCH = {'voc_det': 16, 'coco': 16, 'cityscapes': 16, 'voc_seg': 16, 'ade20k': 16}


def _configs(chain_tool):
    for name, bench in chain_tool.BENCHMARKS.items():
        for config in sorted(set(bench.configs.values())):
            yield name, BENCH / config


@pytest.mark.parametrize('gpus', [1, 4, 8])
def test_every_benchmark_trains_at_the_protocol_batch(chain_tool, gpus):
    seen = set()
    for name, config in _configs(chain_tool):
        cfg = Config.fromfile(str(config))
        pairs = chain_tool.batch_options(name, gpus)
        cfg.merge_from_dict(dict(pair.split('=', 1) for pair in pairs))
        assert int(cfg.train_dataloader.batch_size) * gpus == PROTOCOL_BATCH[name], config
        seen.add(config.name)
    assert len(seen) == 7  # FCN and FPN variants of Cityscapes and VOC seg. included


def test_zoo_readme_chain_commands_use_a_gpu_count_that_keeps_the_batch(chain_tool):
    readme = (PIXCON / 'README.md').read_text()
    commands = re.findall(r'pretrain_and_transfer\.sh (\S+) (\d+)((?: [a-z_0-9]+)*)', readme)
    assert len(commands) >= 10
    for config, gpus, benchmarks in commands:
        for name in benchmarks.split() or chain_tool.BENCHMARKS:
            assert PROTOCOL_BATCH[name] % int(gpus) == 0


def _zoo_tables() -> dict[str, list[str]]:
    """Table title -> the metric column titles of that table of the zoo README."""
    tables, title = {}, None
    for line in (PIXCON / 'README.md').read_text().splitlines():
        if line.startswith('### Table'):
            title = line.split('—')[0].strip('# ').strip()
        elif title and line.startswith('| ') and title not in tables:
            names = [c.strip() for c in line.strip('|').split('|')]
            tables[title] = [c for c in names if c not in
                             ('Method', 'Type', 'alpha', 'Rung', 'Pre-training', 'config')]
    return tables


def _coco_metrics(tmp_path) -> dict[str, float]:
    """mmdet's CocoMetric (bbox + segm, as the Mask R-CNN config) on the fixture's
    val2017, predicting every ground-truth object: its real metric keys."""
    import torch
    from mmdet.datasets import CocoDataset
    from mmdet.evaluation import CocoMetric
    from mmpixcon.testing.fixtures import COCO_IDS, make_fixture
    root = make_fixture('coco', tmp_path / 'coco', num=4, size=96)
    ann_file = root / 'annotations' / 'instances_val2017.json'
    ann = json.loads(ann_file.read_text())
    metric = CocoMetric(ann_file=str(ann_file), metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=CocoDataset.METAINFO['classes'])
    samples = []
    for image in ann['images']:
        objects = [a for a in ann['annotations'] if a['image_id'] == image['id']]
        boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in
                              (a['bbox'] for a in objects)], dtype=torch.float32)
        masks = torch.zeros(len(objects), image['height'], image['width'], dtype=torch.bool)
        for mask, box in zip(masks, boxes.int().tolist()):
            mask[box[1]:box[3], box[0]:box[2]] = True
        samples.append(dict(img_id=image['id'], ori_shape=(image['height'], image['width']),
                            pred_instances=dict(
                                bboxes=boxes, scores=torch.ones(len(objects)), masks=masks,
                                labels=torch.tensor([COCO_IDS.index(a['category_id'])
                                                     for a in objects]))))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_results_fill_every_zoo_table(chain_tool, tmp_path):
    coco = _coco_metrics(tmp_path)
    assert coco['coco/bbox_mAP_50'] == pytest.approx(1.0)  # every object found
    metrics = {'voc_det': [{'pascal_voc/mAP': 0.576, 'pascal_voc/AP50': 0.828,
                            'pascal_voc/AP75': 0.64}],
               'coco': [coco], 'cityscapes': [{'mIoU': 76.6}], 'voc_seg': [{'mIoU': 73.0}],
               'ade20k': [{'mIoU': 38.0}]}
    summary, table = chain_tool.results_table('PixCon-SR', metrics)
    header = [c.strip() for c in table.splitlines()[0].strip('|').split('|')][1:]
    cells = [c.strip() for c in table.splitlines()[2].strip('|').split('|')][1:]
    assert all(cell != '-' for cell in cells)
    by_title = dict(zip(header, cells))
    tables = _zoo_tables()
    assert sorted(tables) == ['Table 2.1', 'Table 2.3', 'Table 2.4', 'Table 2.7']
    for title, columns in tables.items():
        missing = [c for c in columns if c not in by_title]
        assert missing == [], f'{title}: results.md lacks {missing}'
    assert by_title['APbb50'] == f'{100 * coco["coco/bbox_mAP_50"]:.1f} ± 0.0'
    assert by_title['APmk75'] == f'{100 * coco["coco/segm_mAP_75"]:.1f} ± 0.0'
    assert by_title['AP75'] == '64.0 ± 0.0' and by_title['ADE20k mIoU'] == '38.0 ± 0.0'
    json_titles = [c['column'] for c in summary['columns']]
    assert json_titles == header


def _crops(config) -> list[dict]:
    """Every crop transform of the resolved training pipeline."""
    found = []

    def visit(node):
        if isinstance(node, dict):
            if node.get('type') in ('RandomResizedCrop', 'OverlapTwoCrop'):
                found.append(node)
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    visit(Config.fromfile(str(config)).train_dataloader.to_dict())
    return found


# config -> (crop, backend, interpolation) of its cited recipe: BYOL = mmpretrain's
# imagenet_bs32_byol.py (pillow, bicubic); DenseCL / MoCo-v2 = torchvision's
# RandomResizedCrop on PIL images (bilinear); PixCon = the official release's
# torchvision resized_crop on a PIL image (bilinear)
RECIPES = {'byol_coco_800e.py': ('RandomResizedCrop', 'pillow', 'bicubic'),
           'densecl_coco_800e.py': ('RandomResizedCrop', 'pillow', 'bilinear'),
           'mocov2_coco_800e.py': ('RandomResizedCrop', 'pillow', 'bilinear'),
           'ablations/ladder0_densecl_coco_800e.py': ('RandomResizedCrop', 'pillow', 'bilinear'),
           'ablations/ladder5_byolaug_coco_800e.py': ('OverlapTwoCrop', 'pillow', 'bilinear'),
           'mocov2plus_coco_800e.py': ('OverlapTwoCrop', 'pillow', 'bilinear'),
           'pixcon_sim_coco_800e.py': ('OverlapTwoCrop', 'pillow', 'bilinear'),
           'pixcon_coord_coco_800e.py': ('OverlapTwoCrop', 'pillow', 'bilinear'),
           'pixcon_sr_coco_800e.py': ('OverlapTwoCrop', 'pillow', 'bilinear'),
           'pixcon_sr_cocoplus_800e.py': ('OverlapTwoCrop', 'pillow', 'bilinear')}


@pytest.mark.parametrize('config', sorted(RECIPES))
def test_crop_resizing_follows_the_cited_recipe(config):
    kind, backend, interpolation = RECIPES[config]
    crops = _crops(PIXCON / config)
    assert crops and all(c['type'] == kind for c in crops)
    assert {c.get('backend', 'cv2') for c in crops} == {backend}
    assert {c.get('interpolation', 'bilinear') for c in crops} == {interpolation}


def test_overlap_two_crop_resizes_with_pillow():
    """Each view equals PIL's own bilinear resize of its crop (recomputed here)."""
    import mmpixcon  # noqa: F401
    from mmpixcon.datasets.transforms import OverlapTwoCrop
    from mmcontrast.assets import scene_image_paths
    with Image.open(scene_image_paths()[0]) as img:
        photo = np.asarray(img.convert('RGB'))
    out = OverlapTwoCrop(size=64, backend='pillow').transform(dict(img=photo.copy()))
    for view, (x1, y1, x2, y2) in zip(out['img'], out['pixcon_crops']):
        expected = Image.fromarray(photo[y1:y2, x1:x2]).resize((64, 64), Image.Resampling.BILINEAR)
        np.testing.assert_array_equal(view, np.asarray(expected))


@pytest.mark.parametrize('config', ['fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py',
                                    'fpn_r50_4xb4-30k_voc12aug-513x513_pixcon.py'])
def test_voc_segmentation_scale_is_the_releases(config):
    cfg = Config.fromfile(str(BENCH / config))
    train = [t for part in cfg.train_dataloader.dataset.datasets for t in part.pipeline
             if t.type == 'RandomResize']
    test = [t for t in cfg.test_dataloader.dataset.pipeline if t.type == 'Resize']
    assert train and test
    assert {tuple(t.scale) for t in train + test} == {(2049, 513)}


def test_mismatch_figure_labels_do_not_overlap():
    """Fig. 2.6 at the thesis's 1024 px views: no two texts (captions, similarity
    labels) of the rendered figure intersect."""
    from mmcontrast.assets import scene_image_paths
    from mmpixcon.visualization import load_model, mismatch_figure, read_rgb, two_views
    model = load_model(PIXCON / 'pixcon_sr_r18_tiny_test.py', None)
    views = two_views(read_rgb(scene_image_paths()[0]), 1024, seed=0)
    grid, _ = mismatch_figure(views, [('epoch 100', model), ('epoch 800', model)], top=5)
    grid.canvas.draw()
    renderer = grid.canvas.get_renderer()
    texts = [t for row in grid.axes for ax in row for t in ax.texts]
    assert len(texts) == 2 * (1 + 5)
    boxes = [t.get_window_extent(renderer) for t in texts]
    for (a, ta), (b, tb) in itertools.combinations(zip(boxes, texts), 2):
        assert not a.overlaps(b), (ta.get_text(), tb.get_text())


def test_free_text_never_stacks_labels_on_one_point():
    from mmpixcon.visualization.canvas import PanelGrid
    grid = PanelGrid(1, 1, 128)
    taken = [grid.extent(grid.label(0, 0, 'a caption across the top'))]
    texts = [grid.free_text(0, 0, 10, 8, f'0.{i}{i}', taken, fontsize=grid.fontsize(9))
             for i in range(6)]
    boxes = [t.get_window_extent(grid.canvas.get_renderer()) for t in texts]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes + taken[:1], 2))


def test_loss_weighting_names_the_release_code():
    header = (PIXCON / '_base_/models/pixcon_r50.py').read_text()
    readme = (PIXCON / 'README.md').read_text()
    cfg = Config.fromfile(str(PIXCON / 'pixcon_sr_coco_800e.py'))
    assert cfg.model.loss_lambda == 0.5
    for text in (header, readme):
        assert 'mmselfsup/models/algorithms/pixcon.py' in text and 'loss_lambda=0.5' in text
