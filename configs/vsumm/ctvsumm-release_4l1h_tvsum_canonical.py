# The official release (pytorch-CTVSUM) where it differs from the thesis: its network
# (d_model 256, dropout 0, LayerNorm after the input projection, bias-free attention,
# Linear-ReLU-Linear filter head), its loss (N_t with the frame itself and K = int(aT),
# L_uniform over all frames, own segments in L_unique, H's target 0.5 x + 0.25), its
# test-time scores (exp(s - 1) on TVSum, +0.05 on SumMe, sigma-1 Gaussian with scipy's
# 'reflect' edges) and its evaluation (ranks at 2 fps, x1000 integer knapsack).
# Batch sizes are the release's (TVSum 32, SumMe 8), as in every config here.
_base_ = ['./ctvsumm_4l1h_tvsum_canonical.py']

model = dict(variant='release')
release_metric = dict(rank_level='step', value_scale=1000.0)
val_evaluator = release_metric
test_evaluator = release_metric
