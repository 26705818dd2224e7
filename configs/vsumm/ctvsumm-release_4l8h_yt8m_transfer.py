# The release's YouTube-8M recipe (configs/aln_uni_y8_config.yml there): (a, lambda1) =
# (0.1, 0.5), L_align & H at test time, frames L2-normalised by its loader, batch 128
# with the last partial batch dropped; the release's network, loss and evaluation
# (see ctvsumm-release_4l1h_tvsum_canonical.py). Its SumMe rank comparison during
# YT8M training averages user_summary over 15-frame blocks; here SumMe uses the picks.
_base_ = ['./ctvsumm_4l8h_yt8m_transfer.py']

model = dict(variant='release', lambda1=0.5, ratio=0.1, scores='align+filter')
train_dataloader = dict(dataset=dict(l2_normalize=True))
release_metric = dict(rank_level='step', value_scale=1000.0)
val_evaluator = release_metric
test_evaluator = release_metric
