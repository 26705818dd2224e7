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
   import leaves ``PreTrainedModel = None`` and ``import mmpretrain.models`` (hence
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
   checkpoint of the work dir, warning about every one it passes over.
7. ``save_checkpoint`` writes straight to the final name, so a kill mid-write
   leaves a partial file there. Local checkpoints are written to a temporary file
   beside it and renamed into place when complete.
8. mmcv's ``LoadImageFromFile`` (used by mmpretrain, mmdet and mmseg) re-raises
   the decoder's error for an empty or corrupt image without the file's name, or
   asserts (vanishing under ``python -O``); both become ``ImageLoadError`` naming it.
"""
from __future__ import annotations

import contextlib
import glob
import importlib.abc
import importlib.machinery
import io
import os
import re
import sys
import warnings
import zipfile
from typing import Any, Callable, Iterator, Optional

import numpy as np

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


# --------------------------------------------------------------- 1. adjust_hue
def adjust_hue(img: np.ndarray, hue_factor: float, backend: Optional[str] = None) -> np.ndarray:
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


# --------------------------------------------------------- 2. checkpoint load
def _history_buffer_statistic(owner: type, name: str) -> Any:
    """Stands in for ``getattr`` on load: a pickled ``HistoryBuffer`` refers to its
    statistic methods as ``getattr(HistoryBuffer, 'mean')``; nothing else passes."""
    import pickle

    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'getattr({owner!r}, {name!r}) is not allowed on load')


def checkpoint_safe_globals() -> list[Any]:
    """The non-tensor types mmengine writes into its checkpoints (message hub,
    numpy scalars and arrays); nothing that can run code on load."""
    import collections

    from mmengine.logging import HistoryBuffer
    dtypes = [type(np.dtype(t)) for t in
              (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
               np.uint32, np.uint64, np.float16, np.float32, np.float64)]
    multiarray = (np._core if hasattr(np, '_core') else np.core).multiarray
    return [HistoryBuffer, (_history_buffer_statistic, 'builtins.getattr'), np.ndarray,
            np.dtype, multiarray._reconstruct, multiarray.scalar, collections.OrderedDict,
            *dtypes]


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be loaded safely: refused, empty or truncated."""


def _source_name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, 'name', None) or f'<{type(source).__name__} stream>'


_torch_load = None  # torch.load as torch defines it, kept while a safe load runs


def weights_only_load(source: Any, map_location: Any = None, *_args: Any, **_kwargs: Any) -> Any:
    """``torch.load`` with ``weights_only=True`` and :func:`checkpoint_safe_globals`,
    whatever the caller asked for; other arguments (``pickle_module``,
    ``weights_only=False``) are ignored. Raises :class:`CheckpointError` naming the
    source for a refused pickle and for an empty or truncated file."""
    import pickle

    import torch
    load = _torch_load or torch.load
    name = _source_name(source)
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if 'weights_only' not in str(err) and 'Unsupported' not in str(err):
            raise CheckpointError(f'{name} is not a complete checkpoint (empty, truncated '
                                  f'or not written by torch.save): {err}') from err
        raise CheckpointError(
            f'refusing to load {name}: it pickles objects other than tensors and '
            'the types mmengine writes, and loading it could run arbitrary code. '
            f'If you trust the file, convert it to a plain state dict first.\n{err}') from err
    except (EOFError, zipfile.BadZipFile) as err:
        raise CheckpointError(f'{name} is not a complete checkpoint (empty or '
                              f'truncated): {err!r}') from err
    except (IndexError, KeyError, ValueError) as err:  # what the unpickler makes of other bytes
        raise CheckpointError(f'{name} is not a complete checkpoint (not written by '
                              f'torch.save): {err!r}') from err
    except RuntimeError as err:
        if isinstance(err, CheckpointError) or not re.search(
                'PytorchStreamReader|zip archive|central directory|magic number', str(err)):
            raise
        raise CheckpointError(f'{name} is not a complete checkpoint (empty or '
                              f'truncated): {err}') from err


@contextlib.contextmanager
def weights_only_torch_load() -> Iterator[None]:
    """Within the block, every ``torch.load`` (mmengine's loaders, ``torch.hub``)
    is :func:`weights_only_load`."""
    import torch
    global _torch_load
    previous, outer = torch.load, _torch_load
    _torch_load = outer or previous
    torch.load = weights_only_load
    try:
        yield
    finally:
        torch.load, _torch_load = previous, outer


