# A plain mmpretrain classifier config for CPU checks of tools/train.py and
# tools/test.py: ResNet-18 at 64 px on a two-class folder of real photos
# (data/photos_2cls/{train,val}/<class>/*.jpg), 20 iterations, top-1 accuracy.
_base_ = [
    'mmpretrain::_base_/models/resnet18.py',
    'mmpretrain::_base_/default_runtime.py',
]

data_root = 'data/photos_2cls/'
model = dict(head=dict(num_classes=2, topk=(1, )))
data_preprocessor = dict(num_classes=2, mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=72, edge='short'),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs'),
]


def _loader(split: str, pipeline: list, shuffle: bool) -> dict:
    return dict(batch_size=8, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=shuffle),
                dataset=dict(type='CustomDataset', data_root=data_root,
                             data_prefix=split, pipeline=pipeline))


train_dataloader = _loader('train', train_pipeline, shuffle=True)
val_dataloader = _loader('val', test_pipeline, shuffle=False)
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=20, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20, val_interval=20)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(by_epoch=False, interval=20))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
