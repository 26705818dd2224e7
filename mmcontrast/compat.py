"""Workarounds for upstream OpenMMLab 2.x bugs on torch >= 2.6 and numpy 2.

Every workaround of the project lives here, is applied once by
``import mmcontrast`` (which each of mmpixcon, mmvsumm and mms2l does first), and
has a test in ``tests/foundation/test_compat.py`` that fails without it.

1. ``mmcv.adjust_hue`` (mmcv 2.1.0) computes ``np.uint8(hue_factor * 255)``,
   which numpy 2 rejects for a negative shift (``OverflowError``): ColorJitter in
   the MoCo/DenseCL/BYOL pipelines then fails about half the time. The fixed
   version rotates the hue channel by the same amount modulo 256.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine 0.10.7
   never passes the argument, so its own checkpoints (``message_hub`` holds
   ``HistoryBuffer`` objects and numpy arrays) fail to ``--resume``. The local
   checkpoint loader is replaced by one that keeps ``weights_only=True`` and
   allows exactly the types mmengine itself writes (:func:`checkpoint_safe_globals`;
   the ``getattr`` a HistoryBuffer pickles is served by a stand-in that resolves
   only its four statistic methods).
   No path of the project ever loads with ``weights_only=False``: a checkpoint
   carrying any other pickled object is refused with an error, never executed.
   The same holds for every scheme of mmengine's ``CheckpointLoader``
   (``http(s)://``, ``torchvision://``, ``open-mmlab://``, ``mmcls://``,
   ``pavi://``, ``s3://``, local): upstream, URLs go through
   ``torch.hub.load_state_dict_from_url`` with ``weights_only=False``, so a
   served checkpoint ran its pickle. Each load through the loader now runs with
   ``torch.load`` forced to the same weights-only allow-list, and an empty or
   truncated file is an error naming it instead of a bare ``EOFError``.
3. mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and keeps the
   config's ``nccl`` backend, and ``Runner.wrap_model`` passes ``device_ids`` to
   DDP: both fail on a machine without CUDA. Without CUDA the launcher now uses
   gloo, and DDP gets no ``device_ids`` for a CPU module, so ``tools/dist_train.sh``
   runs on CPU processes.
4. mmpretrain 1.2.0's multimodal models import six names from
   ``transformers.modeling_utils`` that transformers 5 moved or removed; the failed
   import (``find_pruneable_heads_and_indices`` and others) leaves
   ``PreTrainedModel = None`` and ``import mmpretrain.models`` (hence
   every mmpretrain/mmdet model) raises ``TypeError``. The names are put back on
   that module right after it is first imported (no cost when transformers is unused).
5. A config inheriting a ``_base_`` from another package (``'mmpretrain::…'``) gets
   ``_scope_`` written into every dict with a ``type``; ``Runner.build_dataloader``
   passes the ``collate_fn`` dict's extra keys to the function, so training stops
   with ``default_collate() got an unexpected keyword argument '_scope_'``. The key
   is dropped from ``collate_fn`` (a function, which has no scope) before building.
6. ``--resume`` (auto) reads only ``work_dir/last_checkpoint``: without that file,
   training silently restarts from iteration 0 and overwrites the
   ``epoch_*.pth``/``iter_*.pth`` already there, and a truncated newest checkpoint
   stops the resume. :func:`find_latest_checkpoint` takes the newest intact
   checkpoint of the work dir (complete, and matching its digest when it has one),
   warning about every one it passes over.
7. ``save_checkpoint`` writes straight to the final name, so a kill mid-write
   leaves a partial file there. Local checkpoints go through the project's one
   atomic writer (:func:`mmcontrast.fileio.atomic_path`: an exclusively created
   temporary beside the target, never a symlink followed), under a lock on the
   folder so that two savers of one name cannot pair a checkpoint with the other's
   digest; the writer first sweeps its own stale temporaries (of dead processes)
   from the folder. A full disk or file-size limit is an ``OSError`` naming the
   path and errno. Each checkpoint gets a sidecar ``NAME.sha256`` (``sha256sum``
   format) of its bytes, checked by every local load (:func:`check_digest`):
   flipped bytes are a :class:`CheckpointError` naming the file. Checkpoints
   without a sidecar (older ones, other codebases' weights) load unchecked.
8. mmcv's ``LoadImageFromFile`` (used by mmpretrain, mmdet and mmseg) re-raises
   the decoder's error for an empty or corrupt image without the file's name, or
   asserts (vanishing under ``python -O``); both become ``ImageLoadError`` naming it.
9. mmengine's ``BaseDataset`` loads its ``ann_file`` with ``mmengine.load``, which
   unpickles a ``.pkl``/``.pickle`` file (mmdet's ``proposal_file`` too): a
   downloaded annotation file could run code. Every dataset built on
   ``BaseDataset`` (the project's and mmpretrain/mmdet/mmseg's) refuses such a file
   with :class:`UntrustedPickleError` naming it (:func:`refuse_untrusted_pickles`), unless its config says the file is
   trusted with the dataset key ``trusted_pickle_ann_file=True`` (accepted by every
   such dataset, consumed before its own ``__init__`` sees it).
"""
from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import sys
from typing import Any, Callable

