# COCO train2017 (images only) -> PixCon's augmentation. From the thesis (sec. 2.5.1):
# "in accordance to [8]" (BYOL): two random resized crops resized to 224 x 224, flip,
# colour distortion, Gaussian blur and solarisation with BYOL's asymmetric probabilities
# (blur 1.0 / 0.1, solarise 0.0 / 0.2; jitter 0.4/0.4/0.2/0.1 p 0.8; grey p 0.2; crop
# area 0.08-1); "crops without overlapping are skipped"; 4 GPUs x 128 = 512 images/step.
# Where the thesis is silent: how non-overlapping crops are skipped. Here the second crop
# is redrawn up to 10 times until it shares >= 1 % of its area with the first, else the
# first crop is reused (OverlapTwoCrop's documented fallback); 8 loader workers per GPU;
# the resizing of the crops: the thesis does not name it; the official release crops a
# PIL image with torchvision's resized_crop at its default bilinear
# (mmselfsup/datasets/albpipelines/transforms.py, CustomTwoCrop), so pillow + bilinear
# here (BYOL's recipe, cited for the other settings, resizes bicubic).
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
# named so that configs whose base replaced train_pipeline can still reach it
pixcon_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='OverlapTwoCrop', size=crop_size, scale=(0.08, 1.0), min_overlap=0.01,
         max_tries=10, backend='pillow', interpolation='bilinear'),
    dict(type='PairedRandomFlip', prob=0.5),
    dict(type='PerViewPipeline', pipelines=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs', algorithm_keys=['pixcon_boxes', 'pixcon_flips']),
]
train_pipeline = pixcon_pipeline
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
