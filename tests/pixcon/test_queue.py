"""FeatureQueue: FIFO order, wrap-around, and 2 gloo processes == 1 process."""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmpixcon.models import FeatureQueue

from ..conftest import free_port


def test_fifo_and_wraparound_match_a_list_reference():
    torch.manual_seed(0)
    queue = FeatureQueue(length=10, dim=3)
    reference = [row.clone() for row in queue.feats]
    ptr = 0
    for n in (4, 4, 4, 13):  # wraps twice; the last push is longer than the queue
        keys = torch.randn(n, 3)
        for row in keys[-10:]:
            reference[ptr] = row
            ptr = (ptr + 1) % 10
        queue.push(keys)
        torch.testing.assert_close(queue.feats, torch.stack(reference))
        assert int(queue.ptr) == ptr


def _worker(rank: int, port: int, batches: list, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        torch.manual_seed(0)  # same initial queue on both ranks
        queue = FeatureQueue(length=12, dim=4)
        for batch in batches:
            queue.push(batch.chunk(2)[rank])  # this rank's half of the global batch
        torch.save(queue.state_dict(), os.path.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


def test_two_processes_enqueue_what_one_process_would(tmp_path):
    torch.manual_seed(1)
    batches = [torch.randn(6, 4) for _ in range(3)]  # global batch 6 = 2 x 3
    mp.spawn(_worker, args=(free_port(), batches, str(tmp_path)), nprocs=2, join=True)
    torch.manual_seed(0)
    single = FeatureQueue(length=12, dim=4)
    for batch in batches:
        single.push(batch)
    for rank in range(2):
        state = torch.load(tmp_path / f'rank{rank}.pth')
        torch.testing.assert_close(state['feats'], single.feats)
        assert int(state['ptr']) == int(single.ptr)


def _seeded_per_rank_worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        torch.manual_seed(100 + rank)  # each rank draws a different initial queue
        queue = FeatureQueue(length=8, dim=4)
        before = queue.feats.clone()
        first_read = queue.snapshot()
        queue.push(torch.randn(2, 4))
        torch.save(dict(before=before, first_read=first_read, after=queue.feats),
                   os.path.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


def test_every_process_starts_from_rank0_queue(tmp_path):
    mp.spawn(_seeded_per_rank_worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pth') for r in range(2))
    assert not torch.allclose(r0['before'], r1['before'])  # the draws did differ
    torch.testing.assert_close(r1['first_read'], r0['before'])
    torch.testing.assert_close(r0['first_read'], r0['before'])
    torch.testing.assert_close(r1['after'], r0['after'])


def test_non_finite_keys_are_not_enqueued():
    from mmengine.logging import MMLogger
    MMLogger.get_instance('test_queue_nonfinite')
    torch.manual_seed(0)
    queue = FeatureQueue(length=6, dim=3)
    before, ptr = queue.feats.clone(), int(queue.ptr)
    bad = torch.randn(2, 3)
    bad[1, 0] = float('inf')
    queue.push(bad)
    torch.testing.assert_close(queue.feats, before)
    assert int(queue.ptr) == ptr and queue.skipped == 1
    good = torch.randn(2, 3)
    queue.push(good)  # a later finite batch goes in where the refused one would have
    torch.testing.assert_close(queue.feats[ptr:ptr + 2], good)
