# CPU demo of PixCon-SR (not a thesis row): ResNet-18, 96 px views, batch 8, 128-key
# queues, 200 iterations on the ~40 real offline photos that tools/pixcon_demo.py
# assembles into a COCO-style folder. A DenseProbeHook measures, on fixed 192 px view
# pairs, how often backbone-feature matching finds the true corresponding cell.
# Run: .venv/bin/python tools/pixcon_demo.py
_base_ = ['./pixcon_sr_coco_800e.py']

_head = dict(hid_channels=512, out_channels=128, norm_cfg=dict(type='BN1d'))
_predictor = dict(type='NonLinearNeck', in_channels=128, with_avg_pool=False,
                  with_last_bn=False, with_last_bias=True, **_head)
model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, **_head),
    predictor=_predictor,
    dense_predictor=_predictor,
    queue_len=128)
train_pipeline = [dict(t, size=96) if t['type'] == 'OverlapTwoCrop' else t
                  for t in _base_.train_pipeline]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    pin_memory=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root='data/pixcon_demo/', pipeline=train_pipeline))
max_iters = 200
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', T_max=max_iters - 20, by_epoch=False, begin=20,
         end=max_iters),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
custom_hooks = [dict(type='DenseProbeHook', interval=50, pairs_per_image=2, size=192)]
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
