"""Pre-training configs: every one builds, the table 2.4 ladder changes one named component
per rung, DenseCL/MoCo-v2 follow DenseCL's COCO recipe, COCO+ lists both image folders,
and the model zoo (README + metafile.yml per folder) covers every config."""
import re
import shutil
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS

import mmpixcon  # noqa: F401  registers PixCon, UnlabeledCOCO and the transforms
from mmcontrast.assets import scene_image_paths, shared_dir

from ..conftest import REPO_ROOT

CFG_DIR = REPO_ROOT / 'configs/pixcon'
PRETRAIN = sorted([*CFG_DIR.glob('*.py'), *(CFG_DIR / 'ablations').glob('*.py')])
ALL_CONFIGS = sorted(p for p in CFG_DIR.rglob('*.py') if '_base_' not in p.parts)
# what the Runner reads; top-level helper variables of the files are left out
RUNNER_KEYS = ('model', 'train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg',
               'auto_scale_lr', 'default_hooks', 'custom_hooks', 'env_cfg', 'randomness',
               'default_scope', 'custom_imports', 'load_from', 'resume')


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def _flatten(obj, prefix: str = '') -> dict:
    """Nested dicts/lists -> {'a.b.0.c': leaf}; an empty dict/list is a leaf."""
    if isinstance(obj, dict) and obj:
        items = obj.items()
    elif isinstance(obj, (list, tuple)) and obj:
        items = enumerate(obj)
    else:
        return {prefix: obj}
    out = {}
    for key, value in items:
        out.update(_flatten(value, f'{prefix}.{key}' if prefix else str(key)))
    return out


def _runner_view(name: str) -> dict:
    cfg = Config.fromfile(CFG_DIR / name).to_dict()
    return _flatten({k: cfg[k] for k in RUNNER_KEYS if k in cfg})


def _changed(a: dict, b: dict) -> set:
    return {k for k in a.keys() | b.keys() if a.get(k, '<absent>') != b.get(k, '<absent>')}


@pytest.mark.parametrize('path', PRETRAIN, ids=lambda p: _rel(p))
def test_pretraining_config_builds(path):
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert hasattr(model, 'backbone') and cfg.train_dataloader.dataset.type


# (rung, the keys - or key prefixes - its thesis row names); each rung's base is the rung above
LADDER = [
    ('ablations/ladder0_densecl_coco_800e.py', None),
    ('ablations/ladder1_syncbn_coco_800e.py', {'model.backbone.norm_cfg.type', 'model.shuffle_bn'}),
    ('ablations/ladder2_predictor_coco_800e.py',
     {'model.predictor', 'model.dense_predictor', 'model.neck'}),
    ('ablations/ladder3_momentum_coco_800e.py', {'model.momentum', 'model.momentum_schedule'}),
    ('ablations/ladder4_symmetric_coco_800e.py', {'model.symmetric'}),
    ('ablations/ladder5_byolaug_coco_800e.py', {'train_dataloader.dataset.pipeline'}),
    ('ablations/ladder6_no-symmetric_coco_800e.py', {'model.symmetric'}),
]


@pytest.mark.parametrize('step', range(1, len(LADDER)), ids=lambda i: LADDER[i][0])
def test_ladder_rung_changes_only_its_component(step):
    (before, _), (after, named) = LADDER[step - 1], LADDER[step]
    changed = _changed(_runner_view(before), _runner_view(after))
    unnamed = {k for k in changed if not any(k == p or k.startswith(p + '.') for p in named)}
    assert not unnamed, f'{after} also changes {sorted(unnamed)}'
    untouched = {p for p in named if not any(k == p or k.startswith(p + '.') for k in changed)}
    assert not untouched, f'{after} does not change {sorted(untouched)}'


def test_byol_aug_rung_is_pixcon_sim():
    """Table 2.4 names the rung "+ BYOL Aug. (PixCon-Sim)": both configs train the same."""
    assert _runner_view('ablations/ladder5_byolaug_coco_800e.py') == \
        _runner_view('pixcon_sim_coco_800e.py')


def test_ladder_start_is_densecl_mode():
    cfg = Config.fromfile(CFG_DIR / LADDER[0][0]).model
    assert (cfg.neck.type, cfg.predictor, cfg.dense_predictor, cfg.symmetric, cfg.shuffle_bn,
            cfg.momentum_schedule, cfg.backbone.norm_cfg.type) == \
        ('DenseCLNeck', None, None, False, True, 'constant', 'BN')


@pytest.mark.parametrize('name', ['densecl_coco_800e.py', 'mocov2_coco_800e.py'])
def test_densecl_recipe(name):
    """DenseCL's COCO config: SGD 0.3 at 8 x 32, cosine from the first step (no warm-up),
    fp32, 800 epochs, MoCo-v2 augmentation, shuffle BN (mmpretrain's MoCo/DenseCL)."""
    cfg = Config.fromfile(CFG_DIR / name)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.3, momentum=0.9,
                                               weight_decay=1e-4)
    (sched, ) = cfg.param_scheduler
    assert (sched.type, sched.begin, sched.end, sched.T_max) == ('CosineAnnealingLR', 0, 800, 800)
    assert cfg.train_cfg.max_epochs == 800 and cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.model.type in ('DenseCL', 'MoCo') and cfg.model.backbone.norm_cfg.type == 'BN'
    crop = cfg.train_dataloader.dataset.pipeline[1].transforms[0][0]
    assert (crop.type, crop.crop_ratio_range) == ('RandomResizedCrop', (0.2, 1.))


