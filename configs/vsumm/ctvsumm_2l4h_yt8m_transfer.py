# Table 3.5 (model size): 2 layers, 4 heads; otherwise ctvsumm_4l8h_yt8m_transfer.py.
_base_ = ['./ctvsumm_4l8h_yt8m_transfer.py']

model = dict(layers=2, heads=4)
