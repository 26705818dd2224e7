# Tiny S2L (hidden 32, 2 layers) on synthetic coloured-square videos: a smoke test of the
# whole pipeline on CPU. Make the data first: `python -m mms2l.testing data/s2l_tiny`.
_base_ = ['./_base_/default_runtime.py']

data_root = 'data/s2l_tiny/'
tokenizer = dict(path=data_root + 'tokenizer')
fps, max_frames, size = 1.0, 32, 32

model = dict(
    type='S2LModel',
    llm=dict(config=dict(model_type='llama', vocab_size=64, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=256)),
    tokenizer=tokenizer,
    vision_tower=dict(type='InstructBlipVisionTower', select_layer=-1,
                      config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, image_size=size, patch_size=8,
                                  initializer_range=0.02)),  # BLIP-2's 1e-10 hides the frames
    compressor=dict(num_query_tokens=4,
                    qformer=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, vocab_size=64,
                                 max_position_embeddings=64)),
    context_matching=dict(proj_dim=16),
    lora=dict(r=4, alpha=8, dropout=0.05),
    temperature=0.07,
    max_frames=max_frames,
    max_new_tokens=16,
    data_preprocessor=dict(type='S2LDataPreprocessor'))

train_pipeline = [
    dict(type='LoadVideoFrames', fps=fps, max_frames=max_frames),
    dict(type='ResizeCenterCrop', size=size),
    dict(type='FormatS2LInputs', tokenizer=tokenizer),
]
test_pipeline = [
    dict(type='LoadVideoFrames', fps=fps, max_frames=max_frames),
    dict(type='ResizeCenterCrop', size=size),
    dict(type='FormatS2LInputs', tokenizer=tokenizer, with_answer=False),
]
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='mms2l.s2l_collate'),
    dataset=dict(type='ETSumDataset', data_root=data_root, ann_file='train.json',
                 data_prefix=dict(video='videos'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='mms2l.s2l_collate'),
    dataset=dict(type='ETSumDataset', data_root=data_root, ann_file='val.json',
                 data_prefix=dict(video='videos'), pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='TVGMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=20, val_interval=20)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# LoRA at 2.5x the base learning rate (E.T.Chat: 5e-5 for LoRA, 2e-5 for the rest).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.0),
    paramwise_cfg=dict(custom_keys={'lora_': dict(lr_mult=2.5)}),
    accumulative_counts=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=2, end=20),
]
