# Stage A (alignment) of the tiny S2L: frame tokens -> LLM on captioning data, as
# E.T.Chat's early stages. Each training video becomes a captioning sample (prompt
# `caption_prompt`, answer = its summaries as one caption, no <loc>, no spans); only the
# frame compressor trains, the LLM (and its LoRA, kept at B = 0 so the architecture equals
# stage B's and stage B loads every tensor) stays frozen. Chained with stage B by
#   bash tools/s2l/train_stages.sh configs/s2l/s2l_tiny_stage_a.py configs/s2l/s2l_tiny_stage_b.py work_dirs/s2l_tiny_stages
_base_ = ['./s2l_tiny.py']

caption_prompt = 'what is shown in the video ?'  # 'what' is [UNK] in the tiny word vocabulary
model = dict(trainable=[r'^compressor\.'], cm_weight=0.0)

train_pipeline = [
    dict(type='LoadVideoFrames', fps={{_base_.fps}}, max_frames={{_base_.max_frames}}),
    dict(type='ResizeCenterCrop', size={{_base_.size}}),
    dict(type='FormatS2LInputs', tokenizer={{_base_.tokenizer}}, caption_prompt=caption_prompt),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# no grounding validation: the stage-A model writes captions, not <loc>
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20, val_interval=10_000)
val_dataloader = None
val_cfg = None
val_evaluator = None
# A seed of its own (stage B keeps 0): a stage B that failed to load stage A's weights would
# start from differently initialised random LLM weights, which tests/s2l/test_stages.py sees.
randomness = dict(seed=1)
