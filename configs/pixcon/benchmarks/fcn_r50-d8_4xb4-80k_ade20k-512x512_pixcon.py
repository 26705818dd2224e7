# Thesis table 2.7, column "ADE20k" (PixCon-SR: mIoU 38.0 from COCO, 38.8 from COCO+).
# The thesis does not describe its ADE20k setting. Table 2.7 compares PixCon-SR with
# SlotCon on it (SlotCon's number reproduced from its official weights), so this is
# SlotCon's own ADE20k protocol, file by file (CVMI-Lab/SlotCon on GitHub,
# transfer/segmentation/configs/ade20k/fcn_r50-d8_512x512_80k_ade20k.py and its _base_):
# - model (_base_/models/fcn_r50-d8.py): FCN R50-D8, i.e. ResNet-50 with dilated
#   stages 3-4 (dilations 1,1,2,4, output stride 8, contract_dilation), an FCN head of
#   two 3x3 convs with 512 channels and input concatenation, dropout 0.1, an auxiliary
#   FCN head on stage 3 (loss weight 0.4), SyncBN, BN not frozen; the backbone type is
#   the plain-stem 'ResNet' (as pre-trained), not mmseg's default deep-stem ResNetV1c.
#   This equals mmseg's fcn_r50-d8 base apart from that backbone type.
# - data (_base_/datasets/ade20k.py = mmseg's ade20k base): train on ADEChallengeData2016
#   training (20,210 images) with 512x512 crops (cat_max_ratio 0.75) from images
#   rescaled to 0.5-2x of (2048, 512), flip, photometric distortion; reduce_zero_label;
#   test on validation (2,000 images) by whole-image inference at (2048, 512); mIoU over
#   150 classes.
# - schedule (_base_/schedules/schedule_80k.py = mmseg's): SGD lr 0.01, momentum 0.9,
#   weight decay 5e-4, poly decay (power 0.9) to 1e-4 over 80k iterations.
# - batch: 4 GPUs x 4 images = 16 (SlotCon's README runs ADE20K on 4 GPUs, total 16).
# SlotCon transfers its momentum encoder; the official PixCon release the online one
# (pixcon2det.py --encoder).
#
#   python tools/model_converters/pixcon2det.py <pixcon.pth> work_dirs/pixcon_backbone.pth
#   bash tools/dist_train.sh configs/pixcon/benchmarks/fcn_r50-d8_4xb4-80k_ade20k-512x512_pixcon.py 4 \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/pixcon_backbone.pth
_base_ = ['mmseg::_base_/models/fcn_r50-d8.py', 'mmseg::_base_/datasets/ade20k.py',
          'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
          './_base_/pretrained_backbone.py']
crop_size = (512, 512)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(type='ResNet', init_cfg=_base_.pretrained_backbone),
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))
