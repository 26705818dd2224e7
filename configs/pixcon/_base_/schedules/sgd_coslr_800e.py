# PixCon's optimiser and schedule.
# From the thesis (sec. 2.5.1): SGD, initial lr 0.4 for 4 GPUs x 128 = 512 images/step,
# momentum 0.9, weight decay 1e-4, cosine decay, 800 epochs on COCO.
# Where the thesis is silent:
#   - warm-up: not mentioned in the thesis. The project spec's summary of the official
#     release (an mmselfsup 0.x fork) says "a few warm-up epochs"; the number 5 (linear,
#     from lr x 1e-4) is this repository's choice, as in mmpretrain's BYOL/SimSiam recipes.
#   - mixed precision: not mentioned in the thesis; the official release trains with it
#     (same source), hence AmpOptimWrapper with a dynamic loss scale.
#   - the cosine decays to 0 at epoch 800 (mmengine's default eta_min).
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
