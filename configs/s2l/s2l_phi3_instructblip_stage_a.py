# Stage A (alignment) for the thesis model: InstructBLIP's Q-Former + E.T.Chat's pooling
# projections learn to feed Phi-3-Mini, which stays frozen (its LoRA exists but stays at
# B = 0, so stage B, configs/s2l/s2l_phi3_instructblip_etsum.py, loads every tensor), on
# captioning data: an ETSum-format JSON list {"video", "q", "summaries": [caption]} under
# data_root (e.g. video captions of the ETSum videos' segments); `q` is replaced by the
# caption prompt and the caption is written without <loc>. This is the job of E.T.Chat's
# alignment stages (everything but the visual projection frozen, caption data).
#
# Who skips it: a user starting from real E.T.Chat weights, whose Q-Former and projections
# are already aligned with Phi-3-Mini, trains stage B only (and converts those weights
# into this model's compressor first; no converter is shipped here).
#
#   bash tools/s2l/train_stages.sh configs/s2l/s2l_phi3_instructblip_stage_a.py \
#       configs/s2l/s2l_phi3_instructblip_etsum.py work_dirs/s2l_phi3 --amp
_base_ = ['./s2l_phi3_instructblip_etsum.py']

caption_prompt = 'Describe the video.'
model = dict(trainable=[r'^compressor\.qformer\.encoder\.layer\.\d+\.(attention|crossattention)\.',
                        r'^compressor\.(query_tokens$|(ln_vision|out_proj|q_proj|k_proj|v_proj)\.)'],
             cm_weight=0.0)
train_pipeline = [
    dict(type='LoadVideoFrames', fps={{_base_.fps}}, max_frames={{_base_.max_frames}}),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='FormatS2LInputs', tokenizer={{_base_.tokenizer}},
         qformer_tokenizer={{_base_.qformer_tokenizer}}, caption_prompt=caption_prompt),
]
train_dataloader = dict(dataset=dict(ann_file='captions.json', pipeline=train_pipeline))
# our choice, not measured: 5x stage B's base rate (only the visual path trains)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
