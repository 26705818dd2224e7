"""Each workaround of mmcontrast.compat, with a check that fails without it."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

import mmcontrast  # noqa: F401
from mmcontrast import compat

from ..conftest import free_port


def _reference_hue_rotation(bgr: np.ndarray, factor: float) -> np.ndarray:
    """Rotate the 8-bit full-range hue by int(factor*255) steps, modulo 256."""
    import cv2
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV_FULL).astype(np.int64)
    hsv[..., 0] = (hsv[..., 0] + int(factor * 255)) % 256
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)


@pytest.mark.parametrize('factor', [-0.5, -0.1, -0.004, 0.0, 0.1, 0.5])
def test_adjust_hue_accepts_negative_shifts(factor):
    import mmcv
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
    out = mmcv.adjust_hue(bgr, factor, backend='cv2')
    np.testing.assert_array_equal(out, _reference_hue_rotation(bgr, factor))
    pil_out = mmcv.adjust_hue(bgr, factor, backend='pillow')
    assert pil_out.shape == bgr.shape and pil_out.dtype == np.uint8


def test_adjust_hue_upstream_still_broken():
    """The fix is needed: mmcv's own function fails on numpy 2 for a negative shift.
    When this starts failing, upstream is fixed and the workaround can go."""
    import importlib.util
    spec = importlib.util.find_spec('mmcv.image.photometric')
    source = open(spec.origin).read()
    namespace: dict = {}
    start = source.index('def adjust_hue(')
    end = source.find('\ndef ', start + 1)
    exec(compile('import numpy as np\nimport cv2\nfrom typing import Optional\n'
                 'imread_backend = "cv2"\n' + source[start:end if end > 0 else None], 'upstream', 'exec'), namespace)
    with pytest.raises(OverflowError):
        namespace['adjust_hue'](np.zeros((4, 4, 3), np.uint8), -0.1, backend='cv2')


def test_colorjitter_pipeline_with_negative_hue():
    from mmpretrain.datasets.transforms import ColorJitter
    transform = ColorJitter(brightness=0., contrast=0., saturation=0., hue=(-0.2, -0.1))
    img = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = transform(dict(img=img))['img']
    assert out.shape == img.shape and not np.array_equal(out, img)


def _mmengine_style_checkpoint(path):
    from mmengine.logging import HistoryBuffer
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(np.float64(0.25))
    torch.save({'meta': {'iter': 3, 'seed': np.int64(7)},
                'state_dict': {'w': torch.ones(2)},
                'message_hub': {'log_scalars': {'train/loss': buffer},
                                'runtime_info': {'iter': 3}}}, path)


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'ckpt.pth'
    _mmengine_style_checkpoint(path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert loaded['message_hub']['log_scalars']['train/loss'].mean() == pytest.approx(0.375)
    assert loaded['meta']['seed'] == 7
    with pytest.raises(pickle.UnpicklingError):  # what happens without the fix
        torch.load(path, map_location='cpu')


class _RunsCodeOnLoad:
    def __reduce__(self):
        return (subprocess.call, (['touch', str(self.marker)],))


def test_untrusted_checkpoint_is_refused_not_executed(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    payload = _RunsCodeOnLoad()
    payload.marker = tmp_path / 'executed'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'extra': payload}, path)
    with pytest.raises(RuntimeError, match='refusing to load'):
        _load_checkpoint(str(path), map_location='cpu')
    assert not payload.marker.exists()


def test_cpu_distributed_launcher_uses_gloo(tmp_path):
    """mmengine's pytorch launcher, run in 2 processes without CUDA."""
    script = tmp_path / 'init.py'
    script.write_text(
        'import mmcontrast, torch, torch.distributed as dist\n'
        'from mmengine.dist import init_dist, get_rank, get_world_size, all_reduce\n'
        'from mmengine.model import MMDistributedDataParallel\n'
        "init_dist('pytorch', backend='nccl')\n"
        'assert dist.get_backend() == "gloo" and get_world_size() == 2\n'
        'value = torch.tensor([float(get_rank() + 1)])\n'
        'all_reduce(value, op="sum")\n'
        'assert value.item() == 3.0\n'
        'model = MMDistributedDataParallel(module=torch.nn.Linear(2, 2), device_ids=[0])\n'
        'print("ok", get_rank())\n')
    port = free_port()
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={port}', str(script)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('ok') == 2
    assert compat._applied