import numpy as np

from .checkpoint import (find_latest_checkpoint, load_checkpoint_file,
                         save_checkpoint_atomically, weights_only_torch_load)
from .errors import InputError

_applied = False


def apply_compat_fixes() -> None:
    """Apply every fix once (idempotent). Each fix patches its upstream module right
    after that module is first imported (at once if it already is), so importing
    mmcontrast costs nothing and a package that is never imported is never touched."""
    global _applied
    if _applied:
        return
    _applied = True
    _after_import('mmcv.image.photometric', _fix_mmcv_adjust_hue)
    _after_import('mmengine.runner.checkpoint', _fix_checkpoint_loading)
    _after_import('mmengine.runner.checkpoint', _fix_checkpoint_saving_and_finding)
    _after_import('mmengine.dist.utils', _fix_cpu_dist_launcher)
    _after_import('mmengine.model.wrappers.distributed', _fix_cpu_ddp)
    _after_import('transformers.modeling_utils', _restore_transformers4_names)
    _after_import('mmengine.runner.runner', _fix_collate_fn_scope)
    _after_import('mmengine.runner.runner', _fix_checkpoint_saving_and_finding)
    _after_import('mmcv.transforms.loading', _fix_image_load_error)
    _after_import('mmengine.dataset.base_dataset', _fix_pickled_annotations)


# --------------------------------------------------------------- 1. adjust_hue
def adjust_hue(img: np.ndarray, hue_factor: float, backend: str | None = None) -> np.ndarray:
    """``mmcv.adjust_hue`` with a hue shift that numpy 2 accepts.

    img: (H, W, 3) uint8 BGR; hue_factor in [-0.5, 0.5] (fraction of a full turn).
    Same results as mmcv 2.1.0 under numpy 1: the shift is ``int(hue_factor*255)``
    modulo 256 added to the 8-bit hue channel.
    """
    import cv2
    from mmcv.image import photometric
    backend = photometric.imread_backend if backend is None else backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f"backend: {backend} is not supported. Supported backends are "
                         "'cv2', 'pillow'")
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        from PIL import Image
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        hue, sat, val = Image.fromarray(img[..., ::-1], mode='RGB').convert('HSV').split()
        hue = Image.fromarray(np.asarray(hue, dtype=np.uint8) + shift, 'L')
        rgb = Image.merge('HSV', (hue, sat, val)).convert('RGB')
        return np.array(rgb, dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] += shift  # uint8 arithmetic wraps around the hue circle
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def _fix_mmcv_adjust_hue(photometric: Any) -> None:
    photometric.adjust_hue = adjust_hue
    for name in ('mmcv.image', 'mmcv'):  # re-exports made before the patch, if any
        if hasattr(sys.modules.get(name), 'adjust_hue'):
            sys.modules[name].adjust_hue = adjust_hue


# ------------------------------------ 2./6./7. loading, finding and saving checkpoints
def _fix_checkpoint_loading(checkpoint: Any) -> None:
    checkpoint.CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file,
                                                force=True)
    load_any_scheme = checkpoint.CheckpointLoader.load_checkpoint.__func__

    def load_weights_only(cls: type, filename: str, map_location: Any = None,
                          logger: Any = 'current') -> Any:
        """Every scheme (URL, hub names, pavi, s3, local) under the weights-only load."""
        with weights_only_torch_load():
            return load_any_scheme(cls, filename, map_location, logger)

    checkpoint.CheckpointLoader.load_checkpoint = classmethod(load_weights_only)


