"""CPU-only two-crop pipeline vs CPU-geometric + batched-photometric, side by side.

Usage: .venv/bin/python benchmarks/pixcon_pipeline.py [--config pixcon_sr_coco_800e]
           [--images 24] [--rounds 3] [--batch 32] [--device cpu|cuda] [--json OUT]

Both pipelines run on the same real offline photos in interleaved rounds, one thread
(``torch.set_num_threads(1)``, OpenCV single-threaded), so CPU time per image is CPU
time per core. Reported per pipeline: images/s per core from ``time.process_time``
(robust to other jobs on the machine) and from wall time. The batched photometric half
is timed on ``--device``: on cpu its CPU time is added to the geometric half; on cuda
the worker pays the geometric half only and the GPU time is reported separately, with
the full PixCon-SR step on each pipeline's batch and the ResNet-50 fwd+bwd bound.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import cv2
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import mmpixcon  # noqa: E402,F401  registers the transforms and the preprocessor
from mmcontrast import assets  # noqa: E402
from mmcontrast.argtypes import positive_int  # noqa: E402
from mmcv.transforms import Compose  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import default_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.registry import MODELS, TRANSFORMS  # noqa: E402

CFG_DIR = REPO / 'configs' / 'pixcon'


def build_pipelines(config: str, size: int | None = None) -> tuple[Compose, Compose, dict]:
    """(CPU-only pipeline, geometric-only pipeline, gpuaug data_preprocessor cfg)."""
    init_default_scope('mmpretrain')
    cpu = Config.fromfile(str(CFG_DIR / f'{config}.py'))
    gpu = Config.fromfile(str(CFG_DIR / f'{config}_gpuaug.py'))

    def build(pipeline: list[dict]) -> Compose:
        pipeline = copy.deepcopy(pipeline)
        if size is not None:
            for t in pipeline:
                if t['type'] == 'OverlapTwoCrop':
                    t['size'] = size
        return Compose([TRANSFORMS.build(t) for t in pipeline])
    return build(cpu.train_pipeline), build(gpu.train_pipeline), gpu.model.data_preprocessor


class Clock:
    """Accumulated CPU (process) and wall seconds of the timed blocks."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def __enter__(self) -> 'Clock':
        self._c, self._w = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu += time.process_time() - self._c
        self.wall += time.perf_counter() - self._w


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize()


def measure(config: str, images: int, rounds: int, batch: int, device: torch.device,
            size: int | None = None) -> dict:
    """images/s per core of both pipelines (and of the batched photometric half)."""
    cpu_pipe, geo_pipe, pre_cfg = build_pipelines(config, size)
    pre = MODELS.build(dict(pre_cfg, seed=0)).to(device)
    paths = [str(p) for p in assets.scene_image_paths()[:images]]
    clocks = {k: Clock() for k in ('cpu_only', 'geometric', 'photometric')}
    done = 0
    for _ in range(rounds):
        with clocks['cpu_only']:
            for p in paths:
                cpu_pipe(dict(img_path=p))
        with clocks['geometric']:
            packed = [geo_pipe(dict(img_path=p)) for p in paths]
        for start in range(0, len(packed), batch):
            data = default_collate(packed[start:start + batch])
            data = pre.cast_data(data)  # to the device before the clock starts
            _sync(device)
            with clocks['photometric']:
                pre(data, True)
                _sync(device)
        done += len(paths)
    rate = {k: dict(cpu=done / c.cpu, wall=done / c.wall) for k, c in clocks.items()}
    hybrid_cpu = clocks['geometric'].cpu + (clocks['photometric'].cpu if device.type == 'cpu'
                                            else 0.)
    hybrid_wall = clocks['geometric'].wall + (clocks['photometric'].wall
                                              if device.type == 'cpu' else 0.)
    rate['hybrid'] = dict(cpu=done / hybrid_cpu, wall=done / hybrid_wall)
    return dict(config=config, images=done, device=str(device), images_per_s_per_core=rate,
                ratio_cpu_time=rate['hybrid']['cpu'] / rate['cpu_only']['cpu'],
                ratio_workers=rate['geometric']['cpu'] / rate['cpu_only']['cpu'],
                ratio_wall=rate['hybrid']['wall'] / rate['cpu_only']['wall'])


def report(result: dict) -> str:
    lines = [f"{result['config']}: {result['images']} images, photometric half on "
             f"{result['device']}, one thread"]
    names = dict(cpu_only='CPU-only pipeline', geometric='geometric half (workers)',
                 photometric='batched photometric half', hybrid='geometric + batched photometric')
    for key, name in names.items():
        r = result['images_per_s_per_core'][key]
        lines.append(f'  {name:34s} {r["cpu"]:8.1f} img/s/core (CPU time) {r["wall"]:8.1f} (wall)')
    lines.append(f"  ratio hybrid / CPU-only: {result['ratio_cpu_time']:.2f} (CPU time), "
                 f"{result['ratio_wall']:.2f} (wall)")
    lines.append(f"  ratio worker CPU per image, CPU-only / geometric half (photometric half on a "
                 f"GPU): {result['ratio_workers']:.2f}")
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='pixcon_sr_coco_800e',
                        help='a CPU pre-training config of configs/pixcon with a _gpuaug twin')
    parser.add_argument('--images', type=positive_int, default=24)
    parser.add_argument('--rounds', type=positive_int, default=3)
    parser.add_argument('--batch', type=positive_int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    torch.manual_seed(0)
    result = measure(args.config, args.images, args.rounds, args.batch, torch.device(args.device))
    print(report(result))
    if args.json:
        from mmcontrast.fileio import write_json_atomic
        write_json_atomic(args.json, result)


if __name__ == '__main__':
    main()
