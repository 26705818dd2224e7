"""Collate S2L samples: right-pad token tensors, keep frames as a per-sample list."""
from __future__ import annotations

from typing import Sequence

import torch

from ..registry import FUNCTIONS


def _pad(seqs: Sequence[torch.Tensor], value: int) -> torch.Tensor:
    """Right-pad 1-D tensors to (B, L_max)."""
    return torch.nn.utils.rnn.pad_sequence(list(seqs), batch_first=True, padding_value=value)


@FUNCTIONS.register_module()
def s2l_collate(batch: Sequence[dict]) -> dict:
    """[{inputs, data_sample}] -> dict(inputs=dict(frames=[(T_b, ...)], input_ids (B, L),
    attention_mask (B, L), labels (B, L), vid_frames=[(n_b,)], qformer_ids/mask), data_samples)."""
    if not batch:
        raise ValueError('cannot collate an empty batch')
    inputs = [item['inputs'] for item in batch]
    ids = [x['input_ids'] for x in inputs]
    collated = dict(
        frames=[x['frames'] for x in inputs],
        input_ids=_pad(ids, 0),
        attention_mask=_pad([torch.ones_like(i) for i in ids], 0),
        labels=_pad([x['labels'] for x in inputs], -100),
        vid_frames=[x['vid_frames'] for x in inputs])
    if 'qformer_ids' in inputs[0]:
        q_ids = [x['qformer_ids'] for x in inputs]
        collated['qformer_ids'] = _pad(q_ids, 0)
        collated['qformer_mask'] = _pad([torch.ones_like(i) for i in q_ids], 0)
    return dict(inputs=collated, data_samples=[item['data_sample'] for item in batch])
