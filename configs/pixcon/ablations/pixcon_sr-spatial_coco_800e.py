# Thesis table 2.3, row "PixCon-SR (Spa.)": only in-box query pixels count (others weight 0).
_base_ = ['../pixcon_sr_coco_800e.py']
model = dict(reweighting='spatial')
