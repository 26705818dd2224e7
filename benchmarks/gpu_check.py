"""One prepared check of a GPU machine: step speed and memory, data pipelines, a real
PixCon-SR run, mmcv's CUDA RoIAlign, S2L and vsumm, written to gpu_check.json + .md.

Usage: .venv/bin/python benchmarks/gpu_check.py OUT_DIR [--smoke] [--only SECTION ...]
(or ``bash benchmarks/gpu_check.sh [--smoke] [OUT_DIR]``). Sections:
  step       PixCon-SR / DenseCL / BYOL ResNet-50 step (bf16 autocast), img/s, peak MB
  bound      ResNet-50 forward + backward alone on the two views, img/s
  pipelines  CPU-only vs CPU-geometric + on-device photometric loaders, img/s, 8 workers
  train      PixCon-SR R50 on the offline photos: losses and the dense probe before/after
  roi_align  mmcv.ops.roi_align on the device against the CPU result (forward, backward)
  s2l        a tiny-S2L training step; generation tokens/s of the offline SmolLM2
  vsumm      benchmarks/vsumm_eval.py's 50-video TVSum-layout evaluation
``--smoke`` runs every section tiny on whatever device there is (about a minute on CPU).
A failing section is recorded with its error and the others still run; the exit code
is 1 if any failed.
"""
from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / 'benchmarks'), str(REPO / 'tools')]

import mmpixcon  # noqa: E402,F401
import pixcon_pipeline  # noqa: E402
import pixcon_step  # noqa: E402
from mmcontrast import assets  # noqa: E402
from mmcontrast.fileio import write_json_atomic, write_text_atomic  # noqa: E402
from mmengine.logging import MessageHub  # noqa: E402

SECTIONS = ('step', 'bound', 'pipelines', 'train', 'roi_align', 's2l', 'vsumm')


class Sizes:
    """What each section runs at: the full check or the CPU smoke run."""

    def __init__(self, smoke: bool) -> None:
        self.smoke = smoke
        self.depth = 18 if smoke else 50
        self.batch = 2 if smoke else 64
        self.size = 64 if smoke else 224
        self.queue = 64 if smoke else 65536
        self.steps, self.warmup = (1, 0) if smoke else (10, 3)
        self.workers = 1 if smoke else 8
        self.loader_batches = 2 if smoke else 20
        self.train_iters = 4 if smoke else 300
        self.train_batch = 4 if smoke else 32
        self.gen_tokens = 8 if smoke else 128
        self.videos, self.video_steps = (2, 120) if smoke else (50, 700)


def _autocast(device: torch.device):
    enabled = device.type == 'cuda'
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def _timed(fn: Callable[[], None], device: torch.device, steps: int, warmup: int) -> float:
    """Median seconds of ``fn`` after ``warmup`` calls."""
    times = []
    for i in range(warmup + steps):
        pixcon_step._sync(device)
        start = time.perf_counter()
        fn()
        pixcon_step._sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def section_step(s: Sizes, device: torch.device) -> dict:
    from mmpretrain.registry import MODELS
    MessageHub.get_current_instance().update_info('max_iters', 1000)
    cfgs = pixcon_step.model_cfgs(s.depth, s.queue)
    views, samples = pixcon_step.make_batch(s.batch, s.size, device)
    out = {}
    for name in ('PixCon-SR', 'DenseCL (mmpretrain)', 'BYOL (mmpretrain)'):
        model = MODELS.build(cfgs[name]).to(device).train()
        step = pixcon_step.step_fn(model, views, samples)

        def bf16_step(step=step) -> None:
            with _autocast(device):
                step()
        mem = pixcon_step.peak_memory_mb(bf16_step, device)
        sec = _timed(bf16_step, device, s.steps, s.warmup)
        out[name] = dict(step_s=sec, images_per_s=s.batch / sec, peak_mb=mem)
        del model
    return out


def section_bound(s: Sizes, device: torch.device) -> dict:
    """The two online passes with backward and nothing else: the step's ceiling."""
    from mmpretrain.models import ResNet
    net = ResNet(depth=s.depth).to(device)
    net.train()  # mmpretrain's ResNet.train returns None
    x = torch.randn(2 * s.batch, 3, s.size, s.size, device=device)

    def fwd_bwd() -> None:
        with _autocast(device):
            loss = net(x)[-1].float().mean()
        loss.backward()
    sec = _timed(fwd_bwd, device, s.steps, s.warmup)
    return dict(depth=s.depth, images=2 * s.batch, step_s=sec, images_per_s=2 * s.batch / sec)


