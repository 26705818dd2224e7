# The Cityscapes schedule: as sgd-step_30k.py with lr 0.01 and 90k iterations.
_base_ = './sgd-step_30k.py'
max_iters = 90000
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[63000, 81000], gamma=0.1)  # int(0.7 * 90000) is 62999
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
