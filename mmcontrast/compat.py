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
   allows exactly the types mmengine itself writes (:data:`CHECKPOINT_SAFE_GLOBALS`).
   No path of the project ever loads with ``weights_only=False``: a checkpoint
   carrying any other pickled object is refused with an error, never executed.
3. mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and keeps the
   config's ``nccl`` backend, and ``Runner.wrap_model`` passes ``device_ids`` to
   DDP: both fail on a machine without CUDA. Without CUDA the launcher now uses
   gloo, and DDP gets no ``device_ids`` for a CPU module, so ``tools/dist_train.sh``
   runs on CPU processes.
"""
from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np

_applied = False


def apply_compat_fixes() -> None:
    """Apply every fix once (idempotent); a fix whose package is absent is skipped."""
    global _applied
    if _applied:
        return
    _applied = True
    _fix_mmcv_adjust_hue()
    _fix_checkpoint_loading()
    _fix_cpu_distributed()


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


def _fix_mmcv_adjust_hue() -> None:
    try:
        import mmcv
        import mmcv.image
        import mmcv.image.photometric as photometric
    except ImportError:
        return
    for module in (mmcv, mmcv.image, photometric):
        module.adjust_hue = adjust_hue


# --------------------------------------------------------- 2. checkpoint load
def checkpoint_safe_globals() -> list[Any]:
    """The non-tensor types mmengine writes into its checkpoints (message hub,
    numpy scalars and arrays); nothing that can run code on load."""
    import collections

    from mmengine.logging import HistoryBuffer
    dtypes = [type(np.dtype(t)) for t in
              (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
               np.uint32, np.uint64, np.float16, np.float32, np.float64)]
    multiarray = (np._core if hasattr(np, '_core') else np.core).multiarray
    return [HistoryBuffer, np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar,
            collections.OrderedDict, *dtypes]


def load_checkpoint_file(filename: str, map_location: Any = None) -> Any:
    """``torch.load`` of a local checkpoint with ``weights_only=True`` plus the
    types of :func:`checkpoint_safe_globals`; anything else is refused."""
    import pickle

    import torch
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise RuntimeError(
            f'refusing to load {filename}: it pickles objects other than tensors and '
            'the types mmengine writes, and loading it could run arbitrary code. '
            f'If you trust the file, convert it to a plain state dict first.\n{err}') from err


def _fix_checkpoint_loading() -> None:
    try:
        from mmengine.runner.checkpoint import CheckpointLoader
    except ImportError:
        return
    CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file, force=True)


# --------------------------------------------------------- 3. CPU distributed
def _fix_cpu_distributed() -> None:
    try:
        import mmengine.dist.utils as dist_utils
        from mmengine.model.wrappers import MMDistributedDataParallel
    except ImportError:
        return
    import torch
    cuda_init = dist_utils._init_dist_pytorch

    def init_dist_pytorch(backend: str = 'nccl', init_backend: str = 'torch', **kwargs) -> None:
        """The pytorch launcher; on a machine without CUDA, gloo on the CPU."""
        if torch.cuda.is_available():
            return cuda_init(backend, init_backend, **kwargs)
        torch.distributed.init_process_group(backend='gloo', **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch

    ddp_init = MMDistributedDataParallel.__init__

    def ddp_init_cpu_aware(self, module, detect_anomalous_params: bool = False, **kwargs) -> None:
        if not torch.cuda.is_available():
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        ddp_init(self, module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init_cpu_aware
