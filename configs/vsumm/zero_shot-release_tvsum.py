# The training-free scores and evaluation of the official release (pytorch-CTVSUM) on
# TVSum: N_t with the frame itself and K = int(aT), L_uniform over all frames,
# exp(s - 1), 'reflect' smoothing edges; ranks at 2 fps, x1000 integer knapsack
# (what `mmvsumm evaluate --variant release` does).
_base_ = ['./zero_shot_tvsum.py']

model = dict(variant='release')
release_metric = dict(rank_level='step', value_scale=1000.0)
val_evaluator = release_metric
test_evaluator = release_metric