def load_checkpoint_file(filename: str, map_location: Any = None) -> Any:
    """A local checkpoint through :func:`weights_only_load`."""
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return weights_only_load(filename, map_location=map_location)


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


# ------------------------------------ 6./7. finding and saving checkpoints
_CHECKPOINT_NAME = re.compile(r'(epoch|iter)_(\d+)\.pth$')


def is_intact_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` zip archive: a truncated or
    empty file has lost the archive's closing directory. Cheap: reads the tail."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith('data.pkl') for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def find_latest_checkpoint(work_dir: str) -> Optional[str]:
    """The newest intact checkpoint of ``work_dir``: the one ``last_checkpoint``
    names, else the ``epoch_*.pth``/``iter_*.pth`` with the highest number (then
    the newest file). A truncated candidate is passed over with a warning naming
    it and the one used; ``None`` when the directory has no checkpoint at all.
    Raises :class:`CheckpointError` when there are checkpoints but none is intact."""
    from mmengine.logging import print_log
    candidates = []
    pointer = os.path.join(work_dir, 'last_checkpoint')
    if os.path.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named:
            candidates.append(named if os.path.isabs(named) or os.path.exists(named)
                              else os.path.join(work_dir, os.path.basename(named)))

    def order(path: str) -> tuple[int, float]:
        return int(_CHECKPOINT_NAME.search(path).group(2)), os.path.getmtime(path)

    numbered = [p for p in glob.glob(os.path.join(work_dir, '*.pth'))
                if _CHECKPOINT_NAME.search(os.path.basename(p))]
    candidates += sorted(numbered, key=order, reverse=True)
    skipped = []
    for path in dict.fromkeys(candidates):
        if is_intact_checkpoint(path):
            if skipped:
                warnings.warn(f'resuming from {path}: passed over {", ".join(skipped)} '
                              '(missing, empty or truncated)')
            elif not os.path.isfile(pointer):
                print_log(f'{pointer} does not exist; resuming from the newest '
                          f'checkpoint found, {path}', logger='current')
            return path
        skipped.append(path)
    if skipped:
        raise CheckpointError(f'--resume: no intact checkpoint in {work_dir}; these are '
                              f'missing, empty or truncated: {", ".join(skipped)}')
    print_log(f'No checkpoint in {work_dir} to resume from; training starts anew.',
              logger='current')
    return None


def save_checkpoint_atomically(save: Callable[..., None]) -> Callable[..., None]:
    """Wraps mmengine's ``save_checkpoint``: a local file is written to
    ``NAME.partial`` and renamed to ``NAME`` when complete (other backends as before)."""

    def save_then_rename(checkpoint: dict, filename: str, file_client_args: Any = None,
                         backend_args: Any = None) -> None:
        if re.match(r'[a-zA-Z][\w+.-]*://', str(filename)) or file_client_args or backend_args:
            return save(checkpoint, filename, file_client_args, backend_args)
        import torch
        partial = f'{filename}.partial'
        try:
            with open(partial, 'wb') as f:
                torch.save(checkpoint, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, filename)
        finally:
            if os.path.exists(partial):
                os.remove(partial)

    save_then_rename.__wrapped__ = save
    return save_then_rename


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

    def transform_naming_file(self: Any, results: dict) -> Optional[dict]:
        try:
            return load(self, results)
        except Exception as err:
            name = results.get('img_path')
            if name is None or isinstance(err, OSError) and str(name) in str(err):
                raise  # already an OSError naming the file (missing, ImageLoadError)
            raise ImageLoadError(f'cannot load image {name}: {err}') from err

    loading.LoadImageFromFile.transform = transform_naming_file


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

    def build_without_collate_scope(dataloader: Any, seed: Optional[int] = None,
                                    diff_rank_seed: bool = False) -> Any:
        collate = dataloader.get('collate_fn') if isinstance(dataloader, dict) else None
        if isinstance(collate, dict) and '_scope_' in collate:
            collate = {k: v for k, v in collate.items() if k != '_scope_'}
            dataloader = {**dataloader, 'collate_fn': collate}
        return build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    runner_module.Runner.build_dataloader = staticmethod(build_without_collate_scope)
