# The TVSum protocol (thesis chapter 3) for a Runner: the training-free scorer,
# the eccv16 dataset and the metric; `Runner.from_cfg(cfg).val()` evaluates one split.
# Put the eccv16 h5 files and ydata-tvsum50-anno.tsv under data/eccv16/ (or override
# val_dataloader.dataset.ann_file / tvsum_anno). Other models must return, per video,
# dict(pred_score=<(n_steps,) scores>, record=<the dataset item's record>).
custom_imports = dict(imports=['mmvsumm'], allow_failed_imports=False)
default_scope = 'mmvsumm'

data_root = 'data/eccv16/'
dataset_name = 'tvsum'
setting = 'canonical'  # canonical | augmented | transfer (shipped seeded splits)
split_index = 0

model = dict(type='ZeroShotSummarizer', scores='align+uniform', dataset=dataset_name)
work_dir = 'work_dirs/vsumm_zero_shot'

val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='Eccv16Dataset',
        ann_file=data_root + 'eccv16_dataset_tvsum_google_pool5.h5',
        dataset=dataset_name,
        tvsum_anno=data_root + 'ydata-tvsum50-anno.tsv',
        setting=setting,
        split_index=split_index))
val_evaluator = dict(type='VSummMetric', dataset=dataset_name, rank_level='frame')
val_cfg = dict(type='ValLoop')
