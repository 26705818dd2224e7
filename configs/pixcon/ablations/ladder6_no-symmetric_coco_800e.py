# Thesis table 2.4, row "- Symmetric loss": PixCon-Sim with one direction only.
_base_ = ['../pixcon_sim_coco_800e.py']
model = dict(symmetric=False)
