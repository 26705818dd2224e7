# Thesis table 2.4, row "+ BYOL Aug. (PixCon-Sim)": same model as ../pixcon_sim_coco_800e.py.
_base_ = ['../pixcon_sim_coco_800e.py']
