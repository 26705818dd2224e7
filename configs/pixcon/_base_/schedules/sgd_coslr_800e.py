# Thesis sec. 2.5.1: SGD lr 0.4 (512 images/step), momentum 0.9, wd 1e-4, cosine
# decay after a linear warm-up (5 epochs: the thesis says only "warm-up"),
# mixed precision, 800 epochs.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='SGD', lr=0.4, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=795, by_epoch=True, begin=5, end=800,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
auto_scale_lr = dict(base_batch_size=512)
