"""Photometric augmentation on the device (issue 20): each op equals torchvision's
functional op for the same drawn parameters; over many draws the application rates and
parameter laws equal those of mmpretrain's CPU transforms built from the same config
(and a perturbed config is caught); boxes/flips are untouched; every ``*_gpuaug`` config
trains two iterations on real photos."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope
from mmpretrain.registry import MODELS, TRANSFORMS
from PIL import Image
from scipy import stats
from torchvision.transforms.v2 import functional as TF

import mmpixcon  # noqa: F401  registers the preprocessor
from mmcontrast.assets import scene_image_paths
from mmpixcon.errors import PixConInputError
from mmpixcon.models.data_preprocessors.photometric import (PHOTOMETRIC_TYPES, ColorJitterOp,
                                                            GaussianBlurOp, GrayscaleOp,
                                                            SolarizeOp, parse_view)

from ..conftest import REPO_ROOT

CFG_DIR = REPO_ROOT / 'configs/pixcon'
GPUAUG = sorted(CFG_DIR.glob('*_gpuaug.py'))
PIXCON_BASE = Config.fromfile(CFG_DIR / '_base_/datasets/coco_pixcon.py')
MOCO_BASE = Config.fromfile(CFG_DIR / '_base_/datasets/coco_mocov2.py')
# (name, CPU view pipeline) of every distinct view of the pre-training configs
VIEWS = [('byol_view1', PIXCON_BASE.view_pipeline1), ('byol_view2', PIXCON_BASE.view_pipeline2),
         ('mocov2_view', MOCO_BASE.view_pipeline)]


def _photos(num: int = 4, size: int = 48) -> torch.Tensor:
    """(num, 3, size, size) RGB float in [0, 1] from the offline real photos."""
    imgs = [np.asarray(Image.open(p).convert('RGB').resize((size, size)))
            for p in scene_image_paths()[:num]]
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 255


def _all(n: int) -> torch.Tensor:
    return torch.ones(n, dtype=torch.bool)


# --- each op against torchvision's functional op, same parameters -------------------------

TV_JITTER = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue)


# (op index, factor, max abs, mean abs tolerance): brightness is the same product (float32
# rounding of the factor only); contrast and saturation blend with a grey made with kornia's luma weights (0.299, 0.587, 0.114)
# where torchvision's are (0.2989, 0.587, 0.114), a difference of 1/100 of a uint8 level
JITTER_TOL = [(0, 0.6, 1e-6, 1e-7), (0, 1.4, 1e-6, 1e-7), (1, 0.6, 5e-5, 3e-5),
              (1, 1.4, 5e-5, 3e-5), (2, 0.6, 5e-5, 3e-5), (2, 1.4, 5e-5, 3e-5), (3, -0.1, 2e-6, 1e-7),
              (3, 0.1, 2e-6, 1e-7)]


def _jitter(x: torch.Tensor, factors: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
    op = ColorJitterOp(prob=1., ranges=((0.6, 1.4), (0.6, 1.4), (0.8, 1.2), (-0.1, 0.1)))
    out = x.clone()
    op.apply(out, dict(apply=_all(len(x)), factors=factors, order=orders))
    return out


@pytest.mark.parametrize('j,factor,max_tol,mean_tol', JITTER_TOL)
def test_each_jitter_step_equals_torchvision(j, factor, max_tol, mean_tol):
    x = _photos()
    factors = torch.tensor([[1., 1., 1., 0.]] * len(x), dtype=torch.float64)
    factors[:, j] = factor
    out = _jitter(x, factors, torch.arange(4).repeat(len(x), 1))
    diff = (out - torch.stack([TV_JITTER[j](img, factor) for img in x])).abs()
    assert diff.max() <= max_tol and diff.mean() <= mean_tol


@pytest.mark.parametrize('order', [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_color_jitter_in_per_sample_order_equals_torchvision(order):
    x = _photos()
    factors = torch.tensor([[0.6, 1.4, 0.8, -0.1], [1.4, 0.6, 1.2, 0.1],
                            [1.1, 0.9, 0.0, 0.05], [0.9, 1.3, 1.4, -0.07]], dtype=torch.float64)
    orders = torch.tensor([order, order[::-1], order, order[::-1]])
    out = _jitter(x, factors, orders)
    for i in range(len(x)):
        ref = x[i]
        for j in orders[i].tolist():
            ref = TV_JITTER[j](ref, float(factors[i, j]))
        # the per-step differences above, carried through four steps: at most 1/8 of a
        # uint8 level anywhere, 1/50 on average
        diff = (out[i] - ref).abs()
        assert diff.max() < 5e-4 and diff.mean() < 8e-5
    # a different order gives a different image (the order is really applied per sample)
    assert (out[0] - _jitter(x[:1], factors[:1], orders[1:2])[0]).abs().max() > 1e-3


def test_grayscale_blur_solarize_equal_torchvision():
    x = _photos()
    n = len(x)
    out = x.clone()
    GrayscaleOp(1., (0.2989, 0.587, 0.114)).apply(out, dict(apply=_all(n)))
    torch.testing.assert_close(out, TF.rgb_to_grayscale(x, num_output_channels=3),
                               atol=1e-6, rtol=0)
    sigma = torch.tensor([0.1, 0.7, 1.3, 2.0], dtype=torch.float64)
    out = x.clone()
    GaussianBlurOp(1., (0.1, 2.0), 13).apply(out, dict(apply=_all(n), sigma=sigma))
    for i in range(n):
        ref = TF.gaussian_blur(x[i], [13, 13], [float(sigma[i])] * 2)
        torch.testing.assert_close(out[i], ref, atol=1e-5, rtol=0)
    out = x.clone()
    SolarizeOp(1., 128 / 255).apply(out, dict(apply=_all(n)))
    torch.testing.assert_close(out, TF.solarize(x, 128 / 255), atol=0, rtol=0)


def test_only_drawn_samples_change():
    x = _photos()
    out = x.clone()
    SolarizeOp(1., 0.5).apply(out, dict(apply=torch.tensor([True, False, True, False])))
    assert torch.equal(out[1::2], x[1::2]) and not torch.equal(out[0::2], x[0::2])


# --- the draws against mmpretrain's CPU transforms built from the same config -------------

N = 20000


def _cpu_reference(view: list[dict]) -> dict:
    """Rates and parameter samples of mmpretrain's own transforms for this view."""
    init_default_scope('mmpretrain')
    ref: dict = {}
    np.random.seed(0)
    for t in view:
        if t['type'] not in PHOTOMETRIC_TYPES:
            continue
        built = TRANSFORMS.build(copy.deepcopy(t))
        if t['type'] == 'RandomApply':
            jitter = built.transforms.transforms[0]
            ref['jitter'] = built.prob
            draws = [jitter._rand_params() for _ in range(4000)]
            ref['factors'] = np.array([[v if v is not None else (0. if j == 3 else 1.)
                                        for j, v in enumerate(d[1:])] for d in draws])
        elif t['type'] == 'RandomGrayscale':
            ref['gray'] = built.prob
        elif t['type'] == 'GaussianBlur':
            ref['blur'] = built.prob
            ref['sigma'] = np.array([built.random_magnitude() for _ in range(4000)])
        elif t['type'] == 'Solarize':
            ref['solarize'] = built.prob
    return ref


