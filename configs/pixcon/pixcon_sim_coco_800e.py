# Reproduces thesis table 2.1, row "PixCon-Sim (ours)" (= table 2.4 "+ BYOL Aug."):
# similarity matching (eqs. 2.3-2.4), no reweighting.
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(reweighting=None)
