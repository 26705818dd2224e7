"""Exception raised for bad inputs (files, annotations, arrays), and the warning of
documented fallbacks; both derive from the project's one base (:mod:`mmcontrast.errors`)."""
from mmcontrast.errors import InputError, InputWarning

__all__ = ['VSummInputError', 'VSummWarning']


class VSummInputError(InputError):
    """An input is unusable; the message names the file and the item."""


class VSummWarning(InputWarning):
    """A documented fallback on a bad input (partly decodable video, corrupt cache)."""
