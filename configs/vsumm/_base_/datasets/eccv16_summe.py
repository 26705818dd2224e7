# SumMe: F1 is the maximum over annotators; tau/rho use the binary user_summary rows.
_base_ = ['./eccv16_tvsum.py']

dataset_name = 'summe'
summe = dict(ann_file='data/eccv16/eccv16_dataset_summe_google_pool5.h5', dataset=dataset_name,
             tvsum_anno=None)
train_dataloader = dict(batch_size=8, dataset=summe)  # the release's SumMe batch
val_dataloader = dict(dataset=summe)
test_dataloader = dict(dataset=summe)
val_evaluator = dict(dataset=dataset_name)
test_evaluator = dict(dataset=dataset_name)
