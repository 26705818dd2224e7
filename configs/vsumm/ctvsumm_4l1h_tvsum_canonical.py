# Contrastive refinement (eq. 3.11, table 3.1 "standard") on one TVSum split,
# validated with the zero-shot protocol every epoch:
#   python tools/train.py configs/vsumm/ctvsumm_4l1h_tvsum_canonical.py
_base_ = ['./zero_shot_tvsum.py']

data_root = 'data/eccv16/'
dataset_name = 'tvsum'
setting = 'canonical'
split_index = 0
lambda1 = 0.5  # L_uniform weight
ratio = 0.1  # a: neighbours per frame as a fraction of T
model = dict(_delete_=True, type='ContrastiveRefinement', in_dim=1024, layers=4, heads=1,
             ratio=ratio, lambda1=lambda1)
work_dir = 'work_dirs/ctvsumm_4l1h_tvsum_canonical'

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='Eccv16Dataset',
        ann_file=data_root + 'eccv16_dataset_tvsum_google_pool5.h5',
        dataset=dataset_name,
        setting=setting,
        split_index=split_index,
        subset='train',
        frames=200))
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=1)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
