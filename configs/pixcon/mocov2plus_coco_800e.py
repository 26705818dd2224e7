# Reproduces thesis table 2.1, row "MoCo-v2+": the image-level loss only (eq. 2.1) with
# predictor, symmetric loss, momentum ascent, SyncBN and BYOL augmentation.
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(
    neck=dict(_delete_=True, type='NonLinearNeck', in_channels=2048, hid_channels=2048,
              out_channels=128, with_last_bn=False, with_last_bias=True,
              norm_cfg=dict(type='SyncBN')),
    dense_predictor=None,
    reweighting=None,
    loss_lambda=0.0)
