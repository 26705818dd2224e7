# SGD (lr 0.003, momentum 0.9, weight decay 1e-4), 30k iterations, lr x0.1 at 70% and
# 90%: the VOC semantic segmentation schedule of the MoCo / DenseCL / SlotCon line.
_base_ = 'mmseg::_base_/schedules/schedule_20k.py'
max_iters = 30000
optim_wrapper = dict(optimizer=dict(lr=0.003, weight_decay=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.7), int(max_iters * 0.9)], gamma=0.1)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10, max_keep_ckpts=2))
