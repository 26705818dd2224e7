# S2L as in the thesis (section 4.4.2): EVA ViT-g/14 + InstructBLIP Q-Former frame
# compressor + Phi-3-Mini-3.8B with LoRA, fine-tuned one epoch on ETSum, fp16/bf16.
# Every part loads from a local path (nothing downloads):
#   llm_path           a Phi-3-mini-4k-instruct directory (weights + tokenizer)
#   instructblip_parts the output of `python -m mms2l.export_instructblip <instructblip dir> <dir>`
#   data_root          ETSum annotations (JSON list, see mms2l/datasets/etsum.py) + videos/
# Edit the three paths below (they are expanded into the model/data dicts when the
# config is parsed), then: python tools/train.py configs/s2l/s2l_phi3_instructblip_etsum.py --amp
# This is stage B (S2L fine-tuning). From scratch, run stage A (alignment) first and chain
# both: bash tools/s2l/train_stages.sh configs/s2l/s2l_phi3_instructblip_stage_a.py \
#     configs/s2l/s2l_phi3_instructblip_etsum.py work_dirs/s2l_phi3 --amp
# A user with real E.T.Chat weights (visual path already aligned) skips stage A.
_base_ = ['./_base_/default_runtime.py']

llm_path = 'checkpoints/Phi-3-mini-4k-instruct'
instructblip_parts = 'checkpoints/instructblip_parts'
data_root = 'data/etsum/'
tokenizer = dict(path=llm_path)
qformer_tokenizer = dict(path=instructblip_parts + '/qformer_tokenizer')
fps, max_frames = 1.0, 350  # ETSum videos are 5-350 s

model = dict(
    type='S2LModel',
    llm=dict(pretrained=llm_path, torch_dtype='bfloat16', attn_implementation='sdpa'),
    tokenizer=tokenizer,
    qformer_tokenizer=qformer_tokenizer,  # the Q-Former reads the user query (E.T.Chat)
    preprocessing=dict(fps=fps, frame_size=224),
    # E.T.Chat's EVA layer -2 = the last of InstructBLIP's 39 blocks, raw (CLS dropped): 256 x 1408
    vision_tower=dict(type='InstructBlipVisionTower', pretrained=instructblip_parts + '/vision_model',
                      select_layer=-1),
    # ln_vision on the Q-Former input, per-query attention pooling (E.T.Chat)
    compressor=dict(pretrained=instructblip_parts + '/qformer', pooling='per_query',
                    vision_norm=True),
    context_matching=dict(proj_dim=None, num_layers=2),
    # E.T.Chat's recipe; Phi-3 fuses q/k/v into qkv_proj.
    lora=dict(r=128, alpha=256, dropout=0.05, target_modules=['qkv_proj', 'o_proj']),
    # `trainable` is left at S2LModel's default, E.T.Chat's stage-3 set: LoRA, the Q-Former's
    # self/cross-attention layers, query tokens, ln_vision and pooling projections, the LLM's
    # embeddings and LM head, the new-token rows and the matching heads.
    loc_hidden='own', hidden_layer=-1, temperature=0.07,
    max_frames=max_frames, max_new_tokens=256,
    decoder=dict(type='threshold', threshold=0.5, nms_iou=0.5),
    data_preprocessor=dict(type='S2LDataPreprocessor'))  # CLIP mean/std

train_pipeline = [
    dict(type='LoadVideoFrames', fps=fps, max_frames=max_frames),
    dict(type='ResizeCenterCrop', size=224),
    dict(type='FormatS2LInputs', tokenizer=tokenizer, qformer_tokenizer=qformer_tokenizer),
]
train_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='mms2l.s2l_collate'),
    dataset=dict(type='ETSumDataset', data_root=data_root, ann_file='etsum.json',
                 data_prefix=dict(video='videos'), pipeline=train_pipeline))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)

# lr 2e-5 for the heads and compressor, 5e-5 (2.5x) for LoRA; cosine with 3% warm-up.
# The lead's tools/train.py --amp switches to AmpOptimWrapper (fp16/bf16 on GPU).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.0, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={'lora_': dict(lr_mult=2.5)}),
    accumulative_counts=8,  # 4 GPUs x 1 video x 8 steps
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=0.03,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0.03, end=1, eta_min=0.0,
         convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
