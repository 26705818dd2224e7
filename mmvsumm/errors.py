"""Exception raised for bad inputs (files, annotations, arrays), and the warning of
documented fallbacks."""


class VSummInputError(ValueError):
    """An input is unusable; the message names the file and the item."""


class VSummWarning(UserWarning):
    """A documented fallback on a bad input (partly decodable video, corrupt cache)."""
