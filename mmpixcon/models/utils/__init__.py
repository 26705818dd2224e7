from .losses import dense_info_nce, info_nce, semantic_weights
from .matching import boxes_to_mask, inverse_augment, similarity_match
from .probe import correspondence_hits, corresponding_cells
from .queue import FeatureQueue

__all__ = ['similarity_match', 'boxes_to_mask', 'inverse_augment', 'semantic_weights',
           'dense_info_nce', 'info_nce', 'FeatureQueue', 'correspondence_hits',
           'corresponding_cells']
