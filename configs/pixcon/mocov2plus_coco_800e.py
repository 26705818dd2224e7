# Thesis table 2.1, row "MoCo-v2+ (full re-impl.)" (VOC det 54.6/81.4/60.5, COCO
# 39.8/35.9, City 75.6, VOC seg 71.1): the image-level loss only (eq. 2.1) with MoCo-v2+'s
# predictor, symmetric loss, momentum ascent and SyncBN (sec. 2.3), on PixCon's pipeline
# and schedule: PixCon-SR without the dense branch. The global head is
# fc-BN-ReLU-fc 2048-2048-128 like PixCon's. The thesis does not say whether its MoCo-v2+
# re-implementation also skipped non-overlapping crops; this config uses PixCon's
# augmentation unchanged, so the two differ only by the pixel loss.
# Train: bash tools/dist_train.sh configs/pixcon/mocov2plus_coco_800e.py 4
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
