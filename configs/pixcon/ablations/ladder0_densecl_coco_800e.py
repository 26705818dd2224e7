# Thesis table 2.4, row "DenseCL" (COCO 39.6/35.7, VOC seg 71.6): the start of the ladder
# from DenseCL to PixCon-Sim, as PixCon in DenseCL mode (equal to mmpretrain's DenseCL, see
# tests/pixcon/test_pixcon.py): BN-free DenseCL heads, BN + shuffle BN, constant EMA
# momentum 0.999, no predictors, one loss direction, MoCo-v2 augmentation.
# Every rung of the ladder trains on PixCon's optimiser, batch and schedule
# (sgd_coslr_800e.py: lr 0.4 at 512 images/step, warm-up, AMP), so that consecutive rungs
# differ only in the component the thesis names. The thesis does not say which optimiser
# its ladder used; its "DenseCL" row repeats table 2.1's numbers, which come from DenseCL's
# own recipe (lr 0.3 at 256, no warm-up) - that recipe is ../densecl_coco_800e.py.
# Each later rung inherits from the previous one and changes only what its name says
# (tests/pixcon/test_configs_zoo.py checks the flattened config differences).
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
