# Contrastive refinement trained on 10,000 YouTube-8M videos (table 3.1 "YT8M": 4 layers,
# 8 heads, weight decay 5e-4), transferred to TVSum (val, every epoch) and SumMe (test);
# tables 3.4/3.5 with (a, lambda1) = (0.05, 0.25) as stated for table 3.5.
#   python tools/train.py configs/vsumm/ctvsumm_4l8h_yt8m_transfer.py
#   python tools/test.py configs/vsumm/ctvsumm_4l8h_yt8m_transfer.py work_dirs/.../epoch_40.pth
_base_ = [
    './_base_/models/ctvsumm.py', './_base_/datasets/yt8m_transfer.py',
    './_base_/schedules/adam_40e.py', './_base_/default_runtime.py'
]

model = dict(heads=8, lambda1=0.25, ratio=0.05)
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
