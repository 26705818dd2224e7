"""ETSum-style data: dataset, pipeline steps and collate function."""
from .collate import s2l_collate
from .etsum import ETSumDataset, read_samples
from .transforms import (FormatS2LInputs, LoadVideoFrames, ResizeCenterCrop, decode_video,
                         sample_times, seconds_to_frames, video_duration)

__all__ = ['s2l_collate', 'ETSumDataset', 'read_samples', 'FormatS2LInputs', 'LoadVideoFrames',
           'ResizeCenterCrop', 'decode_video', 'sample_times', 'seconds_to_frames',
           'video_duration']
