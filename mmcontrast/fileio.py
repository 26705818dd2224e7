"""The one atomic writer of the project, and the rule for outputs that already exist.

Every file the packages write (checkpoints, converted weights, JSON results, h5
feature files, summary videos, plots, tables) goes through :func:`atomic_path`:

* the data is written to a temporary file in the target's folder whose name is
  unique (``.NAME.mmcontrast-PID-RANDOM.tmpSUFFIX``, the suffix kept so writers
  that pick a format from it still work) and that is created exclusively, so an
  existing file or symlink of that name is never followed or overwritten;
* on success the temporary file is fsynced, renamed onto the target, and the
  folder fsynced: the target holds either its old content or the complete new one;
* on failure the temporary file is removed and the target is left as it was;
* :func:`sweep_stale_temporaries` removes temporaries of this writer whose process
  is gone (a killed run), and nothing else.

Two processes writing the same target each write their own temporary file; the
target ends up holding one complete version, never a mix.

:func:`refuse_existing` is the check every ``--out`` makes before any work starts.
:func:`read_json` is the one reader of JSON that comes from data (annotations,
predictions, checkpoint folders): any unreadable file is an :class:`InputError`.
"""
from __future__ import annotations

import errno
import json
import os
import re
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import InputError

__all__ = ['atomic_path', 'atomic_paths', 'write_bytes_atomic', 'write_text_atomic',
           'write_json_atomic', 'sweep_stale_temporaries', 'refuse_existing',
           'is_own_temporary', 'read_json', 'read_json_lines', 'TEMP_MARKER']

TEMP_MARKER = '.mmcontrast-'
_TEMP_RE = re.compile(r'^\.(?P<name>.+)\.mmcontrast-(?P<pid>\d+)-[0-9a-f]{12}\.tmp')


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temporary_for(target: Path) -> Path:
    """Create (exclusively, not following links) and return a unique temporary file
    beside ``target``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0)
    while True:
        tmp = target.with_name(f'.{target.stem}{TEMP_MARKER}{os.getpid()}-'
                               f'{uuid.uuid4().hex[:12]}.tmp{target.suffix}')
        try:
            os.close(os.open(tmp, flags, 0o644))
            return tmp
        except FileExistsError:
            continue


def _describe_os_error(target: Path, error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, str(error.errno))
    return (f'{target}: could not be written ({name}: {os.strerror(error.errno)}); '
            'nothing was replaced. Free space or raise the file-size limit, then retry.'
            if error.errno else f'{target}: could not be written ({error}); nothing was '
            'replaced.')


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary file name beside ``path`` to write to; when the body
    returns, the file is fsynced and renamed onto ``path``.

    Raises:
        InputError: ``path`` is a folder, or a parent of it is a file.
        OSError: the write failed (disk full, file-size limit); the message names
            ``path`` and the errno, and ``path`` is unchanged.
    """
    target = Path(path)
    if target.is_dir():
        raise InputError(f'{target}: is a folder; expected a file name to write')
    for folder in target.parents:
        if folder.exists():
            if not folder.is_dir():
                raise InputError(f'{folder}: is a file, not a folder; cannot write {target}')
            break
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_for(target)
    try:
        try:
            yield tmp
            with open(tmp, 'rb+') as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise OSError(error.errno, _describe_os_error(target, error)) from error
            raise
        _fsync_folder(target.parent)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


@contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """:func:`atomic_path` for several files: each appears only if the body returns."""
    with ExitStack() as stack:
        yield [stack.enter_context(atomic_path(path)) for path in paths]


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        f.write(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_path`."""
    write_bytes_atomic(path, text.encode('utf-8'))


def write_json_atomic(path: str | os.PathLike, data: Any, indent: int | None = 2) -> None:
    """Write ``data`` as JSON to ``path`` through :func:`atomic_path`."""
    write_text_atomic(path, json.dumps(data, indent=indent) + '\n')


def is_own_temporary(path: str | os.PathLike) -> bool:
    """Whether ``path``'s name is one :func:`atomic_path` gives its temporaries."""
    return _TEMP_RE.match(Path(path).name) is not None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove this writer's temporaries in ``folder`` whose writing process is gone;
    returns what was removed. Files of any other name are never touched."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        match = _TEMP_RE.match(entry.name)
        if not match or entry.is_symlink() or not entry.is_file():
            continue
        pid = int(match['pid'])
        if pid != os.getpid() and not _alive(pid):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def refuse_existing(path: str | os.PathLike, overwrite: bool = False,
                    option: str = '--out', flag: str = '--overwrite') -> Path:
    """Check an output name before any work starts: an existing file or folder is
    refused (naming ``option`` and ``flag``) unless ``overwrite``; a folder is never
    replaced by a file. Returns the path."""
    target = Path(path)
    if os.path.lexists(target):
        if target.is_dir() and not target.is_symlink():
            kind = 'a folder'
        else:
            kind = 'a file'
        if not overwrite:
            raise InputError(f'{option} {target}: {kind} of that name exists; choose '
                             f'another name or pass {flag} to replace it')
    return target


def _read_utf8(path: Path, what: str) -> str:
    try:
        return path.read_bytes().decode('utf-8-sig')
    except FileNotFoundError:
        raise InputError(f'{path}: {what} does not exist') from None
    except IsADirectoryError:
        raise InputError(f'{path}: {what} is a folder, not a JSON file') from None
    except UnicodeDecodeError as error:
        raise InputError(f'{path}: {what} is not UTF-8 text (byte {error.start}: '
                         f'{error.reason}); save it as UTF-8 JSON') from None


def _parse_json(text: str, where: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f'{where}: {what} is not valid JSON (line {error.lineno}, column '
                         f'{error.colno}: {error.msg})') from None
    except RecursionError:
        raise InputError(f'{where}: {what} is nested too deeply to parse; expected a '
                         'flat list or dict of samples') from None


def read_json(path: str | os.PathLike, what: str = 'JSON file') -> Any:
    """The parsed content of the JSON file ``path``.

    Raises:
        InputError: naming ``path`` and ``what`` (e.g. ``'ETBench annotations'``) when
            the file is missing, not UTF-8, not valid JSON, or nested too deeply
            for the parser (where :mod:`json` would raise ``RecursionError``).
    """
    path = Path(path)
    return _parse_json(_read_utf8(path, what), str(path), what)


def read_json_lines(path: str | os.PathLike, what: str = 'JSON-lines file') -> list:
    """The values of the non-blank lines of the JSON-lines file ``path`` (one JSON value
    a line), with :func:`read_json`'s errors; a bad line is named (``PATH: line N``)."""
    path = Path(path)
    return [_parse_json(line, f'{path}: line {number}', what)
            for number, line in enumerate(_read_utf8(path, what).splitlines(), 1)
            if line.strip()]
