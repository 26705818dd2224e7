# Thesis table 2.7, row "PixCon-SR (ours)", dataset COCO+ (VOC det 58.5/83.4/65.2,
# COCO 41.2/37.1, City 77.0, VOC seg 73.9, ADE20k 38.8): PixCon-SR pre-trained on
# train2017 + unlabeled2017 (data/coco/train2017/ and data/coco/unlabeled2017/).
# The thesis does not state the COCO+ schedule; this keeps every setting of
# pixcon_sr_coco_800e.py, 800 epochs included (SlotCon's COCO+ script, the comparison
# row of table 2.7, also trains 800 epochs on COCO+). An epoch is ~2.04x as many steps.
# Train: bash tools/dist_train.sh configs/pixcon/pixcon_sr_cocoplus_800e.py 4
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/cocoplus_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
