"""Frame encoders and cached feature extraction."""
from .backbones import DEFAULT_BACKBONE, FrameEncoder, build_backbone
from .features import VideoFeatures, extract_features
from .refinement import ContrastiveRefinement
from .zero_shot import ZeroShotSummarizer

__all__ = ['DEFAULT_BACKBONE', 'FrameEncoder', 'build_backbone', 'VideoFeatures',
           'extract_features', 'ZeroShotSummarizer', 'ContrastiveRefinement']
