# Thesis table 2.3, row "PixCon-SR (Full)", alpha = 1.
_base_ = ['../pixcon_sr_coco_800e.py']
model = dict(alpha=1.0)
