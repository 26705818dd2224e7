# Thesis table 2.4, row "+ Momentum ascending" (COCO 40.1/36.2, VOC seg 72.1): BYOL's target
# EMA, momentum 0.99 rising to 1 on a cosine over training, instead of MoCo's constant 0.999.
_base_ = ['./ladder2_predictor_coco_800e.py']
model = dict(momentum=0.01, momentum_schedule='cosine')
