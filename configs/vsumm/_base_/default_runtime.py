# Runtime shared by every mmvsumm config: the plugin import, its registry scope,
# a fixed seed, every epoch's draws derived from (seed, epoch) so --resume repeats an
# uninterrupted run bit for bit (EpochSeedHook), and one checkpoint per epoch (the last
# two kept).
custom_imports = dict(imports=['mmvsumm'], allow_failed_imports=False)
default_scope = 'mmvsumm'
randomness = dict(seed=0)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
custom_hooks = [dict(type='EpochSeedHook')]
