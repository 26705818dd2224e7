# Thesis table 2.4, row "DenseCL", as PixCon in DenseCL mode: DenseCL's BN-free heads,
# shuffle BN, constant EMA momentum 0.999, no predictors, one direction, MoCo-v2 aug.
_base_ = [
    '../_base_/models/pixcon_r50.py',
    '../_base_/datasets/coco_mocov2.py',
    '../_base_/schedules/sgd_coslr_800e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(norm_cfg=dict(type='BN')),
    neck=dict(_delete_=True, type='DenseCLNeck', in_channels=2048, hid_channels=2048,
              out_channels=128, num_grid=None),
    predictor=None,
    dense_predictor=None,
    reweighting=None,
    symmetric=False,
    momentum=0.001,
    momentum_schedule='constant',
    shuffle_bn=True)
