# Thesis table 2.7, column "ADE20k" (PixCon-SR: mIoU 38.0 from COCO, 38.8 from COCO+):
# Semantic FPN on ResNet-50 (SyncBN), trained on ADE20k train for 80k iterations of 16
# 512x512 crops (mmseg's poly schedule, lr 0.01), mIoU over 150 classes on val.
# The thesis does not spell out this setting; this is the Semantic FPN 80k protocol of
# SlotCon, the method table 2.7 compares against.
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/fpn_r50_4xb4-80k_ade20k-512x512_pixcon.py 4 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['./_base_/models/fpn_r50.py', 'mmseg::_base_/datasets/ade20k.py',
          'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py']
model = dict(data_preprocessor=dict(size=_base_.crop_size), decode_head=dict(num_classes=150))
