# Thesis table 2.4, row "+ SyncBN": SyncBN replaces shuffle BN; the heads become
# PixCon's (with SyncBN in the hidden layer).
_base_ = ['./ladder0_densecl_coco_800e.py']
model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN')),
    neck=dict(_delete_=True, type='PixConNeck', in_channels=2048, hid_channels=2048,
              out_channels=128, norm_cfg=dict(type='SyncBN')),
    shuffle_bn=False)