def _mismatches(cpu_view: list[dict], device_view: list[dict]) -> list[str]:
    """What differs between the CPU law of ``cpu_view`` and the device draws of
    ``device_view`` (the view the preprocessor was configured with)."""
    ref = _cpu_reference(cpu_view)
    ops = parse_view(device_view).ops
    gen = torch.Generator().manual_seed(1)
    draws = {type(op).__name__: op.draw(N, gen) for op in ops}
    rates = dict(jitter=('ColorJitterOp', 'apply'), gray=('GrayscaleOp', 'apply'),
                 blur=('GaussianBlurOp', 'apply'), solarize=('SolarizeOp', 'apply'))
    bad = []
    for key, (op_name, field) in rates.items():
        expect = ref.get(key, 0.)
        got = draws[op_name][field].float().mean().item() if op_name in draws else 0.
        # two-sided binomial test at 1e-4; a perturbation of 0.05 is > 10 sigma at N=20000
        k = round(got * N)
        if stats.binomtest(k, N, expect).pvalue < 1e-4 if 0 < expect < 1 else got != expect:
            bad.append(f'{key} rate {got:.4f} != {expect}')
    if 'factors' in ref:
        mine = draws['ColorJitterOp']['factors'].numpy()
        for j, name in enumerate(('brightness', 'contrast', 'saturation', 'hue')):
            if stats.ks_2samp(mine[:, j], ref['factors'][:, j]).pvalue < 1e-4:
                bad.append(f'{name} law differs')
        counts = np.unique(draws['ColorJitterOp']['order'].numpy(), axis=0, return_counts=True)[1]
        if len(counts) != 24 or stats.chisquare(counts).pvalue < 1e-4:
            bad.append('orders are not uniform over the 24 permutations')
    if 'sigma' in ref and stats.ks_2samp(draws['GaussianBlurOp']['sigma'].numpy(),
                                         ref['sigma']).pvalue < 1e-4:
        bad.append('blur sigma law differs')
    return bad


