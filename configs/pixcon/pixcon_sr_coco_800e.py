# Thesis table 2.1, row "PixCon-SR (ours)" (VOC det 57.6/82.8/64.0, COCO 40.8/36.8,
# City 76.6, VOC seg 73.0; table 2.7 adds ADE20k 38.0), also table 2.3 "PixCon-SR (Full)",
# alpha 2: ResNet-50 on COCO train2017 for 800 epochs, 4 GPUs x 128, SGD lr 0.4,
# similarity matching + semantic reweighting (eqs. 2.3, 2.6-2.7).
# Sources of every setting: the thesis (sec. 2.5.1) and, where it is silent, the headers
# of the four bases (warm-up, AMP, lambda = 0.5, overlap rule).
# Train: bash tools/dist_train.sh configs/pixcon/pixcon_sr_coco_800e.py 4
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
