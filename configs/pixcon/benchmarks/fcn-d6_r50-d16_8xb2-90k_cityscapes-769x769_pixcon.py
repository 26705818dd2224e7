# Thesis table 2.1 / 2.7, column "City. Seg." (PixCon-SR, COCO 800 epochs: mIoU 76.6),
# with the model of the official PixCon release: FCN-d6, the dilated FCN (output
# stride 16, SyncBN), trained on train_fine for 90k iterations of 16 769x769 crops,
# mIoU on val_fine with 769x769 sliding-window inference. The FPN variant is
# fpn_r50_8xb2-90k_cityscapes-769x769_pixcon.py.
# Source: the release's mmsegmentation configs (fcn_d6_r50-d16_*_moco.py, also in
# CVMI-Lab/SlotCon): model, crops, schedule; see docs/pixcon_transfer.md for their
# normalisation, which differs from ours and is not verifiable offline.
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/fcn-d6_r50-d16_8xb2-90k_cityscapes-769x769_pixcon.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['./_base_/models/fcn-d6_r50-d16.py', './_base_/datasets/cityscapes-769x769.py',
          'mmseg::_base_/default_runtime.py', './_base_/schedules/sgd-step_90k.py']
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(513, 513)))
