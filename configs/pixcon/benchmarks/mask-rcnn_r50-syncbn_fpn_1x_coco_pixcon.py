# Thesis table 2.1 / 2.7, columns "COCO Detection" and "COCO Instance seg."
# (PixCon-SR, COCO 800 epochs: APbb 40.8, APmk 36.8): Mask R-CNN R50-FPN, every BN
# synchronised (backbone, FPN, 4conv1fc box head, mask head), all stages fine-tuned,
# 1x schedule (12 epochs, 16 images per step) on train2017, box + mask AP on val2017.
# Source: the thesis (Mask R-CNN FPN, 1x, all BN synchronised, Detectron2) and the
# release's coco_R_50_FPN_1x_moco_RWS_8.yaml over MoCo's coco_R_50_FPN_1x.yaml: SyncBN in backbone, FPN, 4conv1fc box
# head and mask head, FREEZE_AT 0, RGB ImageNet mean/std. Detectron2's 1x is 90k
# iterations with steps at 60k/80k; mmdet's is 12 epochs with steps at 8/11 (~88k
# iterations at 16 images). Not reproduced: TEST.PRECISE_BN.
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/mask-rcnn_r50-syncbn_fpn_1x_coco_pixcon.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', './_base_/pretrained_backbone.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False,
                  init_cfg=_base_.pretrained_backbone),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256,
                       norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
