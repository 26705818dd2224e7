# Thesis table 2.4, row "+ SyncBN" (COCO 39.6/35.6, VOC seg 71.7): synchronised BN replaces
# MoCo's shuffle BN (sec. 2.3: "synchronized batch normalization [77] as opposed to
# shuffling batch normalization [7]"). One change: the backbone's BN layers become SyncBN
# and the target pass no longer shuffles the batch. The heads stay DenseCL's, which have no
# BN layer to synchronise.
_base_ = ['./ladder0_densecl_coco_800e.py']
model = dict(backbone=dict(norm_cfg=dict(type='SyncBN')), shuffle_bn=False)
