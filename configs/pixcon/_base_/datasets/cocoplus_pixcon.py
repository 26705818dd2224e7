# COCO+ = COCO 2017 train2017 (118,287 images) + unlabeled2017 (~123k images), the
# pre-training set of thesis table 2.7 (named as in SlotCon, whose COCO+ script trains on
# the same two folders). Images only, listed from the two folders under data_root; the
# PixCon pipeline and loader settings of coco_pixcon.py. Any sampler over the concatenation
# draws from both folders: an epoch visits every image of both once.
_base_ = ['./coco_pixcon.py']


def _folder(prefix):
    return dict(type=_base_.dataset_type, data_root=_base_.data_root, data_prefix=prefix,
                ann_file='', pipeline=_base_.train_pipeline)


train_dataloader = dict(
    dataset=dict(_delete_=True, type='ConcatDataset',
                 datasets=[_folder('train2017'), _folder('unlabeled2017')]))
