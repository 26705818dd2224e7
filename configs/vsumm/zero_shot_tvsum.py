# The TVSum protocol (thesis chapter 3) for a Runner: the training-free scorer,
# the eccv16 dataset and the metric; `Runner.from_cfg(cfg).val()` evaluates one split.
# Put the eccv16 h5 files and ydata-tvsum50-anno.tsv under data/eccv16/ (or override
# val_dataloader.dataset.ann_file / tvsum_anno). Other models must return, per video,
# dict(pred_score=<(n_steps,) scores>, record=<the dataset item's record>).
_base_ = ['./_base_/datasets/eccv16_tvsum.py', './_base_/default_runtime.py']

model = dict(type='ZeroShotSummarizer', scores='align+uniform', dataset='tvsum')
train_dataloader = None  # training-free
work_dir = 'work_dirs/vsumm_zero_shot'
