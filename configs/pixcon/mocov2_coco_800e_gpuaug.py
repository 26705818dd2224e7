# mocov2_coco_800e.py with the photometric half of each MultiView view (colour jitter, grayscale,
# blur, solarize) run on the batch on the GPU by PhotometricDataPreprocessor; the
# workers keep the crops and flips and ship uint8 views. The preprocessor reads the
# probabilities and ranges from the CPU views themselves (one per view).
# Train: bash tools/dist_train.sh configs/pixcon/mocov2_coco_800e_gpuaug.py 8
_base_ = ['./mocov2_coco_800e.py', './_base_/gpuaug.py']
_multiview = [t for t in _base_.train_pipeline if t['type'] == 'MultiView'][0]
_counts = _multiview['num_views']
_counts = _counts if isinstance(_counts, list) else [_counts] * len(_multiview['transforms'])
_views = [view for view, k in zip(_multiview['transforms'], _counts) for _ in range(k)]
train_pipeline = [
    dict(t, transforms=[[s for s in view if s['type'] not in _base_.photometric_types]
                        for view in t['transforms']]) if t['type'] == 'MultiView' else t
    for t in _base_.train_pipeline]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(data_preprocessor=dict(type='PhotometricDataPreprocessor', views=_views))
