# Contrastive refinement (table 3.1 "standard", (lambda1, a) = (0.5, 0.1)), augmented setting:
# the 80 % of tvsum plus all of the other three eccv16 datasets (5 splits); tables 3.2/3.3.
#   python tools/train.py configs/vsumm/ctvsumm_4l1h_tvsum_augmented.py
#   python tools/vsumm/train_splits.py configs/vsumm/ctvsumm_4l1h_tvsum_augmented.py  # all splits
_base_ = [
    './_base_/models/ctvsumm.py', './_base_/datasets/eccv16_tvsum.py',
    './_base_/schedules/adam_40e.py', './_base_/default_runtime.py'
]

setting = 'augmented'
split_index = 0
split = dict(setting=setting, split_index=split_index)
train_dataloader = dict(dataset=split)
val_dataloader = dict(dataset=split)
test_dataloader = dict(dataset=split)
