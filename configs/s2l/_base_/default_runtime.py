# Runtime shared by the S2L configs (MMEngine Runner).
default_scope = 'mms2l'
custom_imports = dict(imports=['mms2l'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# Writes <work_dir>/s2l_pretrained: s2l_config.json + peft adapter/ + heads.safetensors.
custom_hooks = [dict(type='SaveS2LPretrainedHook')]

env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_processor = dict(by_epoch=False, window_size=10)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
