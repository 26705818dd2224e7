"""Figures of thesis chapter 2 (figs. 2.4-2.6) from pre-trained checkpoints."""
from .canvas import PanelGrid
from .features import backbone_features, load_model
from .figures import mismatch_figure, similarity_figure, sr_weights_figure
from .maps import Matches, cosine_similarity_map, in_box_matches, query_weights
from .views import Views, read_rgb, resize, two_views

__all__ = ['PanelGrid', 'load_model', 'backbone_features', 'similarity_figure',
           'sr_weights_figure', 'mismatch_figure', 'cosine_similarity_map', 'query_weights',
           'in_box_matches', 'Matches', 'Views', 'read_rgb', 'resize', 'two_views']
