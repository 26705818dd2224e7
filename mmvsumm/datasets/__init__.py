"""Datasets registered in :data:`mmvsumm.registry.DATASETS`."""
from .eccv16 import Eccv16Dataset, select_keys

__all__ = ['Eccv16Dataset', 'select_keys']
