# Thesis table 2.3, row "PixCon-SR (Sim.)": normalised match similarity^alpha for every
# query pixel, whether in-box or not.
_base_ = ['../pixcon_sr_coco_800e.py']
model = dict(reweighting='similarity')
