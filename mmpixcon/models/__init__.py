"""PixCon models; the pure functions below are public API."""
from .algorithms import PixCon
from .data_preprocessors import PhotometricDataPreprocessor
from .necks import PixConNeck
from .utils import (FeatureQueue, boxes_to_mask, dense_info_nce, info_nce, inverse_augment,
                    semantic_weights, similarity_match)

__all__ = ['PixCon', 'PixConNeck', 'FeatureQueue', 'similarity_match', 'boxes_to_mask',
           'inverse_augment', 'semantic_weights', 'dense_info_nce', 'info_nce',
           'PhotometricDataPreprocessor']
