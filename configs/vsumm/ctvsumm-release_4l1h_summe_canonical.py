# The official release's recipe on SumMe (see ctvsumm-release_4l1h_tvsum_canonical.py).
_base_ = ['./ctvsumm_4l1h_summe_canonical.py']

model = dict(variant='release')
release_metric = dict(rank_level='step', value_scale=1000.0)
val_evaluator = release_metric
test_evaluator = release_metric
