# Table 3.1: Adam, lr 1e-4, weight decay 1e-4 (YT8M: 5e-4), 40 epochs; the zero-shot
# metric validates every epoch.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=1)