class _GetattrGadget:
    """Pickles as getattr(numpy.ndarray, 'tofile'): a path to file writes on load."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_getattr_on_load_is_limited_to_history_buffer(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'gadget.pth'
    torch.save({'extra': _GetattrGadget()}, path)
    with pytest.raises(RuntimeError, match='refusing to load'):
        _load_checkpoint(str(path), map_location='cpu')


def test_mmpretrain_models_import_beside_transformers5():
    import transformers.modeling_utils as modeling_utils
    import mmpretrain.models  # noqa: F401  raised TypeError before the fix
    from mmpretrain.models.multimodal.blip.language_model import BertPreTrainedModel
    assert issubclass(BertPreTrainedModel, modeling_utils.PreTrainedModel)
    # 4 heads of size 2, head 0 already gone (3 left): pruning heads 1 and 3 drops
    # rows 0-1 (old head 1) and 4-5 (old head 3) of the 6 remaining.
    heads, index = modeling_utils.find_pruneable_heads_and_indices([1, 3], 3, 2, {0})
    assert heads == {1, 3} and index.tolist() == [2, 3]


def test_mmpretrain_models_import_fails_without_the_fix():
    """Canary: when this fails, upstream is fixed and workaround 4 can go."""
    proc = subprocess.run([sys.executable, '-c', 'import mmpretrain.models'],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and 'NoneType takes no arguments' in proc.stderr


def test_collate_fn_dict_with_scope_builds():
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(dict(
        batch_size=2, dataset=[1, 2, 3, 4], sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate', _scope_='mmpretrain')))
    assert next(iter(loader)).tolist() == [1, 2]


def _stock_dataset(name: str) -> type:
    if name == 'mmengine':
        from mmengine.dataset import BaseDataset
        return BaseDataset
    if name == 'mmpretrain':
        from mmpretrain.datasets import BaseDataset
        return BaseDataset
    from mmdet.datasets import BaseDetDataset
    return BaseDetDataset


@pytest.mark.parametrize('stock', ['mmengine', 'mmpretrain', 'mmdet'])
def test_pickled_annotation_file_is_refused_not_executed(tmp_path, stock):
    """mmengine's BaseDataset unpickles a ``.pkl`` ann_file: the pickle's code must
    not run, and the error names the file and the key that trusts it."""
    payload = _RunsCodeOnLoad()
    payload.marker = tmp_path / 'executed'
    ann_file = tmp_path / 'annotations.pkl'
    ann_file.write_bytes(pickle.dumps({'metainfo': {}, 'data_list': [payload]}))
    with pytest.raises(compat.UntrustedPickleError, match='trusted_pickle_ann_file') as caught:
        _stock_dataset(stock)(ann_file=str(ann_file), data_root=str(tmp_path))
    assert str(ann_file) in str(caught.value)
    assert not payload.marker.exists(), 'the pickle ran'


def test_pickled_annotation_refused_through_a_config_and_relative_to_data_root(tmp_path):
    from mmengine.registry import DATASETS
    payload = _RunsCodeOnLoad()
    payload.marker = tmp_path / 'executed'
    (tmp_path / 'ann.pickle').write_bytes(pickle.dumps({'data_list': [payload]}))
    with pytest.raises(compat.UntrustedPickleError, match=str(tmp_path / 'ann.pickle')):
        DATASETS.build(dict(type='mmpretrain.BaseDataset', ann_file='ann.pickle',
                            data_root=str(tmp_path)))
    assert not payload.marker.exists()


def test_mmdet_proposal_pickle_is_refused(tmp_path):
    from mmdet.datasets import BaseDetDataset
    payload = _RunsCodeOnLoad()
    payload.marker = tmp_path / 'executed'
    (tmp_path / 'proposals.pkl').write_bytes(pickle.dumps([payload]))
    (tmp_path / 'ann.json').write_text('{"metainfo": {}, "data_list": []}')
    with pytest.raises(compat.UntrustedPickleError, match='proposals.pkl'):
        BaseDetDataset(ann_file='ann.json', proposal_file='proposals.pkl',
                       data_root=str(tmp_path))
    assert not payload.marker.exists()


@pytest.mark.parametrize('stock', ['mmengine', 'mmpretrain', 'mmdet'])
def test_a_trusted_pickled_annotation_file_loads(tmp_path, stock):
    ann_file = tmp_path / 'annotations.pkl'
    sample = {'img_path': 'a.jpg', 'gt_label': 1} if stock == 'mmpretrain' else {
        'img_path': 'a.jpg', 'instances': []}
    ann_file.write_bytes(pickle.dumps({'metainfo': {}, 'data_list': [sample]}))
    dataset = _stock_dataset(stock)(ann_file=str(ann_file), trusted_pickle_ann_file=True,
                                    filter_cfg=None)
    assert len(dataset) == 1
