from .coco_unlabeled import UnlabeledCOCO
from .transforms import OverlapTwoCrop, PairedRandomFlip, PerViewPipeline

__all__ = ['UnlabeledCOCO', 'OverlapTwoCrop', 'PairedRandomFlip', 'PerViewPipeline']
