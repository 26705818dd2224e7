# Thesis table 2.1 / 2.7, column "City. Seg." (PixCon-SR, COCO 800 epochs: mIoU 76.6),
# with the model the thesis text names: Semantic FPN on ResNet-50 (output stride 32,
# SyncBN), same data, schedule and sliding-window test as the FCN-d6 config
# (train_fine, 90k iterations of 16 769x769 crops, mIoU on val_fine).
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/fpn_r50_8xb2-90k_cityscapes-769x769_pixcon.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['./_base_/models/fpn_r50.py', './_base_/datasets/cityscapes-769x769.py',
          'mmseg::_base_/default_runtime.py', './_base_/schedules/sgd-step_90k.py']
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(513, 513)))
