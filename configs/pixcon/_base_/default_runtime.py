# Runtime shared by every PixCon config: mmpretrain scope + the mmpixcon plugin.
# Not from the thesis (it is silent on them): a checkpoint every 10 epochs, 3 kept (as
# mmpretrain's DenseCL/MoCo-v2 configs); logging every 50 iterations and seed 0 with
# per-rank seeds are this repository's choices.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmpixcon'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
log_processor = dict(window_size=10)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends, name='visualizer')
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=True)
