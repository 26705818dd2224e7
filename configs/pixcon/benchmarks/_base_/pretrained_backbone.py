# Initialisation shared by every transfer config: the ResNet written by
# tools/model_converters/pixcon2det.py. Nothing is downloaded; set the path with
# --cfg-options model.backbone.init_cfg.checkpoint=<converted .pth>.
pretrained_backbone = dict(type='Pretrained', checkpoint='work_dirs/pixcon_backbone.pth')
