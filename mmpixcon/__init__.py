"""mmpixcon: PixCon pixel-level contrastive pre-training as an mmpretrain plugin."""
import mmcontrast  # noqa: F401  applies upstream compatibility fixes

from . import datasets, engine, models  # noqa: F401  registers into mmpretrain's registries

__version__ = '0.1.0'