def _loader_rate(pipeline: list, preprocessor, root: Path, s: Sizes,
                 device: torch.device) -> float:
    """Training images/s of a DataLoader with ``s.workers`` workers (+ preprocessor)."""
    from mmengine.dataset import default_collate
    from mmpretrain.registry import DATASETS
    dataset = DATASETS.build(dict(type='UnlabeledCOCO', data_root=str(root),
                                  data_prefix='train2017',
                                  ann_file='annotations/image_info_train2017.json',
                                  pipeline=pipeline))
    sampler = torch.utils.data.RandomSampler(dataset, replacement=True,
                                             num_samples=s.batch * (s.loader_batches + 1))
    loader = torch.utils.data.DataLoader(dataset, batch_size=s.batch, sampler=sampler,
                                         num_workers=s.workers, collate_fn=default_collate,
                                         pin_memory=device.type == 'cuda')
    batches = iter(loader)
    preprocessor(next(batches), True)  # workers started, first batch out of the clock
    pixcon_step._sync(device)
    start = time.perf_counter()
    for data in batches:
        preprocessor(data, True)
    pixcon_step._sync(device)
    return s.batch * s.loader_batches / (time.perf_counter() - start)


def section_pipelines(s: Sizes, device: torch.device, root: Path) -> dict:
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cfg_dir = REPO / 'configs' / 'pixcon'
    cpu = Config.fromfile(str(cfg_dir / 'pixcon_sr_coco_800e.py'))
    gpu = Config.fromfile(str(cfg_dir / 'pixcon_sr_coco_800e_gpuaug.py'))
    plain = MODELS.build(cpu.model.data_preprocessor).to(device)
    photometric = MODELS.build(gpu.model.data_preprocessor).to(device)
    size = [dict(t, size=s.size) if t['type'] == 'OverlapTwoCrop' else t
            for t in cpu.train_pipeline]
    geo = [dict(t, size=s.size) if t['type'] == 'OverlapTwoCrop' else t
           for t in gpu.train_pipeline]
    cpu_rate = _loader_rate(size, plain, root, s, device)
    gpu_rate = _loader_rate(geo, photometric, root, s, device)
    one_core = pixcon_pipeline.measure('pixcon_sr_coco_800e', 8 if s.smoke else 24, 1,
                                       s.batch, device, size=s.size)
    return dict(workers=s.workers, size=s.size, cpu_only_images_per_s=cpu_rate,
                hybrid_images_per_s=gpu_rate, ratio=gpu_rate / cpu_rate,
                one_core=one_core)


