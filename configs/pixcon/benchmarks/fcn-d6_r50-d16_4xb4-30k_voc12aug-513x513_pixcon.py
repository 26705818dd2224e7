# Thesis table 2.1 / 2.7, column "VOC Seg." (PixCon-SR, COCO 800 epochs: mIoU 73.0),
# with the model of the official PixCon release: FCN-d6, the dilated FCN (output
# stride 16, SyncBN), trained on train_aug2012 for 30k iterations of 16 513x513 crops,
# mIoU on val2012. The FPN variant the thesis text names is fpn_r50_4xb4-30k_voc12aug-*.
# Source: the release's mmsegmentation configs (fcn_d6_r50-d16_*_moco.py, also in
# CVMI-Lab/SlotCon): model, crops, schedule; see docs/pixcon_transfer.md for their
# normalisation, which differs from ours and is not verifiable offline.
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/fcn-d6_r50-d16_4xb4-30k_voc12aug-513x513_pixcon.py 4 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['./_base_/models/fcn-d6_r50-d16.py', './_base_/datasets/voc12aug-513x513.py',
          'mmseg::_base_/default_runtime.py', './_base_/schedules/sgd-step_30k.py']
model = dict(data_preprocessor=dict(size=_base_.crop_size), decode_head=dict(num_classes=21))
