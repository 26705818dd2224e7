# Thesis table 2.1, row "PixCon-Sim (ours)" (VOC det 57.3/82.4/63.9, COCO 40.5/36.6,
# City 76.1, VOC seg 72.6), = table 2.3 / 2.4 "PixCon-Sim" (= ladder5): similarity
# matching (eqs. 2.3-2.4), every pixel weighted 1. All else as pixcon_sr_coco_800e.py.
# Train: bash tools/dist_train.sh configs/pixcon/pixcon_sim_coco_800e.py 4
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(reweighting=None)
