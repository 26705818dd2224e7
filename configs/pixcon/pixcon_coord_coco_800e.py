# Reproduces thesis table 2.1, row "PixCon-Coord (ours)": coordinate matching by
# inverse augmentation (RoIAlign of the intersection box + un-flip, eq. 2.5).
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(matching='coordinate', reweighting=None)