def section_train(s: Sizes, device: torch.device, root: Path, work: Path) -> dict:
    import pixcon_demo
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(pixcon_demo.CONFIG))
    cfg.work_dir = str(work / 'train')
    cfg.launcher = 'none'
    cfg.train_dataloader.dataset.update(data_root=str(root),
                                        ann_file='annotations/image_info_train2017.json')
    cfg.train_dataloader.update(batch_size=s.train_batch, num_workers=s.workers)
    if s.depth == 50:
        cfg.model.backbone.depth = 50
        cfg.model.neck.in_channels = 2048
    iters = s.train_iters
    warm = max(1, iters // 10)
    cfg.train_cfg.max_iters = iters
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warm),
        dict(type='CosineAnnealingLR', T_max=iters - warm, by_epoch=False, begin=warm,
             end=iters)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False,
                                        interval=iters + 1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.custom_hooks = [dict(type='DenseProbeHook', interval=iters if s.smoke else iters // 3,
                             pairs_per_image=1 if s.smoke else 2, size=96 if s.smoke else 192)]
    if device.type == 'cuda':
        cfg.optim_wrapper = dict(cfg.optim_wrapper, type='AmpOptimWrapper', dtype='bfloat16')
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    wall = time.perf_counter() - start
    (hook, ) = [h for h in runner.hooks if type(h).__name__ == 'DenseProbeHook']
    losses = [loss for _, loss in pixcon_demo._losses(Path(runner.log_dir))]
    tenth = max(1, len(losses) // 10)
    first, last = float(np.mean(losses[:tenth])), float(np.mean(losses[-tenth:]))
    return dict(iterations=iters, batch=s.train_batch, depth=s.depth, wall_s=wall,
                loss_first=first, loss_last=last, loss_fell=last < first,
                probe_before=hook.history[0][1], probe_after=hook.history[-1][1],
                probe_history=hook.history)


def section_roi_align(s: Sizes, device: torch.device) -> dict:
    """mmcv's RoIAlign on the device vs on the CPU (on a CPU machine: vs torchvision)."""
    from mmcv.ops import roi_align
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(4, 16, 28, 28, generator=gen)
    lo = torch.rand(32, 2, generator=gen) * 14
    rois = torch.cat([torch.arange(32)[:, None] % 4, lo, lo + 4 + torch.rand(32, 2) * 10],
                     1).float()

    def run(dev: torch.device, fn) -> tuple[torch.Tensor, torch.Tensor]:
        x = feats.to(dev).requires_grad_(True)
        out = fn(x, rois.to(dev))
        out.square().sum().backward()
        return out.detach().cpu(), x.grad.cpu()
    mmcv_op = lambda x, r: roi_align(x, r, (7, 7), 1.0, 2, 'avg', True)  # noqa: E731
    if device.type == 'cuda':
        ref, against = run(torch.device('cpu'), mmcv_op), 'mmcv CPU'
    else:
        from torchvision.ops import roi_align as tv_roi_align
        ref = run(device, lambda x, r: tv_roi_align(x, r, (7, 7), 1.0, 2, True))
        against = 'torchvision (no GPU here)'
    got = run(device, mmcv_op)
    fwd, bwd = ((g - r).abs().max().item() for g, r in zip(got, ref))
    return dict(against=against, max_abs_forward=fwd, max_abs_grad=bwd,
                ok=fwd < 1e-4 and bwd < 1e-3)


def section_s2l(s: Sizes, device: torch.device, work: Path) -> dict:
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mms2l.datasets import s2l_collate
    from mms2l.registry import DATASETS, MODELS
    from mms2l.testing import make_tiny_etsum
    from tests.s2l.conftest import TINY_CONFIG, point_config_at
    cfg = point_config_at(Config.fromfile(str(TINY_CONFIG)), make_tiny_etsum(work / 's2l'))
    with DefaultScope.overwrite_default_scope('mms2l'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset.to_dict())
        model = MODELS.build(cfg.model.to_dict()).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    data = s2l_collate([dataset[i] for i in range(min(2, len(dataset)))])

    def train_step() -> None:
        losses = model.loss(**model.data_preprocessor(data, True))
        opt.zero_grad(set_to_none=True)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        opt.step()
    step_s = _timed(train_step, device, 2 if s.smoke else 5, 1)
    if s.smoke:
        llm, name = model.llm, 'tiny S2L language model (smoke)'
    else:
        from transformers import AutoModelForCausalLM
        directory, gguf = assets.smollm2_gguf()
        llm = AutoModelForCausalLM.from_pretrained(str(directory), gguf_file=gguf,
                                                   torch_dtype=torch.bfloat16).to(device)
        name = f'SmolLM2-135M ({gguf})'
    llm.eval()
    prompt = torch.ones(1, 16, dtype=torch.long, device=device)
    with torch.no_grad():
        gen = lambda: llm.generate(prompt, max_new_tokens=s.gen_tokens,  # noqa: E731
                                   min_new_tokens=s.gen_tokens, do_sample=False)
        sec = _timed(gen, device, 2, 1)
    return dict(train_step_s=step_s, generation_model=name,
                generated_tokens=s.gen_tokens, tokens_per_s=s.gen_tokens / sec)


def section_vsumm(s: Sizes, device: torch.device) -> dict:
    cmd = [sys.executable, str(REPO / 'benchmarks' / 'vsumm_eval.py'), '--videos',
           str(s.videos), '--steps', str(s.video_steps), '--plain-videos', '1']
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return dict(videos=s.videos, wall_s=time.perf_counter() - start,
                output=done.stdout.strip().splitlines())


def run(out: Path, smoke: bool, only: list[str]) -> dict:
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')  # datasets and transforms built below live there
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    s = Sizes(smoke)
    work = out / 'gpu_check_work'
    work.mkdir(parents=True, exist_ok=True)
    root = assets.coco_image_folder(work / 'coco', num=8 if smoke else None)
    calls = dict(step=lambda: section_step(s, device), bound=lambda: section_bound(s, device),
                 pipelines=lambda: section_pipelines(s, device, root),
                 train=lambda: section_train(s, device, root, work),
                 roi_align=lambda: section_roi_align(s, device),
                 s2l=lambda: section_s2l(s, device, work), vsumm=lambda: section_vsumm(s, device))
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'
    result: dict = dict(device=name, smoke=smoke, torch=torch.__version__, sections={})
    for section in only or SECTIONS:
        torch.manual_seed(0)
        start = time.perf_counter()
        try:
            value = dict(calls[section](), ok_run=True)
        except Exception as exc:  # recorded, and the other sections still run
            value = dict(ok_run=False, error=f'{type(exc).__name__}: {exc}',
                         traceback=traceback.format_exc().splitlines()[-6:])
        value['section_wall_s'] = time.perf_counter() - start
        result['sections'][section] = value
        print(f'[gpu_check] {section}: {"ok" if value["ok_run"] else value["error"]} '
              f'({value["section_wall_s"]:.1f} s)', flush=True)
    write_json_atomic(out / 'gpu_check.json', result)
    write_text_atomic(out / 'gpu_check.md', to_markdown(result))
    return result


def _fmt(value) -> str:
    if isinstance(value, float):
        return f'{value:.4g}' if math.isfinite(value) else str(value)
    return str(value)


def to_markdown(result: dict) -> str:
    lines = [f'# gpu_check on {result["device"]}' + (' (smoke)' if result['smoke'] else ''), '']
    for section, value in result['sections'].items():
        lines += [f'## {section}', '']
        for key, item in value.items():
            if key in ('traceback', 'output', 'probe_history', 'one_core'):
                continue
            if isinstance(item, dict):
                item = ', '.join(f'{k} {_fmt(v)}' for k, v in item.items())
            lines.append(f'- {key}: {_fmt(item)}')
        lines.append('')
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='folder for gpu_check.json and gpu_check.md')
    parser.add_argument('--smoke', action='store_true', help='every section tiny (CPU, ~1 min)')
    parser.add_argument('--only', nargs='+', choices=SECTIONS, default=[])
    args = parser.parse_args(argv)
    result = run(Path(args.out), args.smoke, args.only)
    return 0 if all(v['ok_run'] for v in result['sections'].values()) else 1


if __name__ == '__main__':
    sys.exit(main())
