# Thesis table 2.1 / 2.7, column "VOC Seg." (PixCon-SR, COCO 800 epochs: mIoU 73.0),
# with the model the thesis text names: Semantic FPN on ResNet-50 (output stride 32,
# SyncBN), same data and schedule as the FCN-d6 config of the official release
# (train_aug2012, 30k iterations of 16 513x513 crops, mIoU on val2012).
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/fpn_r50_4xb4-30k_voc12aug-513x513_pixcon.py 4 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['./_base_/models/fpn_r50.py', './_base_/datasets/voc12aug-513x513.py',
          'mmseg::_base_/default_runtime.py', './_base_/schedules/sgd-step_30k.py']
model = dict(data_preprocessor=dict(size=_base_.crop_size), decode_head=dict(num_classes=21))
