# Reproduces thesis table 2.1, row "PixCon-SR (ours)" (also table 2.3 "PixCon-SR (Full)", alpha 2):
# ResNet-50, COCO train2017, 800 epochs, 4 GPUs x 128, SGD 0.4, similarity matching
# + semantic reweighting (eqs. 2.6-2.7). Train: bash tools/dist_train.sh <this file> 4
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