@pytest.mark.parametrize('name,view', VIEWS, ids=[v[0] for v in VIEWS])
def test_draws_follow_the_cpu_pipeline(name, view):
    assert _mismatches(view, view) == []


def _set(view: list[dict], kind: str, **changes) -> list[dict]:
    out = copy.deepcopy(view)
    for t in out:
        if kind == 'ColorJitter' and t['type'] == 'RandomApply':
            t['transforms'][0].update(changes)
        elif t['type'] == kind:
            t.update(changes)
    return out


PERTURBED = [
    ('blur prob', lambda v: _set(v, 'GaussianBlur', prob=0.15)),
    ('solarize prob', lambda v: _set(v, 'Solarize', prob=0.25)),
    ('gray prob', lambda v: _set(v, 'RandomGrayscale', prob=0.25)),
    ('jitter prob', lambda v: _set(v, 'RandomApply', prob=0.75)),
    ('brightness range', lambda v: _set(v, 'ColorJitter', brightness=0.3)),
    ('hue range', lambda v: _set(v, 'ColorJitter', hue=0.15)),
    ('sigma range', lambda v: _set(v, 'GaussianBlur', magnitude_range=(0.1, 2.5))),
]


@pytest.mark.parametrize('what,perturb', PERTURBED, ids=[p[0] for p in PERTURBED])
def test_statistical_check_catches_a_wrong_probability_or_range(what, perturb):
    view = PIXCON_BASE.view_pipeline2  # has every op with 0 < p < 1 or p = 1
    assert _mismatches(view, perturb(view)), f'a wrong {what} went unnoticed'


def test_grayscale_weights_are_the_configs_bgr_weights_reversed():
    gray = [op for op in parse_view(PIXCON_BASE.view_pipeline1).ops
            if isinstance(op, GrayscaleOp)][0]
    bgr = np.array(PIXCON_BASE.grayscale.channel_weights)
    np.testing.assert_allclose(gray.rgb_weights, bgr[::-1] / bgr.sum())


def test_unsupported_transform_is_refused_by_name():
    with pytest.raises(PixConInputError, match=r'views\[1\].*Posterize'):
        parse_view([dict(type='RandomFlip', prob=0.5), dict(type='Posterize', bits=4)])


def test_config_list_of_photometric_types_is_the_modules():
    assert tuple(Config.fromfile(CFG_DIR / '_base_/gpuaug.py').photometric_types) \
        == PHOTOMETRIC_TYPES