def test_cocoplus_lists_train_and_unlabeled(tmp_path):
    """COCO+ on a folder laid out as the COCO 2017 downloads unzip (train2017.zip and
    unlabeled2017.zip side by side): every image of both folders, PixCon's views."""
    photos = scene_image_paths()[:5]
    names = {'train2017': photos[:3], 'unlabeled2017': photos[3:]}
    for folder, srcs in names.items():
        (tmp_path / folder).mkdir()
        for i, src in enumerate(srcs):
            shutil.copy(src, tmp_path / folder / f'{i + 1:012d}.jpg')
    cfg = Config.fromfile(CFG_DIR / 'pixcon_sr_cocoplus_800e.py').train_dataloader.dataset
    for sub in cfg.datasets:
        sub.data_root = str(tmp_path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg)
    paths = sorted(Path(dataset.get_data_info(i)['img_path']).relative_to(tmp_path).as_posix()
                   for i in range(len(dataset)))
    assert paths == sorted(f'{folder}/{i + 1:012d}.jpg'
                           for folder, srcs in names.items() for i in range(len(srcs)))
    sample = dataset[4]  # from unlabeled2017
    assert [tuple(v.shape) for v in sample['inputs']] == [(3, 224, 224)] * 2
    assert sample['data_samples'].pixcon_boxes.shape == (2, 4)


# ----------------------------------------------------------------- model zoo
METAFILES = sorted(CFG_DIR.rglob('metafile.yml'))


def _models():
    for meta in METAFILES:
        for model in yaml.safe_load(meta.read_text())['Models']:
            yield meta, model


def test_every_config_is_in_its_folders_metafile():
    listed = {}
    for meta, model in _models():
        path = REPO_ROOT / model['Config']
        assert path.is_file(), f'{meta}: {model["Name"]} names a missing config {path}'
        assert path.parent == meta.parent, f'{meta}: {model["Config"]} is in another folder'
        assert model['Name'] == path.stem, f'{meta}: name {model["Name"]} != {path.stem}'
        assert model['Name'] not in listed, f'{model["Name"]} listed twice'
        listed[model['Name']] = path
    missing = [_rel(p) for p in ALL_CONFIGS if p not in listed.values()]
    assert not missing, f'configs without a metafile entry: {missing}'


def test_metafile_collections_and_results():
    for meta in METAFILES:
        content = yaml.safe_load(meta.read_text())
        collections = {c['Name']: c for c in content['Collections']}
        for c in collections.values():
            assert c['Paper']['Title'] and c['Paper']['URL'].startswith('https://')
            assert (REPO_ROOT / c['README']).is_file()
        for model in content['Models']:
            assert model['In Collection'] in collections
            assert model['Results'] is None  # nothing is reproduced yet
            for result in model.get('Thesis Results', []):
                assert re.fullmatch(r'thesis table 2\.[1-7]', result['Source'])
                assert result['Metrics'] and all(
                    isinstance(v, float) for v in result['Metrics'].values())


def test_readme_links_every_pretraining_config():
    readme = (CFG_DIR / 'README.md').read_text()
    links = set(re.findall(r'\]\(\./([^)]+\.py)\)', readme))
    for link in links:
        assert (CFG_DIR / link).is_file(), link
    thesis_rows = {p for p in PRETRAIN if 'tiny' not in p.name and 'demo' not in p.name}
    assert {_rel(p) for p in thesis_rows} <= {f'configs/pixcon/{link}' for link in links}


def _numbers(cells):
    return tuple(c for c in cells if re.fullmatch(r'-|\d+(\.\d+)?', c))


def test_readme_numbers_are_the_thesis():
    thesis = shared_dir() / 'seed' / 'thesis.txt'
    if not thesis.is_file():
        pytest.skip(f'{thesis} is not here')
    rows = {_numbers(re.sub(r'<[^>]+>', '', line).split('\t'))
            for line in thesis.read_text(encoding='utf-8').splitlines() if '\t' in line}
    readme_rows = [line.strip('|').split('|') for line in
                   (CFG_DIR / 'README.md').read_text().splitlines() if line.startswith('| ')]
    checked = 0
    for cells in readme_rows:
        numbers = _numbers([c.strip() for c in cells])
        if len([n for n in numbers if n != '-']) >= 3:
            assert numbers in rows, f'README row {cells[0].strip()!r}: {numbers} not in the thesis'
            checked += 1
    assert checked >= 35  # tables 2.1 (15 rows), 2.3 (7), 2.4 (7), 2.7 (8)


def test_metafile_thesis_numbers_are_the_readmes():
    """Every thesis number in a metafile appears in a README row that links the same
    config (and the README rows are checked against the thesis above)."""
    row_numbers = {}
    for line in (CFG_DIR / 'README.md').read_text().splitlines():
        for link in re.findall(r'\]\(\./([^)]+\.py)\)', line):
            row_numbers.setdefault(link, set()).update(
                float(n) for n in _numbers([c.strip() for c in line.split('|')]) if n != '-')
    checked = 0
    for _, model in _models():
        link = str((REPO_ROOT / model['Config']).relative_to(CFG_DIR))
        for result in model.get('Thesis Results', []):
            for metric, value in result['Metrics'].items():
                assert value in row_numbers.get(link, ()), f'{model["Name"]} {metric}={value}'
                checked += 1
    assert checked > 100
