"""The one rule for ``type`` names read from data (a checkpoint's ``s2l_config.json``, any
JSON ``mms2l`` builds objects from that is not a config file the user runs).

Such a file is data, not code: each ``type`` it holds must be the plain name of an
entry registered in ``mms2l``'s own registry (its own entries, not a parent's or
another scope's, defined in an ``mms2l`` module), never a dotted import path
(``subprocess.Popen``), a scoped name (``mmengine.X``) or a non-string. Keys whose
``type`` is a fixed choice rather than a registry entry (the timestamp decoder) are
checked against their choices.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Collection, Mapping

from mmengine.registry import Registry

from .errors import S2LInputError

__all__ = ['check_registered_types']


def _allowed(registry: Registry, name: Any) -> bool:
    if not isinstance(name, str) or '.' in name:
        return False
    registry.import_from_location()
    obj = registry._module_dict.get(name)  # own entries only: no parent, no other scope
    return obj is not None and getattr(obj, '__module__', '').startswith('mms2l.')


def check_registered_types(data: Any, file: str | Path, registry: Registry,
                           choices: Mapping[str, Collection[str]] | None = None,
                           where: str = '') -> None:
    """Raise :class:`S2LInputError` naming ``file``, the key (its path in the JSON, e.g.
    ``vision_tower.backbone.type``) and the value for the first ``type`` that is not
    one of ``registry``'s own registered names (or, at a key path listed in
    ``choices``, not one of its choices)."""
    choices = choices or {}
    if isinstance(data, dict):
        if 'type' in data:
            key = f'{where}type'
            value = data['type']
            path = where.rstrip('.')
            if path in choices:
                if value not in choices[path]:
                    raise S2LInputError(
                        f'{file}: {key} = {value!r} is not one of {sorted(choices[path])}')
            elif not _allowed(registry, value):
                raise S2LInputError(
                    f'{file}: {key} = {value!r} is not a name registered in mms2l\'s '
                    f'{registry.name} registry (a file read as data may only name those, '
                    'never an import path or another scope\'s name); registered: '
                    f'{sorted(n for n in registry._module_dict if _allowed(registry, n))}')
        for key, value in data.items():
            if key != 'type':
                check_registered_types(value, file, registry, choices, f'{where}{key}.')
    elif isinstance(data, list):
        for i, value in enumerate(data):
            check_registered_types(value, file, registry, choices, f'{where}{i}.')
