# PASCAL VOC 2012 train_aug (10,582 images) -> val (1,449): 513x513 crops of images
# rescaled to 0.5-2x of a 513 short side, horizontal flip, no photometric distortion;
# whole-image test at a 513 short side. 4 GPUs x 4 images (the chain sets the per-GPU
# batch so that any GPU count trains at 16). Scale (2049, 513): the thesis gives none;
# the PixCon release's fcn_d6_r50-d16_513x513_30k_voc12aug_moco.py names
# pascal_voc12_aug_513x513_moco.py, whose SlotCon copy rescales to (2049, 513).
_base_ = 'mmseg::_base_/datasets/pascal_voc12_aug.py'
crop_size = (513, 513)
scale = (2049, 513)
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
train_dataloader = dict(
    batch_size=4,
    dataset=dict(datasets=[dict(part, pipeline=train_pipeline)
                           for part in (_base_.dataset_train, _base_.dataset_aug)]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
