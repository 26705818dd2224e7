# Thesis table 2.1, row "MoCo-v2" (VOC det 54.7/81.0/60.6, COCO 38.5/34.8, City 73.8,
# VOC seg 69.2): MoCo-v2 with shuffle BN pre-trained on COCO for 800 epochs.
# The row's VOC AP 54.7 is the "MoCo-v2 | COCO | 800 epochs" model of the DenseCL README,
# trained by DenseCL's authors as their baseline; the DenseCL paper does not publish a
# separate MoCo-v2 COCO config, so the recipe here is DenseCL's COCO recipe (lr 0.3 at
# batch 256, cosine, no warm-up, fp32, 800 epochs; densecl_sgd_coslr_800e.py) with
# mmpretrain's MoCo-v2 model (ResNet-50 + BN, shuffle BN for the key encoder,
# MoCoV2Neck 2048-2048-128, queue 65,536, tau 0.2, constant EMA 0.999) - the same
# components as densecl_coco_800e.py without the dense branch.
# Train: bash tools/dist_train.sh configs/pixcon/mocov2_coco_800e.py 8
_base_ = [
    './_base_/datasets/coco_mocov2.py',
    './_base_/schedules/densecl_sgd_coslr_800e.py',
    './_base_/default_runtime.py',
]
model = dict(
    type='MoCo',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128,
              with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))
train_dataloader = dict(batch_size=32, num_workers=4)
default_hooks = dict(checkpoint=dict(interval=40))
