# COCO train2017 with the MoCo-v2 two-view pipeline: the same augmentation DenseCL's
# COCO config uses (random resized crop 224, area 0.2-1; colour jitter 0.4/0.4/0.4/0.1
# p 0.8; grey p 0.2; Gaussian blur sigma 0.1-2 p 0.5; flip), written with mmpretrain's
# MoCo-v2 transforms. Crops resize with pillow + bilinear, as DenseCL's torchvision
# RandomResizedCrop (PIL images, default bilinear) and mmpretrain's MoCo-v2 config.
# Used by the MoCo-v2 / DenseCL baselines and the first rungs of the
# thesis' table 2.4 ladder. Batch size stays the one of coco_pixcon.py (128 per GPU);
# the DenseCL-recipe configs set their own.
_base_ = ['./coco_pixcon.py']

view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.), backend='pillow'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
                          hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
