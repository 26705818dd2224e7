# Thesis table 2.4, row "+ Symmetric loss" (COCO 40.3/36.4, VOC seg 71.5):
# L(x1, x2) + L(x2, x1) instead of L(x1, x2).
_base_ = ['./ladder3_momentum_coco_800e.py']
model = dict(symmetric=True)