# --- the preprocessor in the model's input layout ------------------------------------------

def _preprocessor(**kw):
    init_default_scope('mmpretrain')
    return MODELS.build(dict(type='PhotometricDataPreprocessor', mean=[123.675, 116.28, 103.53],
                             std=[58.395, 57.12, 57.375], to_rgb=True, seed=0, **kw))


def test_preprocessor_matches_selfsup_layout_and_augments_only_in_training():
    bgr = (_photos(2, 32) * 255).round().to(torch.uint8).flip(1)  # (2, 3, 32, 32) BGR
    data = dict(inputs=[bgr, bgr.clone()], data_samples=['a', 'b'])
    plain = MODELS.build(dict(type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
                              std=[58.395, 57.12, 57.375], to_rgb=True))(copy.deepcopy(data))
    no_ops = _preprocessor(views=[[], []])
    for training in (False, True):
        out = no_ops(copy.deepcopy(data), training)
        for a, b in zip(out['inputs'], plain['inputs']):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=0)
    pre = _preprocessor(views=[[dict(type='Solarize', thr=128, prob=1.0)], []])
    out = pre(copy.deepcopy(data), True)
    assert out['data_samples'] == ['a', 'b']
    # solarised in RGB [0, 1] then normalised again; levels >= 128 invert, as on the CPU
    rgb = bgr.flip(1).float() / 255
    assert (bgr == 128).any()  # the threshold level itself is in the photo
    expect = (torch.where(rgb >= 128 / 255, 1 - rgb, rgb) * 255 - pre.mean) / pre.std
    torch.testing.assert_close(out['inputs'][0], expect, atol=1e-4, rtol=0)
    torch.testing.assert_close(out['inputs'][1], plain['inputs'][1], atol=1e-4, rtol=0)
    assert not torch.equal(pre(copy.deepcopy(data), False)['inputs'][0], out['inputs'][0])
    with pytest.raises(PixConInputError, match='2 view pipelines but the batch has 3'):
        pre(dict(inputs=[bgr] * 3, data_samples=None), True)


# --- configs ---------------------------------------------------------------------------------

def test_every_pretraining_config_has_a_gpuaug_variant():
    cpu = {p.stem for p in CFG_DIR.glob('*_800e.py')}
    assert {p.stem.removesuffix('_gpuaug') for p in GPUAUG} == cpu


def _pipelines(cfg: Config) -> list[list[dict]]:
    dataset = cfg.train_dataloader.dataset
    return [d.pipeline for d in dataset.datasets] if 'datasets' in dataset else [dataset.pipeline]


def _types(obj) -> set[str]:
    if isinstance(obj, dict):
        return ({obj['type']} if 'type' in obj else set()) | set().union(
            *(_types(v) for v in obj.values()))
    if isinstance(obj, (list, tuple)):
        return set().union(*(_types(v) for v in obj))
    return set()


@pytest.mark.parametrize('path', GPUAUG, ids=lambda p: p.name)
def test_gpuaug_config_moves_exactly_the_photometric_ops(path):
    cpu = Config.fromfile(path.with_name(path.name.replace('_gpuaug', '')))
    gpu = Config.fromfile(path)
    for pipe in _pipelines(gpu):
        assert not _types(pipe) & set(PHOTOMETRIC_TYPES)
    cpu_types = _types(_pipelines(cpu)[0])
    # PixCon's PerViewPipeline wrapper goes with the photometric ops it held
    assert _types(_pipelines(gpu)[0]) == cpu_types - {*PHOTOMETRIC_TYPES, 'PerViewPipeline'}
    pre = gpu.model.data_preprocessor
    assert pre.type == 'PhotometricDataPreprocessor'
    for key in ('mean', 'std', 'to_rgb'):
        assert pre[key] == cpu.model.data_preprocessor[key]
    # the device views are the CPU views' photometric transforms, in order
    def photometric(view):
        return [dict(t) for t in view if t['type'] in PHOTOMETRIC_TYPES]
    assert [photometric(v) for v in pre.views] == \
        [photometric(v) for v in _cpu_views(_pipelines(cpu)[0])]


