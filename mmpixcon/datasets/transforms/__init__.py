from .two_crop import (OverlapTwoCrop, PairedRandomFlip, PerViewPipeline, box_in_view,
                       intersection, sample_crop)

__all__ = ['OverlapTwoCrop', 'PairedRandomFlip', 'PerViewPipeline', 'sample_crop',
           'intersection', 'box_in_view']
