# Thesis table 2.4, row "+ Symmetric loss": L(x1, x2) + L(x2, x1).
_base_ = ['./ladder3_momentum_coco_800e.py']
model = dict(symmetric=True)
