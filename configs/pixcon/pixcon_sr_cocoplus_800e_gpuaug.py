# pixcon_sr_cocoplus_800e.py (train2017 + unlabeled2017) with the photometric half of
# the augmentation run on the batch on the GPU by PhotometricDataPreprocessor, as
# pixcon_sr_coco_800e_gpuaug.py does.
# Train: bash tools/dist_train.sh configs/pixcon/pixcon_sr_cocoplus_800e_gpuaug.py 4
_base_ = ['./pixcon_sr_cocoplus_800e.py', './_base_/gpuaug.py']
train_pipeline = [t for t in _base_.train_pipeline if t['type'] != 'PerViewPipeline']
train_dataloader = dict(dataset=dict(datasets=[
    dict(d, pipeline=train_pipeline) for d in _base_.train_dataloader.dataset.datasets]))
model = dict(data_preprocessor=dict(type='PhotometricDataPreprocessor',
                                    views=[_base_.view_pipeline1, _base_.view_pipeline2]))
