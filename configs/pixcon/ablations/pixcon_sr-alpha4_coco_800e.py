# Thesis table 2.3, row "PixCon-SR (Full)", alpha = 4.
_base_ = ['../pixcon_sr_coco_800e.py']
model = dict(alpha=4.0)