def _fix_checkpoint_saving_and_finding(module: Any) -> None:
    """Patches ``mmengine.runner.checkpoint`` and the names ``runner.py`` imported from it."""
    if not hasattr(module.save_checkpoint, '__wrapped__'):
        module.save_checkpoint = save_checkpoint_atomically(module.save_checkpoint)
    module.find_latest_checkpoint = find_latest_checkpoint


# ------------------------------------------------ 8. image load errors
class ImageLoadError(OSError):
    """An image file that exists but cannot be decoded (empty, corrupt)."""


def _fix_image_load_error(loading: Any) -> None:
    load = loading.LoadImageFromFile.transform

    def transform_naming_file(self: Any, results: dict) -> dict | None:
        try:
            return load(self, results)
        except Exception as err:
            name = results.get('img_path')
            if name is None or isinstance(err, OSError) and str(name) in str(err):
                raise  # already an OSError naming the file (missing, ImageLoadError)
            raise ImageLoadError(f'cannot load image {name}: {err}') from err

    loading.LoadImageFromFile.transform = transform_naming_file


# ------------------------------------------ 9. pickled annotation files
TRUST_PICKLE_KEY = 'trusted_pickle_ann_file'
_PICKLE_SUFFIXES = ('.pkl', '.pickle')  # the names mmengine.load unpickles


class UntrustedPickleError(InputError):
    """A dataset's annotation (or proposal) file is a pickle its config does not trust."""


def refuse_untrusted_pickles(dataset: Any) -> None:
    """Raise :class:`UntrustedPickleError` when ``dataset``'s ``ann_file`` or
    ``proposal_file`` is a pickle and the dataset was not built with
    ``trusted_pickle_ann_file=True``."""
    if getattr(dataset, '_mmcontrast_trusted_pickle', False):
        return
    root = getattr(dataset, 'data_root', None) or ''
    for key in ('ann_file', 'proposal_file'):
        name = getattr(dataset, key, None)
        if not isinstance(name, (str, os.PathLike)) or not os.fspath(name).lower().endswith(
                _PICKLE_SUFFIXES):
            continue
        name = os.fspath(name)
        path = name if os.path.isabs(name) or '://' in name else os.path.join(root, name)
        raise UntrustedPickleError(
            f'{type(dataset).__name__} {key} {path}: a pickled file, and unpickling a '
            'file from elsewhere can run arbitrary code. Convert it to JSON on a machine '
            'you trust (mmengine.dump(mmengine.load(path), "annotations.json")), or, if '
            f'you made it yourself, add {TRUST_PICKLE_KEY}=True to the dataset config.')


