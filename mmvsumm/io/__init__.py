"""Readers and writers: eccv16 h5, TVSum annotations, video files, outputs."""
from .h5 import VideoRecord, read_eccv16
from .tvsum_anno import TVSumAnnotation, attach_tvsum_scores, read_tvsum_anno

__all__ = ['VideoRecord', 'read_eccv16', 'TVSumAnnotation', 'read_tvsum_anno',
           'attach_tvsum_scores']
