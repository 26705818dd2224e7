"""A ring buffer of negative keys shared by all processes."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather
from torch import Tensor, nn


class FeatureQueue(nn.Module):
    """Fixed-length FIFO of L2-normalised keys, identical on every process.

    ``push`` gathers the keys of all processes (rank order) before writing, so
    with P processes of batch b the queue receives what one process with batch
    P * b would. Writes wrap around the end; no divisibility is required.

    Args:
        length: number of keys K.
        dim: key dimensionality C.
    """

    def __init__(self, length: int, dim: int) -> None:
        super().__init__()
        if length < 1 or dim < 1:
            raise ValueError(f'length and dim must be positive, got {length}, {dim}')
        self.register_buffer('feats', F.normalize(torch.randn(length, dim), dim=1))  # (K, C)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))

    @property
    def length(self) -> int:
        return self.feats.shape[0]

    @torch.no_grad()
    def push(self, keys: Tensor) -> None:
        """Gather (b, C) keys from all processes and enqueue them."""
        keys = torch.cat(all_gather(keys.detach().contiguous()), dim=0)[-self.length:]  # (n, C)
        n = keys.shape[0]
        index = (int(self.ptr) + torch.arange(n, device=self.feats.device)) % self.length
        self.feats[index] = keys.to(self.feats.dtype)
        self.ptr[0] = (int(self.ptr) + n) % self.length