def _trusting_init(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def __init__(self, *args: Any, trusted_pickle_ann_file: bool | None = None,
                 **kwargs: Any) -> None:
        if trusted_pickle_ann_file is not None:
            if not isinstance(trusted_pickle_ann_file, bool):
                raise InputError(f'{type(self).__name__}: {TRUST_PICKLE_KEY} must be True '
                                 f'or False, not {trusted_pickle_ann_file!r}')
            self._mmcontrast_trusted_pickle = trusted_pickle_ann_file
        init(self, *args, **kwargs)

    __init__._mmcontrast = True
    return __init__


def _refusing_full_init(full_init: Callable[[Any], None]) -> Callable[[Any], None]:
    @functools.wraps(full_init)
    def checked_full_init(self: Any) -> None:
        refuse_untrusted_pickles(self)
        full_init(self)

    checked_full_init._mmcontrast = True
    return checked_full_init


def _guard_dataset_class(cls: type) -> None:
    """Wrap the ``__init__`` (to take the trust key) and ``full_init`` (to check
    before loading) that ``cls`` itself defines."""
    for attr, wrap in (('__init__', _trusting_init), ('full_init', _refusing_full_init)):
        own = cls.__dict__.get(attr)
        if own is not None and not getattr(own, '_mmcontrast', False):
            setattr(cls, attr, wrap(own))


def _fix_pickled_annotations(base_dataset: Any) -> None:
    base = base_dataset.BaseDataset
    pending = [base]
    while pending:  # the classes defined before this patch
        cls = pending.pop()
        _guard_dataset_class(cls)
        pending += cls.__subclasses__()

    def init_subclass(cls: type, **kwargs: Any) -> None:  # the ones defined later
        super(base, cls).__init_subclass__(**kwargs)
        _guard_dataset_class(cls)

    base.__init_subclass__ = classmethod(init_subclass)


# --------------------------------------------------------- 3. CPU distributed
def _fix_cpu_dist_launcher(dist_utils: Any) -> None:
    import torch
    cuda_init = dist_utils._init_dist_pytorch

    def init_dist_pytorch(backend: str = 'nccl', init_backend: str = 'torch', **kwargs) -> None:
        """The pytorch launcher; on a machine without CUDA, gloo on the CPU."""
        if torch.cuda.is_available():
            return cuda_init(backend, init_backend, **kwargs)
        torch.distributed.init_process_group(backend='gloo', **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch


def _fix_cpu_ddp(wrappers: Any) -> None:
    import torch
    ddp_init = wrappers.MMDistributedDataParallel.__init__

    def ddp_init_cpu_aware(self, module, detect_anomalous_params: bool = False, **kwargs) -> None:
        """DDP without ``device_ids`` when there is no CUDA (a CPU module)."""
        if not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        ddp_init(self, module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    wrappers.MMDistributedDataParallel.__init__ = ddp_init_cpu_aware


# ------------------------------------- 4. transformers 5 names for mmpretrain
class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Runs each of ``patches`` on module ``name`` right after it is first imported."""

    def __init__(self, name: str) -> None:
        self.name, self.patches = name, []

    def find_spec(self, fullname: str, path: Any, target: Any = None):
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_patch(module: Any) -> None:
            exec_module(module)
            for patch in self.patches:
                patch(module)

        spec.loader.exec_module = exec_then_patch
        return spec


_pending: dict[str, _PatchAfterImport] = {}


def _after_import(name: str, patch: Callable[[Any], None]) -> None:
    if name in sys.modules:
        patch(sys.modules[name])
        return
    if name not in _pending:
        _pending[name] = _PatchAfterImport(name)
        sys.meta_path.insert(0, _pending[name])
    _pending[name].patches.append(patch)


def find_pruneable_heads_and_indices(heads: list[int], n_heads: int, head_size: int,
                                     already_pruned_heads: set[int]) -> tuple[set[int], Any]:
    """Heads still to prune, and the (n_kept * head_size,) indices of the rows to keep."""
    import torch
    heads_to_prune = set(heads) - set(already_pruned_heads)
    keep = torch.ones(n_heads, head_size, dtype=torch.bool)
    for head in heads_to_prune:
        shifted = head - sum(1 for pruned in already_pruned_heads if pruned < head)
        keep[shifted] = False
    return heads_to_prune, torch.arange(n_heads * head_size)[keep.view(-1)]


def _restore_transformers4_names(modeling_utils: Any) -> None:
    import transformers
    from transformers import pytorch_utils
    restored = dict(
        apply_chunking_to_forward=getattr(pytorch_utils, 'apply_chunking_to_forward', None),
        prune_linear_layer=getattr(pytorch_utils, 'prune_linear_layer', None),
        find_pruneable_heads_and_indices=find_pruneable_heads_and_indices,
        GenerationConfig=transformers.GenerationConfig,
        GenerationMixin=transformers.GenerationMixin,
        PretrainedConfig=transformers.PretrainedConfig)
    for name, value in restored.items():
        if value is not None and not hasattr(modeling_utils, name):
            setattr(modeling_utils, name, value)


# ---------------------------------------------- 5. _scope_ in collate_fn dict
def _fix_collate_fn_scope(runner_module: Any) -> None:
    build_dataloader = runner_module.Runner.build_dataloader

    def build_without_collate_scope(dataloader: Any, seed: int | None = None,
                                    diff_rank_seed: bool = False) -> Any:
        collate = dataloader.get('collate_fn') if isinstance(dataloader, dict) else None
        if isinstance(collate, dict) and '_scope_' in collate:
            collate = {k: v for k, v in collate.items() if k != '_scope_'}
            dataloader = {**dataloader, 'collate_fn': collate}
        return build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    runner_module.Runner.build_dataloader = staticmethod(build_without_collate_scope)
