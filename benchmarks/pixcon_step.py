"""PixCon step time / peak memory vs mmpretrain's DenseCL and BYOL, and pipeline speed.

Usage: .venv/bin/python benchmarks/pixcon_step.py [--depth 18] [--size 112] [--batch 8]
           [--queue 65536] [--steps 6] [--warmup 2] [--device auto] [--json OUT]

All models share backbone, batch and inputs and run in one process; step times are
medians over rounds that interleave the models, so machine load hits all alike.
Printed ratios (targets from issue 3):
  PixCon DenseCL-mode / mmpretrain DenseCL        (<= 1.05)
  PixCon-SR, -Sim, -Coord / mmpretrain BYOL       (<= 1.10; the same 4 backbone passes)
  PixCon-SR / PixCon-Sim                          (reweighting < 3 % of the step)
  two-crop pipeline / BYOL pipeline, images/s     (>= 1.0)
Peak memory: CUDA max_memory_allocated, or on CPU the peak resident set (VmHWM after
a reset through /proc/self/clear_refs) above the resident set before the step.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import mmpixcon  # noqa: E402,F401  registers PixCon
from mmcontrast import assets  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MessageHub  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.registry import MODELS, TRANSFORMS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402
from mmcv.transforms import Compose  # noqa: E402


def model_cfgs(depth: int, queue: int) -> dict[str, dict]:
    """Every compared model, with the same backbone and 2048-128 heads."""
    c = 512 if depth in (18, 34) else 2048
    backbone = dict(type='ResNet', depth=depth, norm_cfg=dict(type='BN'))
    head = dict(hid_channels=2048, out_channels=128, norm_cfg=dict(type='BN1d'))
    predictor = dict(type='NonLinearNeck', in_channels=128, with_avg_pool=False,
                     with_last_bn=False, with_last_bias=True, **head)
    densecl_neck = dict(type='DenseCLNeck', in_channels=c, hid_channels=2048, out_channels=128,
                        num_grid=None)
    pixcon = dict(type='PixCon', backbone=backbone,
                  neck=dict(type='PixConNeck', in_channels=c, **head), predictor=predictor,
                  dense_predictor=predictor, queue_len=queue, feat_dim=128)
    return {
        'DenseCL (mmpretrain)': dict(
            type='DenseCL', backbone=backbone, neck=densecl_neck, queue_len=queue, feat_dim=128,
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                      temperature=0.2)),
        'PixCon DenseCL-mode': dict(
            pixcon, neck=densecl_neck, predictor=None, dense_predictor=None, reweighting=None,
            symmetric=False, momentum=0.001, momentum_schedule='constant', shuffle_bn=True),
        'BYOL (mmpretrain)': dict(
            type='BYOL', backbone=backbone,
            neck=dict(type='NonLinearNeck', in_channels=c, with_last_bn=False,
                      with_last_bias=True, **head),
            head=dict(type='LatentPredictHead', loss=dict(type='CosineSimilarityLoss'),
                      predictor=predictor)),
        'PixCon-SR': pixcon,
        'PixCon-Sim': dict(pixcon, reweighting=None),
        'PixCon-Coord': dict(pixcon, matching='coordinate', reweighting=None),
    }


def make_batch(batch: int, size: int, device: torch.device):
    rng = np.random.default_rng(0)
    views = [torch.randn(batch, 3, size, size, device=device) for _ in range(2)]
    samples = []
    for _ in range(batch):
        lo = rng.uniform(0, 0.5, size=(2, 2))
        ds = DataSample()
        ds.set_field(np.concatenate([lo, lo + 0.4], 1).astype(np.float32), 'pixcon_boxes')
        ds.set_field(rng.uniform(size=2) < 0.5, 'pixcon_flips')
        samples.append(ds)
    return views, samples


def step_fn(model: torch.nn.Module, views, samples) -> Callable[[], None]:
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        losses = model.loss([v for v in views], samples)
        opt.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
        opt.step()
    return step


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize()


def peak_memory_mb(fn: Callable[[], None], device: torch.device) -> float | None:
    """Peak memory one call of ``fn`` adds on top of what was in use before it."""
    if device.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    try:
        Path('/proc/self/clear_refs').write_text('5')  # resets VmHWM to VmRSS
    except OSError:
        return None

    def status(key: str) -> float:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith(key):
                return float(line.split()[1]) / 1024
        raise KeyError(key)
    base = status('VmRSS')
    fn()
    return status('VmHWM') - base


def time_models(steps: dict[str, Callable[[], None]], rounds: int, warmup: int,
                device: torch.device) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(warmup + rounds):
        for name, fn in steps.items():
            _sync(device)
            t = time.perf_counter()
            fn()
            _sync(device)
            if r >= warmup:
                times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def pipeline_rates(rounds: int, images: int) -> dict[str, float]:
    """images/s of the PixCon two-crop pipeline and of mmpretrain's BYOL pipeline."""
    init_default_scope('mmpretrain')
    base = REPO / 'configs' / 'pixcon' / '_base_' / 'datasets'
    pipes = {name: Compose([TRANSFORMS.build(t) for t in
                            Config.fromfile(str(base / f)).train_pipeline])
             for name, f in [('two-crop (PixCon)', 'coco_pixcon.py'),
                             ('BYOL (mmpretrain)', 'coco_byol.py')]}
    paths = [str(p) for p in assets.scene_image_paths()[:images]]
    spent = {name: 0.0 for name in pipes}
    for _ in range(rounds):
        for name, pipe in pipes.items():
            t = time.perf_counter()
            for p in paths:
                pipe(dict(img_path=p))
            spent[name] += time.perf_counter() - t
    return {name: rounds * len(paths) / s for name, s in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--depth', type=int, default=18)
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--queue', type=int, default=65536)
    parser.add_argument('--steps', type=int, default=6)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--pipeline-rounds', type=int, default=3)
    parser.add_argument('--pipeline-images', type=int, default=20)
    parser.add_argument('--device', default='auto')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args()
    device = torch.device(('cuda' if torch.cuda.is_available() else 'cpu')
                          if args.device == 'auto' else args.device)
    MessageHub.get_current_instance().update_info('max_iters', 1000)  # CosineEMA reads it
    torch.manual_seed(0)
    views, samples = make_batch(args.batch, args.size, device)
    models = {name: MODELS.build(cfg).to(device).train()
              for name, cfg in model_cfgs(args.depth, args.queue).items()}
    steps = {name: step_fn(m, views, samples) for name, m in models.items()}
    memory = {name: peak_memory_mb(fn, device) for name, fn in steps.items()}
    step_time = time_models(steps, args.steps, args.warmup, device)
    rates = pipeline_rates(args.pipeline_rounds, args.pipeline_images)

    print(f'device {device}, ResNet-{args.depth}, {args.size} px, batch {args.batch}, '
          f'queues {args.queue}, median of {args.steps} interleaved steps')
    print(f'{"model":24s} {"step s":>8s} {"peak MB":>9s}')
    for name in models:
        mem = memory[name]
        print(f'{name:24s} {step_time[name]:8.3f} {mem if mem is not None else float("nan"):9.0f}')
    t = step_time
    ratios = {
        'PixCon DenseCL-mode / DenseCL': t['PixCon DenseCL-mode'] / t['DenseCL (mmpretrain)'],
        'PixCon-SR / BYOL': t['PixCon-SR'] / t['BYOL (mmpretrain)'],
        'PixCon-Sim / BYOL': t['PixCon-Sim'] / t['BYOL (mmpretrain)'],
        'PixCon-Coord / BYOL': t['PixCon-Coord'] / t['BYOL (mmpretrain)'],
        'PixCon-SR / PixCon-Sim': t['PixCon-SR'] / t['PixCon-Sim'],
        'two-crop / BYOL pipeline (images/s)':
            rates['two-crop (PixCon)'] / rates['BYOL (mmpretrain)'],
    }
    for name, rate in rates.items():
        print(f'pipeline {name:20s} {rate:8.1f} images/s')
    for name, value in ratios.items():
        print(f'ratio {name:38s} {value:6.3f}')
    if args.json:
        Path(args.json).write_text(json.dumps(dict(
            args=vars(args), device=str(device), step_s=step_time, peak_mb=memory,
            images_per_s=rates, ratios=ratios), indent=1))


if __name__ == '__main__':
    main()
