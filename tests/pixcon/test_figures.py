"""Figure tools (thesis figs. 2.4-2.6): the maps against direct re-computations, and each
tool writing a PNG of the expected size from tiny checkpoints on real photos."""
import importlib.util
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import save_checkpoint
from mmpretrain.registry import MODELS
from PIL import Image

import mmpixcon  # noqa: F401
from mmcontrast.assets import scene_image_paths
from mmpixcon.visualization import (backbone_features, cosine_similarity_map, in_box_matches,
                                    load_model, query_weights, read_rgb, two_views)

from ..conftest import REPO_ROOT

TINY = REPO_ROOT / 'configs/pixcon/pixcon_sr_r18_tiny_test.py'


@pytest.fixture(scope='session')
def tiny_checkpoints(tmp_path_factory):
    """Two mmengine checkpoints of the tiny PixCon-SR config (different initialisations,
    as two training stages would be) and a backbone-only file as the converter writes."""
    root = tmp_path_factory.mktemp('tiny_ckpts')
    cfg = Config.fromfile(TINY)
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = MODELS.build(cfg.model)
        path = root / f'epoch_{seed + 1}.pth'
        save_checkpoint(dict(meta=dict(epoch=seed + 1), state_dict=model.state_dict()), str(path))
        paths.append(path)
    backbone = root / 'backbone.pth'
    save_checkpoint(dict(state_dict=model.backbone.state_dict()), str(backbone))
    return paths, backbone


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / 'tools/pixcon' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _png(path):
    with Image.open(path) as img:
        return np.asarray(img.convert('RGB'))


def test_vis_similarity_writes_rows_by_models(tmp_path, tiny_checkpoints):
    (a, b), _ = tiny_checkpoints
    photos = scene_image_paths()[:2]
    out = tmp_path / 'fig2_4.png'
    _tool('vis_similarity')(['--image', str(photos[0]), '0.5', '0.5',
                             '--image', str(photos[1]), '0.2', '0.7',
                             '--model', 'epoch 1', str(TINY), str(a),
                             '--model', 'epoch 2', str(TINY), str(b),
                             '--size', '128', '--panel', '64', '--out', str(out)])
    png = _png(out)
    assert png.shape == (2 * 64, 3 * 64, 3)
    assert png[:, 64:].std() > 10  # the maps are drawn, not blank


def test_vis_sr_weights_writes_two_rows_by_photos(tmp_path, tiny_checkpoints):
    (a, _), _ = tiny_checkpoints
    photos = [str(p) for p in scene_image_paths()[:3]]
    out = tmp_path / 'fig2_5.png'
    _tool('vis_sr_weights')([*photos, '--model', 'SR', str(TINY), str(a), '--size', '96',
                             '--panel', '64', '--out', str(out)])
    assert _png(out).shape == (2 * 64, 3 * 64, 3)


def test_vis_mismatch_writes_models_by_two(tmp_path, tiny_checkpoints, capsys):
    (a, b), backbone = tiny_checkpoints
    out = tmp_path / 'fig2_6.png'
    _tool('vis_mismatch')([str(scene_image_paths()[0]), '--model', 'epoch 1', str(TINY), str(a),
                           '--model', 'epoch 2', str(TINY), str(b),
                           '--model', 'converted', str(TINY), str(backbone),
                           '--size', '128', '--top', '3', '--panel', '80', '--out', str(out)])
    assert _png(out).shape == (3 * 80, 2 * 80, 3)
    counts = re.findall(r'^(.+): (\d+) of (\d+) in-box query cells', capsys.readouterr().out, re.M)
    assert [c[0] for c in counts] == ['epoch 1', 'epoch 2', 'converted']
    assert all(0 <= int(out) <= int(total) and int(total) > 0 for _, out, total in counts)
    assert counts[1][1:] == counts[2][1:]  # epoch 2 and its converted backbone agree


def test_backbone_only_checkpoint_gives_the_same_features(tiny_checkpoints):
    (_, b), backbone = tiny_checkpoints
    photo = two_views(read_rgb(scene_image_paths()[0]), 64).views[0]
    full = backbone_features(load_model(TINY, b), photo)
    alone = backbone_features(load_model(TINY, backbone), photo)
    assert full.shape == (1, 512, 2, 2) and torch.equal(full, alone)


def test_checkpoint_of_another_model_is_refused(tmp_path):
    bad = tmp_path / 'other.pth'
    save_checkpoint(dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}), str(bad))
    with pytest.raises(ValueError, match='other.pth'):
        load_model(TINY, bad)
    empty = tmp_path / 'empty.pth'
    save_checkpoint(dict(state_dict={'head.fc.weight': torch.zeros(1)}), str(empty))
    with pytest.raises(ValueError, match='backbone weights are missing'):
        load_model(TINY, empty)


def test_cosine_similarity_map_matches_direct_computation():
    feat = torch.randn(8, 5, 7)
    sim = cosine_similarity_map(feat, (0.5, 0.1))  # cell (row 0, col 3)
    expected = torch.stack([torch.stack([F.cosine_similarity(feat[:, 0, 3], feat[:, r, c], dim=0)
                                         for c in range(7)]) for r in range(5)])
    assert torch.allclose(sim, expected, atol=1e-6) and sim[0, 3] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='fractions'):
        cosine_similarity_map(feat, (1.5, 0.1))


def test_query_weights_are_one_in_box_and_normalised_outside():
    torch.manual_seed(0)
    feat_q, feat_k = torch.randn(16, 6, 6), torch.randn(16, 6, 6)
    box = torch.tensor([0.0, 0.0, 0.5, 0.5])  # the top-left 3 x 3 cells
    w = query_weights(feat_q, feat_k, box, alpha=2.0)
    in_box = torch.zeros(6, 6, dtype=torch.bool)
    in_box[:3, :3] = True
    assert torch.all(w[in_box] == 1)
    # out of box: ((s - min) / (max - min)) ** 2 of the best cosine match, by hand
    q = F.normalize(feat_q.flatten(1), dim=0)
    k = F.normalize(feat_k.flatten(1), dim=0)
    best = (q.t() @ k).max(1).values.view(6, 6)[~in_box]
    expected = ((best - best.min()) / (best.max() - best.min())) ** 2
    assert torch.allclose(w[~in_box], expected, atol=1e-5)


def test_in_box_matches_follow_a_known_shift():
    """Key features = query features moved one cell right: every query cell's best match
    is the cell to its right; the ones leaving the key box are flagged."""
    torch.manual_seed(0)
    feat_q = torch.randn(32, 4, 4)
    feat_k = torch.roll(feat_q, shifts=1, dims=2)  # key (r, c + 1) = query (r, c)
    boxes = torch.tensor([[0.0, 0.0, 0.75, 1.0],    # query box: columns 0-2
                          [0.0, 0.0, 0.5, 1.0]])    # key box: columns 0-1
    found = in_box_matches(feat_q, feat_k, boxes)
    assert sorted(found.query.tolist()) == [r * 4 + c for r in range(4) for c in range(3)]
    assert torch.equal(found.key, found.query + 1)
    assert torch.allclose(found.similarity, torch.ones(12), atol=1e-5)
    assert torch.equal(found.outside, (found.key % 4) >= 2)


def test_syncbn_config_runs_on_cpu():
    """The thesis configs use SyncBN everywhere; the tools run them on a CPU as BN."""
    model = load_model(REPO_ROOT / 'configs/pixcon/pixcon_sr_coco_800e.py', None)
    photo = two_views(read_rgb(scene_image_paths()[0]), 64).views[0]
    assert backbone_features(model, photo).shape == (1, 2048, 2, 2)
