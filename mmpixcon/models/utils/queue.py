"""A ring buffer of negative keys shared by all processes."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, broadcast
from mmengine.logging import print_log
from torch import Tensor, nn

from ...errors import PixConInputError


class FeatureQueue(nn.Module):
    """Fixed-length FIFO of L2-normalised keys, identical on every process.

    ``push`` gathers the keys of all processes (rank order) before writing, so
    with P processes of batch b the queue receives what one process with batch
    P * b would. Writes wrap around the end; no divisibility is required.

    The random initial queue is drawn per process (DDP does not broadcast
    buffers of a module it does not wrap), so ``sync`` copies rank 0's queue to
    every process once, before its first read; callers read through ``snapshot``.
    A gathered batch with a non-finite key (e.g. an fp16 overflow) is not
    enqueued: the step is logged and the queue keeps its last finite keys.

    Args:
        length: number of keys K.
        dim: key dimensionality C.
    """

    def __init__(self, length: int, dim: int) -> None:
        super().__init__()
        if length < 1 or dim < 1:
            raise PixConInputError(f'length and dim must be positive, got {length}, {dim}')
        self.register_buffer('feats', F.normalize(torch.randn(length, dim), dim=1))  # (K, C)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))
        self._synced = False
        self.skipped = 0  # pushes refused for non-finite keys

    @torch.no_grad()
    def sync(self) -> None:
        """Copy rank 0's queue and pointer to all processes (once; no-op when single)."""
        if not self._synced:
            broadcast(self.feats, src=0)
            broadcast(self.ptr, src=0)
            self._synced = True

    def snapshot(self) -> Tensor:
        """(K, C) copy of the synchronised queue, safe to use across a later ``push``."""
        self.sync()
        return self.feats.clone()

    @property
    def length(self) -> int:
        return self.feats.shape[0]

    @torch.no_grad()
    def push(self, keys: Tensor) -> None:
        """Gather (b, C) keys from all processes and enqueue them."""
        self.sync()
        keys = torch.cat(all_gather(keys.detach().contiguous()), dim=0)  # (P * b, C)
        if not bool(torch.isfinite(keys).all()):  # same verdict on every rank: same keys
            self.skipped += 1
            print_log(f'FeatureQueue: {int((~torch.isfinite(keys)).any(1).sum())} of '
                      f'{keys.shape[0]} keys are not finite; batch not enqueued '
                      f'({self.skipped} skipped so far)', logger='current', level=30)
            return
        keys = keys[-self.length:]  # (n, C)
        n = keys.shape[0]
        index = (int(self.ptr) + torch.arange(n, device=self.feats.device)) % self.length
        self.feats[index] = keys.to(self.feats.dtype)
        self.ptr[0] = (int(self.ptr) + n) % self.length
