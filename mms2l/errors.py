"""The one bad-input error and the one fallback warning of ``mms2l``; both derive from
the project's one base (:mod:`mmcontrast.errors`), and ``mms2l``'s CLI maps the error
to exit code 2 in one place (:func:`mms2l.cli.main`)."""
from mmcontrast.errors import InputError, InputWarning

__all__ = ['S2LInputError', 'S2LWarning']


class S2LInputError(InputError):
    """An input (checkpoint folder, annotation or prediction file, sample, option) is
    unusable; the message names it and says what to do."""


class S2LWarning(InputWarning):
    """A doubtful input was used as documented (e.g. a sample's stated duration that
    disagrees with its video's); the message names the input."""
