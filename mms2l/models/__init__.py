"""S2L model parts, all registered in ``mms2l.registry.MODELS``."""
from .context_matching import ContextMatching, LocalizationHead
from .data_preprocessor import S2LDataPreprocessor
from .frame_compressor import QFormerFrameCompressor, attention_pool
from .s2l import S2LModel
from .vision_towers import (CNNVisionTower, InstructBlipVisionTower, PrecomputedFeatures,
                            efficientnet_lite0_backbone, torchvision_backbone)

__all__ = ['ContextMatching', 'LocalizationHead', 'S2LDataPreprocessor', 'attention_pool',
           'QFormerFrameCompressor', 'S2LModel', 'CNNVisionTower', 'InstructBlipVisionTower',
           'PrecomputedFeatures', 'efficientnet_lite0_backbone', 'torchvision_backbone']
