# Thesis table 2.4, row "+ Momentum ascending": EMA momentum 0.99 -> 1 (cosine).
_base_ = ['./ladder2_predictor_coco_800e.py']
model = dict(momentum=0.01, momentum_schedule='cosine')
