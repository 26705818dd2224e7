"""Datasets registered in :data:`mmvsumm.registry.DATASETS`."""
from .eccv16 import Eccv16Dataset, select_keys
from .yt8m import YT8MFrameDataset

__all__ = ['Eccv16Dataset', 'select_keys', 'YT8MFrameDataset']
