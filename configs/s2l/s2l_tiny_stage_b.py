# Stage B (S2L) of the tiny S2L: LoRA + <loc> + context matching, starting from stage A's
# checkpoint (`load_from`; tools/s2l/train_stages.sh passes the stage-A work dir's last
# checkpoint). Stage A and B build the same architecture, so every tensor loads.
_base_ = ['./s2l_tiny.py']

load_from = 'work_dirs/s2l_tiny_stage_a/iter_20.pth'
