# Training on YouTube-8M frame-level TFRecords (the 1024-d RGB features, dequantised,
# streamed record by record), evaluated by transfer on all of TVSum (val, every epoch)
# and all of SumMe (test: tools/test.py CONFIG CHECKPOINT). The evaluation h5 files
# must hold features of the same extractor (YouTube-8M's Inception-v3 + PCA, uint8
# codes as in the release's {tvsum,summe}_inception_v3.h5) in the eccv16 layout;
# set *.dataset.dequantize=False for float features.
data_root = 'data/yt8m/'
train_dataloader = dict(
    batch_size=128,  # the official release's YouTube-8M batch
    num_workers=2,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='YT8MFrameDataset', data_root=data_root,
                 ann_file='frame/train*.tfrecord', features=('rgb', ), frames=200,
                 max_videos=10000))
eval_loader = dict(batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                   collate_fn=dict(type='pseudo_collate'))
val_dataloader = dict(
    eval_loader,
    dataset=dict(type='Eccv16Dataset', ann_file=data_root + 'tvsum_inception_v3.h5',
                 dataset='tvsum', tvsum_anno='data/eccv16/ydata-tvsum50-anno.tsv',
                 dequantize=True))
test_dataloader = dict(
    eval_loader,
    dataset=dict(type='Eccv16Dataset', ann_file=data_root + 'summe_inception_v3.h5',
                 dataset='summe', dequantize=True))
val_evaluator = dict(type='VSummMetric', dataset='tvsum', rank_level='frame')
test_evaluator = dict(type='VSummMetric', dataset='summe', rank_level='frame')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
