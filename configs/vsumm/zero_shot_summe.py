# The SumMe protocol: F1 is the maximum over annotators; tau/rho use user_summary.
_base_ = ['./_base_/datasets/eccv16_summe.py', './_base_/default_runtime.py']

model = dict(type='ZeroShotSummarizer', scores='align+uniform', dataset='summe')
train_dataloader = None  # training-free
work_dir = 'work_dirs/vsumm_zero_shot'
