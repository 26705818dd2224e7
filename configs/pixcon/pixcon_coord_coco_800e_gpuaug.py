# pixcon_coord_coco_800e.py with the photometric half of the augmentation (colour jitter, grayscale,
# blur, solarize of view_pipeline1/2) run on the batch on the GPU by
# PhotometricDataPreprocessor; the workers keep the overlap-aware crops, boxes and flips
# and ship uint8 views. Same probabilities and ranges (read from the CPU views).
# Train: bash tools/dist_train.sh configs/pixcon/pixcon_coord_coco_800e_gpuaug.py 4
_base_ = ['./pixcon_coord_coco_800e.py', './_base_/gpuaug.py']
train_pipeline = [t for t in _base_.train_pipeline if t['type'] != 'PerViewPipeline']
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(data_preprocessor=dict(type='PhotometricDataPreprocessor',
                                    views=[_base_.view_pipeline1, _base_.view_pipeline2]))
