# The official release's training-free scores and evaluation on SumMe (s + 0.05;
# see zero_shot-release_tvsum.py).
_base_ = ['./zero_shot_summe.py']

model = dict(variant='release')
release_metric = dict(rank_level='step', value_scale=1000.0)
val_evaluator = release_metric
test_evaluator = release_metric
