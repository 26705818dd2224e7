# COCO train2017 (images only) -> overlap-aware two-crop, paired flip and the
# asymmetric BYOL photometric augmentations (thesis sec. 2.5.1).
dataset_type = 'UnlabeledCOCO'
data_root = 'data/coco/'
crop_size = 224

color_jitter = dict(
    type='RandomApply',
    transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)],
    prob=0.8)
grayscale = dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
                 channel_weights=(0.114, 0.587, 0.2989))
view_pipeline1 = [
    color_jitter, grayscale,
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.0),
    dict(type='Solarize', thr=128, prob=0.0),
]
view_pipeline2 = [
    color_jitter, grayscale,
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.1),
    dict(type='Solarize', thr=128, prob=0.2),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='OverlapTwoCrop', size=crop_size, scale=(0.08, 1.0), min_overlap=0.01,
         max_tries=10),
    dict(type='PairedRandomFlip', prob=0.5),
    dict(type='PerViewPipeline', pipelines=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs', algorithm_keys=['pixcon_boxes', 'pixcon_flips']),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train2017',
        # No json: the 118,287 images of COCO 2017's train2017.zip are listed from
        # the folder (the same set as instances_train2017.json's "images"; that
        # file also works: ann_file='annotations/instances_train2017.json').
        ann_file='',
        pipeline=train_pipeline))
