"""Frame encoders and cached feature extraction."""
from .backbones import DEFAULT_BACKBONE, FrameEncoder, build_backbone
from .features import VideoFeatures, extract_features

__all__ = ['DEFAULT_BACKBONE', 'FrameEncoder', 'build_backbone', 'VideoFeatures',
           'extract_features']
