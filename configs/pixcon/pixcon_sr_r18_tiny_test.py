# Test-only PixCon-SR: ResNet-18, 64 px views, 64-key queues, BN, 2 CPU processes on
# gloo, 16 images, 2 epochs. Point it at a COCO-style folder with
# --cfg-options train_dataloader.dataset.data_root=<folder>. One dataloader worker
# that is re-created every epoch: the augmentation stream of an epoch depends only on
# the seed, so a resumed run sees the same views as an uninterrupted one.
_base_ = ['./pixcon_sr_coco_800e.py']

_head = dict(hid_channels=128, out_channels=64, norm_cfg=dict(type='BN1d'))
_predictor = dict(type='NonLinearNeck', in_channels=64, with_avg_pool=False,
                  with_last_bn=False, with_last_bias=True, **_head)
model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, **_head),
    predictor=_predictor,
    dense_predictor=_predictor,
    queue_len=64,
    feat_dim=64)
train_pipeline = [dict(t, size=64) if t['type'] == 'OverlapTwoCrop' else t
                  for t in _base_.train_pipeline]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(data_root='data/pixcon_tiny/', indices=16, pipeline=train_pipeline))
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2,
                        convert_to_iter_based=True)]
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=2))
log_processor = dict(window_size=1)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
