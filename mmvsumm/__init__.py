import mmcontrast  # noqa: F401  applies upstream compatibility fixes
