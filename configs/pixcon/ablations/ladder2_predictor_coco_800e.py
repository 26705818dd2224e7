# Thesis table 2.4, row "+ Asymmetric predictor" (COCO 39.6/35.7, VOC seg 71.7).
# This rung truly implies two changes, both of MoCo-v2+'s asymmetric encoder structure
# (sec. 2.3, 2.5.1): (1) a global and a dense predictor (fc-BN-ReLU-fc, 128-2048-128) on
# the online side, and (2) PixCon's projection heads, which have BN + ReLU between their two
# layers where DenseCL's have ReLU only. The thesis has no separate rung for the heads' BN,
# yet its end point "+ BYOL Aug. (PixCon-Sim)" has it; it is taken here, together with the
# BN predictors it comes with in BYOL / MoCo-v2+, rather than in "+ SyncBN" (which is about
# how BN statistics are computed, not where BN layers are).
_base_ = ['./ladder1_syncbn_coco_800e.py']
_norm = dict(type='SyncBN')
_predictor = dict(_delete_=True, type='NonLinearNeck', in_channels=128, hid_channels=2048,
                  out_channels=128, with_avg_pool=False, with_last_bn=False, with_last_bias=True,
                  norm_cfg=_norm)
model = dict(
    neck=dict(_delete_=True, type='PixConNeck', in_channels=2048, hid_channels=2048,
              out_channels=128, norm_cfg=_norm),
    predictor=_predictor,
    dense_predictor=_predictor)
