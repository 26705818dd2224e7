"""mmpixcon's bad-input error and documented-fallback warning, on the project's one base
(:mod:`mmcontrast.errors`); the converter, figure and chain CLIs map
:class:`PixConInputError` to exit code 2 through ``exit_on_input_error``."""
from __future__ import annotations

from mmcontrast.errors import InputError, InputWarning

__all__ = ['PixConInputError', 'PixConWarning']


class PixConInputError(InputError):
    """A config value, checkpoint, image, annotation file or option mmpixcon cannot use;
    the message names it and says what to do (a ``ValueError`` too)."""


class PixConWarning(InputWarning):
    """mmpixcon took a documented fallback on a doubtful input."""
