# Thesis table 2.1, row "PixCon-Coord (ours)" (VOC det 57.2/82.6/63.4, COCO 40.3/36.5,
# City 75.8, VOC seg 72.3): coordinate matching by inverse augmentation (RoIAlign of the
# intersection box + un-flip, eq. 2.5). The aligned grid has the feature map's size
# (7 x 7): the thesis does not give the RoIAlign output size. All else as PixCon-SR.
# Train: bash tools/dist_train.sh configs/pixcon/pixcon_coord_coco_800e.py 4
_base_ = [
    './_base_/models/pixcon_r50.py',
    './_base_/datasets/coco_pixcon.py',
    './_base_/schedules/sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(matching='coordinate', reweighting=None)
