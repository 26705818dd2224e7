# The SumMe protocol: F1 is the maximum over annotators; tau/rho use user_summary.
_base_ = ['./zero_shot_tvsum.py']

dataset_name = 'summe'
model = dict(dataset=dataset_name)
val_dataloader = dict(
    dataset=dict(ann_file='data/eccv16/eccv16_dataset_summe_google_pool5.h5',
                 dataset=dataset_name, tvsum_anno=None))
val_evaluator = dict(dataset=dataset_name)
