# PixCon-SR on ResNet-50 (thesis sec. 2.4-2.5): global + dense heads
# (2048-2048-128, BN, ReLU), predictors (128-2048-128), two queues of 65,536,
# tau 0.2, lambda 0.5, EMA 0.99 -> 1 (cosine), SyncBN everywhere.
norm_cfg = dict(type='SyncBN')
head = dict(hid_channels=2048, out_channels=128, norm_cfg=norm_cfg)
predictor = dict(type='NonLinearNeck', in_channels=128, with_avg_pool=False,
                 with_last_bn=False, with_last_bias=True, **head)
model = dict(
    type='PixCon',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='ResNet', depth=50, norm_cfg=norm_cfg, zero_init_residual=False),
    neck=dict(type='PixConNeck', in_channels=2048, **head),
    predictor=predictor,
    dense_predictor=predictor,
    matching='similarity',
    reweighting='semantic',
    alpha=2.0,
    symmetric=True,
    queue_len=65536,
    feat_dim=128,
    temperature=0.2,
    loss_lambda=0.5,
    momentum=0.01,
    momentum_schedule='cosine',
    shuffle_bn=False)
