"""Exception raised for bad inputs (files, annotations, arrays)."""


class VSummInputError(ValueError):
    """An input is unusable; the message names the file and the item."""
