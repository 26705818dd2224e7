# TVSum in the eccv16 h5 layout with the thesis's protocol (chapter 3): one split of
# the shipped seeded split files; training videos resampled to 200 steps (§3.5.4).
# Put the eccv16 h5 files and ydata-tvsum50-anno.tsv under data/eccv16/. Augmented and
# transfer training sets also read eccv16_dataset_{summe,ovp,youtube}_google_pool5.h5
# from the same folder. The split is set in every loader (see the leaf configs).
data_root = 'data/eccv16/'
dataset_name = 'tvsum'
setting = 'canonical'  # canonical | augmented | transfer
split_index = 0

test_set = dict(
    type='Eccv16Dataset',
    ann_file=data_root + 'eccv16_dataset_tvsum_google_pool5.h5',
    dataset=dataset_name,
    tvsum_anno=data_root + 'ydata-tvsum50-anno.tsv',
    setting=setting,
    split_index=split_index)
train_dataloader = dict(
    batch_size=32,  # the official release's TVSum batch (the thesis gives none)
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(test_set, subset='train', tvsum_anno=None, frames=200))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=test_set)
test_dataloader = val_dataloader
val_evaluator = dict(type='VSummMetric', dataset=dataset_name, rank_level='frame')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
