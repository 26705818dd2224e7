# Thesis table 2.4, row "+ Asymmetric predictor": global and dense predictors.
_base_ = ['./ladder1_syncbn_coco_800e.py']
_predictor = dict(_delete_=True, type='NonLinearNeck', in_channels=128, hid_channels=2048,
                  out_channels=128, with_avg_pool=False, with_last_bn=False, with_last_bias=True,
                  norm_cfg=dict(type='SyncBN'))
model = dict(predictor=_predictor, dense_predictor=_predictor)
