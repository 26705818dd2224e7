# FCN-d6 ("dilated FCN"): torchvision-layout ResNet-50 whose last stage is dilated
# instead of strided (output stride 16), one FCN head of two 3x3 convs with dilation 6,
# SyncBN, no auxiliary head, no dropout. The segmentation model of the official
# PixCon / SlotCon transfer configs.
_base_ = ['mmseg::_base_/models/fcn_r50-d8.py', '../pretrained_backbone.py']
model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',  # plain stem, as pre-trained (not mmseg's deep-stem ResNetV1c)
        dilations=(1, 1, 1, 2),
        strides=(1, 2, 2, 1),
        init_cfg=_base_.pretrained_backbone),
    decode_head=dict(
        channels=256, concat_input=False, dropout_ratio=0., dilation=6, align_corners=True),
    auxiliary_head=None)
