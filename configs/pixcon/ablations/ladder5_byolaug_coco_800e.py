# Thesis table 2.4, row "+ BYOL Aug. (PixCon-Sim)" (COCO 40.5/36.6, VOC seg 72.6; the same
# numbers as table 2.1's PixCon-Sim, i.e. the same model as ../pixcon_sim_coco_800e.py).
# This rung truly implies two changes of the data pipeline, because the thesis names its
# result PixCon-Sim: (1) BYOL's augmentation instead of MoCo-v2's (crop area 0.08-1 instead
# of 0.2-1, saturation jitter 0.2, asymmetric blur 1.0 / 0.1 and solarisation 0 / 0.2), and
# (2) PixCon's overlap-aware two-crop ("crops without overlapping are skipped", sec. 2.5.1).
# Only the training pipeline differs from ladder4; the model is unchanged.
_base_ = ['./ladder4_symmetric_coco_800e.py']
train_dataloader = dict(dataset=dict(pipeline=_base_.pixcon_pipeline))
