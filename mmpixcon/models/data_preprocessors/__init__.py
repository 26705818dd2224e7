from .photometric import PhotometricDataPreprocessor, ViewPhotometric, parse_view

__all__ = ['PhotometricDataPreprocessor', 'ViewPhotometric', 'parse_view']
