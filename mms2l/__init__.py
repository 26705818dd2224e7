"""mms2l: S2L ("Summarize to Localize") video LLM as an OpenMMLab plugin (thesis chapter 4)."""
import mmcontrast  # noqa: F401  applies upstream compatibility fixes

from . import datasets, evaluation, hooks, models  # noqa: F401  registers the modules
from .decoding import critical_point_decode, loc_head_decode, temporal_nms, threshold_decode
from .losses import context_matching_loss, context_matching_scores
from .models import S2LModel

__all__ = ['S2LModel', 'context_matching_loss', 'context_matching_scores', 'threshold_decode',
           'critical_point_decode', 'loc_head_decode', 'temporal_nms']
