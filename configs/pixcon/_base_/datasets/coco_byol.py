# COCO train2017 with mmpretrain's BYOL pipeline (independent random crops,
# no overlap guarantee): the BYOL baseline and the benchmark reference. Crops are
# resized as mmpretrain's configs/_base_/datasets/imagenet_bs32_byol.py does:
# pillow, bicubic.
_base_ = ['./coco_pixcon.py']


def _byol_view(photometric):
    return [dict(type='RandomResizedCrop', scale=_base_.crop_size, backend='pillow',
                 interpolation='bicubic'),
            dict(type='RandomFlip', prob=0.5)] + photometric


train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1],
         transforms=[_byol_view(_base_.view_pipeline1), _byol_view(_base_.view_pipeline2)]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