def _cpu_views(pipeline: list[dict]) -> list[list[dict]]:
    """The per-view transform lists of a CPU two-view pipeline."""
    for t in pipeline:
        if t['type'] == 'PerViewPipeline':
            return list(t['pipelines'])
        if t['type'] == 'MultiView':
            counts = t['num_views']
            counts = counts if isinstance(counts, list) else [counts] * len(t['transforms'])
            return [v for v, k in zip(t['transforms'], counts) for _ in range(k)]
    raise AssertionError('no view pipelines found')


def test_boxes_and_flips_do_not_depend_on_where_photometric_ops_run():
    init_default_scope('mmpretrain')
    cpu = Config.fromfile(CFG_DIR / 'pixcon_coord_coco_800e.py').train_pipeline
    gpu = Config.fromfile(CFG_DIR / 'pixcon_coord_coco_800e_gpuaug.py').train_pipeline
    cpu, gpu = ([TRANSFORMS.build(copy.deepcopy(t)) for t in p] for p in (cpu, gpu))
    for path in scene_image_paths()[:6]:
        outs = []
        for pipe in (cpu, gpu):
            np.random.seed(7)
            results = dict(img_path=str(path))
            for t in pipe:
                results = t(results)
            outs.append(results['data_samples'])
        for key in ('pixcon_boxes', 'pixcon_flips'):
            np.testing.assert_array_equal(outs[0].get(key), outs[1].get(key))


def _tiny(cfg: Config, root: Path, work_dir: Path) -> Config:
    """Two iterations of batch 2 at 64 px from ``root`` with a plain SGD on CPU, on a
    ResNet-18 with 128-wide hidden layers (the pipeline and preprocessor untouched)."""
    def narrow(obj):
        if isinstance(obj, dict):
            if obj.get('in_channels') == 2048:
                obj['in_channels'] = 512
            if 'hid_channels' in obj:
                obj['hid_channels'] = 128
            for v in obj.values():
                narrow(v)
    cfg.model.backbone.depth = 18
    narrow(cfg.model)
    def shrink(obj):
        if isinstance(obj, dict):
            if obj.get('type') == 'OverlapTwoCrop':
                obj['size'] = 64
            if obj.get('type') == 'RandomResizedCrop':
                obj['scale'] = 64
            for v in obj.values():
                shrink(v)
        elif isinstance(obj, list):
            for v in obj:
                shrink(v)
    for pipe in _pipelines(cfg):
        shrink(pipe)
    dataset = cfg.train_dataloader.dataset
    for d in (dataset.datasets if 'datasets' in dataset else [dataset]):
        d.data_root, d.data_prefix = str(root), 'train2017'
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False,
                                pin_memory=False)
    cfg.optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01))
    cfg.param_scheduler = []
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=100)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    if 'queue_len' in cfg.model:
        cfg.model.queue_len = 64
    cfg.work_dir = str(work_dir)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    return cfg


@pytest.mark.parametrize('path', GPUAUG, ids=lambda p: p.name)
def test_gpuaug_config_trains_two_iterations(path, coco_mini, tmp_path):
    from mmengine.runner import Runner
    root = coco_mini
    if 'cocoplus' in path.name:  # its second folder: the same photos
        (root / 'unlabeled2017').mkdir(exist_ok=True)
        for p in (root / 'train2017').iterdir():
            target = root / 'unlabeled2017' / p.name
            if not target.exists():
                target.symlink_to(p)
    cfg = _tiny(Config.fromfile(path), root, tmp_path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        runner = Runner.from_cfg(cfg)
        runner.train()
    assert runner.iter == 2
    assert isinstance(runner.model.data_preprocessor, MODELS.get('PhotometricDataPreprocessor'))
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss)
