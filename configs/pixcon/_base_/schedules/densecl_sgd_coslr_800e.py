# DenseCL's own COCO recipe, used by its authors for DenseCL and for their MoCo-v2
# baseline (the "MoCo-v2 | COCO | 800" and "DenseCL | COCO | 800" rows of the DenseCL
# README, whose VOC detection APs 54.7 / 56.7 are the MoCo-v2 / DenseCL rows of thesis
# table 2.1). Source: configs/selfsup/densecl/densecl_coco_800ep.py of the DenseCL
# repository (WXinlong/DenseCL): SGD lr 0.3 for 8 GPUs x 32 = 256 images/step, momentum
# 0.9, weight decay 1e-4, cosine decay to 0 over 800 epochs, no warm-up, fp32. (mmcv 1.x
# stepped that cosine once per epoch; here it is updated every iteration.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=800, eta_min=0., by_epoch=True, begin=0, end=800,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
auto_scale_lr = dict(base_batch_size=256)
