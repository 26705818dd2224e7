# Thesis table 2.4, row "- Symmetric loss" (COCO 39.8/36.0, VOC seg 72.2): PixCon-Sim
# (ladder5) with one loss direction only.
_base_ = ['./ladder5_byolaug_coco_800e.py']
model = dict(symmetric=False)
