# Cityscapes train_fine (2,975 images) -> val_fine (500): 769x769 crops of images
# rescaled to 0.5-2x of 2049x1025, horizontal flip, no photometric distortion;
# the model tests with 769x769 sliding windows (stride 513). 8 GPUs x 2 images.
_base_ = 'mmseg::_base_/datasets/cityscapes.py'
crop_size = (769, 769)
scale = (2049, 1025)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=scale, ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
