# Thesis table 2.1 / 2.7, column "VOC Detection" (PixCon-SR, COCO 800 epochs:
# AP 57.6, AP50 82.8, AP75 64.0): Faster R-CNN R50-C4 (res5 as the RoI head), SyncBN,
# all stages fine-tuned, on VOC trainval07+12 for 24k iterations of 16 images
# (lr 0.02, x0.1 at 18k and 22k), tested on test2007. "AP" is the COCO-style mean of the
# VOC (11-point, 2007) AP over IoU 0.50:0.05:0.95 (the metric's "mAP"); AP50 and AP75
# are the single-threshold APs.
# Source: the thesis (C4, trainval07+12, 24k iterations, test2007, Detectron2) and the
# PixCon release's configs/benchmarks/detectron2/pascal_voc_R_18_C4_24k_moco.yaml (RGB,
# STRIDE_IN_1X1 False) over MoCo's pascal_voc_R_50_C4_24k.yaml: SyncBN, RGB input with ImageNet mean/std,
# stride on the 3x3 (STRIDE_IN_1X1 False), shorter side 480-800 in steps of 32, test 800,
# lr 0.02 at 16 images, steps 18k/22k, 100 warm-up iterations. Not reproduced: its
# TEST.PRECISE_BN (BN statistics re-estimated before testing; mmdet has no such hook).
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/faster-rcnn_r50-syncbn-c4_24k_voc0712_pixcon.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth \
#       model.roi_head.shared_head.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
# (the C4 model keeps res5 in its RoI head, so both parts load the same file).
_base_ = ['mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py',
          './_base_/pretrained_backbone.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
resnet = dict(style='pytorch', norm_cfg=norm_cfg, norm_eval=False,
              init_cfg=_base_.pretrained_backbone)
model = dict(
    data_preprocessor=dict(  # RGB ImageNet statistics, as in pre-training
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(frozen_stages=-1, **resnet),
    roi_head=dict(shared_head=resnet))

max_iters = 24000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 6)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[18000, 22000], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters // 6, max_keep_ckpts=2))
val_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='11points',
                     iou_thrs=[round(0.5 + 0.05 * i, 2) for i in range(10)])
test_evaluator = val_evaluator
