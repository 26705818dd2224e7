"""Checkpoint integrity: the weights-only load, the sidecar digest and the atomic save.

The rules every local checkpoint of the project follows (applied to mmengine by
:mod:`mmcontrast.compat`, fixes 2, 6 and 7): a load never unpickles anything but
tensors and the types mmengine writes (:func:`weights_only_load`); a save goes
through the one atomic writer under a folder lock and gets a ``NAME.sha256``
sidecar (:func:`save_checkpoint_file`), checked by every load (:func:`check_digest`);
``--resume`` takes the newest intact checkpoint (:func:`find_latest_checkpoint`).
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import warnings
import zipfile
from typing import Any, Callable, Iterator

import numpy as np

from .fileio import atomic_path, sweep_stale_temporaries, write_text_atomic

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
    check_digest(filename)
    return weights_only_load(filename, map_location=map_location)




_CHECKPOINT_NAME = re.compile(r'(epoch|iter)_(\d+)\.pth$')


DIGEST_SUFFIX = '.sha256'


def digest_path(path: str) -> str:
    """The sidecar file holding ``path``'s content digest."""
    return f'{path}{DIGEST_SUFFIX}'


def file_digest(path: str) -> str:
    """The SHA-256 (hex) of the bytes of ``path``."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def check_digest(path: str) -> bool:
    """Check ``path`` against its sidecar digest; ``False`` when it has none.

    Raises:
        CheckpointError: naming ``path`` and the sidecar, when the bytes differ
            from the ones saved (flipped, lost, or the file replaced) or the
            sidecar is unreadable.
    """
    sidecar = digest_path(path)
    if not os.path.isfile(sidecar):
        return False
    with open(sidecar, 'rb') as f:
        fields = f.read(1024).split()
    saved = fields[0].decode('ascii', 'replace').lower() if fields else ''
    if not re.fullmatch('[0-9a-f]{64}', saved):
        raise CheckpointError(f'{path}: its digest file {sidecar} holds no SHA-256; '
                              'delete the digest file to load the checkpoint unchecked')
    if file_digest(path) != saved:
        raise CheckpointError(
            f'{path} fails its content digest ({sidecar}): its bytes changed after it was '
            'saved (corrupted on disk or in a copy). Resume from an earlier checkpoint; '
            'if you replaced the file on purpose, delete the digest file.')
    return True


def write_digest(path: str) -> None:
    """Write ``path``'s sidecar digest (``sha256sum -c`` reads it) atomically."""
    write_text_atomic(digest_path(path), f'{file_digest(path)}  {os.path.basename(path)}\n')


def is_intact_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` zip archive: a truncated or
    empty file has lost the archive's closing directory. Cheap: reads the tail."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith('data.pkl') for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def checkpoint_problem(path: str) -> str | None:
    """Why ``path`` cannot be resumed from, in words, or ``None`` when it is intact
    (a complete archive matching its digest, when it has one)."""
    if not is_intact_checkpoint(path):
        return 'missing, empty or truncated'
    try:
        check_digest(path)
    except CheckpointError:
        return f'fails its content digest {digest_path(path)}'
    return None


def find_latest_checkpoint(work_dir: str) -> str | None:
    """The newest intact checkpoint of ``work_dir``: the one ``last_checkpoint``
    names, else the ``epoch_*.pth``/``iter_*.pth`` with the highest number (then
    the newest file). A candidate that is truncated or fails its digest is passed
    over with a warning naming it and the one used; ``None`` when the directory has
    no checkpoint at all. Raises :class:`CheckpointError` when there are
    checkpoints but none is intact."""
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
        problem = checkpoint_problem(path)
        if problem is None:
            if skipped:
                warnings.warn(f'resuming from {path}: passed over {", ".join(skipped)}')
            elif not os.path.isfile(pointer):
                print_log(f'{pointer} does not exist; resuming from the newest '
                          f'checkpoint found, {path}', logger='current')
            return path
        skipped.append(f'{path} ({problem})')
    if skipped:
        raise CheckpointError(f'--resume: no intact checkpoint in {work_dir}: '
                              f'{", ".join(skipped)}')
    print_log(f'No checkpoint in {work_dir} to resume from; training starts anew.',
              logger='current')
    return None


def checkpoints_in(work_dir: str) -> list[str]:
    """The files of ``work_dir`` that mmengine's CheckpointHook writes
    (``epoch_N.pth``, ``iter_N.pth``, ``best_*.pth``, ``last_checkpoint``), sorted."""
    names = [name for name in (os.listdir(work_dir) if os.path.isdir(work_dir) else [])
             if _CHECKPOINT_NAME.fullmatch(name) or name == 'last_checkpoint'
             or (name.startswith('best_') and name.endswith('.pth'))]
    return sorted(os.path.join(work_dir, name) for name in names)


@contextlib.contextmanager
def _folder_lock(folder: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``folder`` (none where the file system has none)."""
    import fcntl
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


class _WriteErrorKeeper:
    """The binary file ``torch.save`` writes to, keeping the ``OSError`` a write met
    (torch re-raises it as a ``RuntimeError`` without the errno)."""

    def __init__(self, file: Any) -> None:
        self.file, self.error = file, None

    def _keep(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except OSError as error:
            self.error = error
            raise

    def write(self, data: Any) -> Any:
        return self._keep(self.file.write, data)

    def flush(self) -> None:
        self._keep(self.file.flush)


def save_checkpoint_file(checkpoint: dict, filename: str) -> None:
    """``torch.save`` ``checkpoint`` to the local ``filename`` through the atomic
    writer, then its sidecar digest, under a lock on the folder; stale temporaries
    of dead writers in the folder are swept first.

    Raises:
        OSError: the disk is full or a file-size limit was hit (the message names
            ``filename`` and the errno); nothing was replaced.
    """
    import torch
    folder = os.path.dirname(os.path.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    with _folder_lock(folder):
        sweep_stale_temporaries(folder)
        with atomic_path(filename) as tmp:
            with open(tmp, 'wb') as f:
                keeper = _WriteErrorKeeper(f)
                try:
                    torch.save(checkpoint, keeper)
                except RuntimeError as error:
                    if keeper.error is None:
                        raise
                    raise keeper.error from error
            # the old digest goes before the new file replaces the old one: a failure
            # between leaves a checkpoint without digest, never one with a wrong digest
            with contextlib.suppress(FileNotFoundError):
                os.unlink(digest_path(filename))
        write_digest(filename)


def save_checkpoint_atomically(save: Callable[..., None]) -> Callable[..., None]:
    """Wraps mmengine's ``save_checkpoint``: a local file goes through
    :func:`save_checkpoint_file` (other backends as before)."""

    def save_then_rename(checkpoint: dict, filename: str, file_client_args: Any = None,
                         backend_args: Any = None) -> None:
        if re.match(r'[a-zA-Z][\w+.-]*://', str(filename)) or file_client_args or backend_args:
            return save(checkpoint, filename, file_client_args, backend_args)
        save_checkpoint_file(checkpoint, filename)

    save_then_rename.__wrapped__ = save
    return save_then_rename
