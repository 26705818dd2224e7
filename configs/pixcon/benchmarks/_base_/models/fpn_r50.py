# Semantic FPN: ResNet-50 (output stride 32) + FPN neck + FPN head, SyncBN. The
# "FPN" the thesis text names for semantic segmentation.
_base_ = ['mmseg::_base_/models/fpn_r50.py', '../pretrained_backbone.py']
model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',  # plain stem, as pre-trained (not mmseg's deep-stem ResNetV1c)
        init_cfg=_base_.pretrained_backbone))
