# Contrastive refinement (thesis §3.4.3-3.4.5, eq. 3.11), table 3.1 "standard":
# Linear(1024 -> 128) + 4 encoder layers of 1 head (d_head 64, d_inner 512).
# lambda1 (weight of L_uniform) and ratio (a: |N_t| = a T) are the tuned values of
# figs. 3.5/3.6; lambda2 = lambda3 = 0.1 are fixed in the thesis. At test time the
# refined L_align, L_uniform and H are multiplied (eq. 3.12; see `scores`).
model = dict(
    type='ContrastiveRefinement',
    in_dim=1024,
    layers=4,
    heads=1,
    lambda1=0.5,
    ratio=0.1,
    lambda2=0.1,
    lambda3=0.1,
    variant='thesis',
    scores='align+uniform+filter',
    dataset='tvsum')
