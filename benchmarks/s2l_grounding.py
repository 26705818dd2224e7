"""S2L grounding benchmark on held-out sources and queries, with real parts, on CPU.

LLM: the offline SmolLM2-135M-Instruct (GGUF). Vision tower: the offline ImageNet
EfficientNet-Lite0 (7x7x1280 patch features per frame). Sources are Ken-Burns clips
of the real offline photos and the real offline videos, each named by its
EfficientNet-Lite0 top-1 ImageNet class (``benchmarks/s2l_split.py``). A seeded
split puts 40 % of the sources in the test set; training splices join clips of
training sources only, held-out splices clips of test sources only, so every
held-out frame comes from a source never seen in training and every held-out query
names a class never named in training. The answer is ``It shows <label>.`` closed
by ``<loc>``; the target clip's span is the ground truth.

One run trains every ``loc_hidden`` (own / emit / mean) with every seed from the
same initial weights, each for ``--minutes / (3 * seeds)`` of LoRA training, and
scores TVG F1 (first span, mean over IoU 0.1/0.3/0.5/0.7) with threshold and
critical-point decoding of the same generations, beside the trivial baselines.

    .venv/bin/python benchmarks/s2l_grounding.py --minutes 12 --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import s2l_split as split  # noqa: E402

LOC_HIDDEN = ('own', 'emit', 'mean')
DECODERS = {'threshold': dict(type='threshold', threshold=0.5, nms_iou=0.5),
            'critical_point': dict(type='critical_point', sigma=1.0)}


def extract_sources(fps: float) -> tuple[dict, dict]:
    """Patch features (N, 49, 1280) and ImageNet logits (N, 1000) of every source;
    cached under the mmcontrast cache."""
    from mmcontrast.assets import cache_dir, efficientnet_lite0, scene_image_paths, video_paths

    from mms2l.datasets import ResizeCenterCrop, decode_video, sample_times, video_duration
    cache = cache_dir() / 's2l_bench' / f'heldout_sources_fps{fps:g}.pt'
    if cache.is_file():
        data = torch.load(cache, weights_only=True)
        return data['feats'], data['logits']
    from PIL import Image
    net = efficientnet_lite0()
    clips = {}
    for i, path in enumerate(scene_image_paths(min_side=160)):
        with Image.open(path) as img:
            clips[f'photo:{path.stem}'] = split.ken_burns(np.asarray(img.convert('RGB')), seed=i)
    for name, path in video_paths().items():
        frames = decode_video(path, sample_times(video_duration(path), fps, 10_000))
        clips[f'video:{name}'] = ResizeCenterCrop(224)(dict(frames=frames))['frames'].float() / 255.0
    feats, logits = {}, {}
    with torch.no_grad():
        for key, pixels in clips.items():
            maps = torch.cat([net.extract_features((c - 0.5) / 0.5) for c in pixels.split(32)])
            feats[key] = maps.flatten(2).transpose(1, 2).contiguous()  # (N, 49, 1280)
            logits[key] = net._fc(maps.mean((2, 3)))  # (N, 1000), = net(x) in eval mode
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(feats=feats, logits=logits), cache)
    return feats, logits


def imagenet_names() -> list[str]:
    from torchvision.models import EfficientNet_B0_Weights
    return list(EfficientNet_B0_Weights.IMAGENET1K_V1.meta['categories'])


def build_model(lora_r: int):
    from mmcontrast.assets import smollm2_gguf

    from mms2l.registry import MODELS
    directory, gguf = smollm2_gguf()
    return MODELS.build(dict(
        type='S2LModel',
        llm=dict(pretrained=str(directory), gguf_file=gguf),
        tokenizer=dict(path=str(directory), gguf_file=gguf),
        vision_tower=dict(type='PrecomputedFeatures', out_channels=1280),
        compressor=dict(num_query_tokens=8,
                        qformer=dict(hidden_size=256, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=512, vocab_size=2,
                                     max_position_embeddings=8)),
        context_matching=dict(proj_dim=256),
        lora=dict(r=lora_r, alpha=2 * lora_r, dropout=0.05),
        trainable=[r'lora_', r'^compressor\.', r'^context_matching\.', r'^new_tokens\.'],
        max_frames=64, max_new_tokens=24))


def to_batch(model, samples: list[dict], with_answer: bool) -> dict:
    from mms2l.datasets import FormatS2LInputs, s2l_collate
    fmt = FormatS2LInputs(tokenizer=model.config['tokenizer'], with_answer=with_answer)
    keep = ('frames', 'query', 'summaries', 'segments', 'sec_per_frame', 'duration', 'idx')
    return model.data_preprocessor(
        s2l_collate([fmt({k: s[k] for k in keep}) for s in samples]), with_answer)


def evaluate(model, samples: list[dict]) -> dict:
    """TVG F1 for both decoders of the same generations, the natural <loc> rate, and
    the held-out LM / CM losses (teacher-forced)."""
    from mms2l.evaluation import tvg_f1
    model.eval()
    firsts = {k: [] for k in DECODERS}
    natural, texts, losses = 0, [], []
    with torch.no_grad():
        for sample in samples:
            out = model(**to_batch(model, [sample], with_answer=False), mode='predict')[0]
            natural += not out['forced_loc']
            texts.append(out['text'])
            curve = torch.as_tensor(out['locs'][0]['curve']) if out['locs'] else None
            for key, dec in DECODERS.items():
                segs = model.decode_curve(curve, out['sec_per_frame'], dec)['segments'] \
                    if curve is not None else np.zeros((0, 2))
                firsts[key].append(segs[0] if len(segs) else None)
            loss = model(**to_batch(model, [sample], with_answer=True), mode='loss')
            losses.append({k: float(v) for k, v in loss.items()})
    gts = [np.asarray(s['segments'][0]) for s in samples]
    result = {key: tvg_f1(firsts[key], gts) for key in DECODERS}
    result.update(loc_generated=natural / len(samples), example=texts[0],
                  heldout_loss={k: float(np.mean([e[k] for e in losses])) for k in losses[0]})
    return result


def train(model, make_batch, minutes: float, batch_size: int, lr_lora: float,
          lr_other: float, clock: str = 'wall') -> dict:
    """AdamW on fresh training splices until the time budget is spent (20-step warm-up,
    gradient norm clipped at 1). ``clock='cpu'`` counts this process's CPU time, so the
    budget does not shrink when other jobs share the machine."""
    now = time.process_time if clock == 'cpu' else time.time
    lora = [p for n, p in model.named_parameters() if p.requires_grad and 'lora_' in n]
    other = [p for n, p in model.named_parameters() if p.requires_grad and 'lora_' not in n]
    opt = torch.optim.AdamW([dict(params=lora, lr=lr_lora), dict(params=other, lr=lr_other)],
                            weight_decay=0.0)
    model.train()
    start, wall0, cpu0, step, log = now(), time.time(), time.process_time(), 0, []
    while now() - start < minutes * 60:
        batch = to_batch(model, [make_batch() for _ in range(batch_size)], True)
        for group, base in zip(opt.param_groups, (lr_lora, lr_other)):
            group['lr'] = base * min(1.0, (step + 1) / 20)
        losses = model(**batch, mode='loss')
        opt.zero_grad()
        sum(losses.values()).backward()
        torch.nn.utils.clip_grad_norm_(lora + other, 1.0)
        opt.step()
        step += 1
        log.append({k: float(v.detach()) for k, v in losses.items()})
    tail = log[-10:]
    return dict(steps=step, seconds=time.time() - wall0, cpu_seconds=time.process_time() - cpu0,
                final={k: float(np.mean([e[k] for e in tail])) for k in tail[-1]})


def baselines(samples: list[dict], feats, logits, train_names, labels, names,
              repeats: int = 20) -> dict:
    """TVG F1 of the trivial baselines on the held-out samples."""
    from mms2l.evaluation import tvg_f1
    gts = [np.asarray(s['segments'][0]) for s in samples]
    bank = torch.cat([feats[n].mean(1) for n in train_names])  # (M, 1280)
    owner = [n for n in train_names for _ in range(len(feats[n]))]
    def frame_logits(s):
        return torch.stack([logits[n][i] for n, i in s['frame_refs']])
    rng = random.Random(0)
    return {
        'nearest training frame': tvg_f1(
            [split.nearest_frame_baseline(s, bank, owner, labels) for s in samples], gts),
        'whole video': tvg_f1([split.whole_video_baseline(s) for s in samples], gts),
        f'random span (mean of {repeats})': float(np.mean([
            tvg_f1([split.random_span_baseline(s, rng) for s in samples], gts)
            for _ in range(repeats)])),
        'ImageNet class-name match': tvg_f1(
            [split.class_name_baseline(s, frame_logits(s), names) for s in samples], gts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--minutes', type=float, default=12.0,
                        help='total LoRA training budget, split evenly over loc_hidden x seeds')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--loc-hidden', nargs='+', default=list(LOC_HIDDEN), choices=LOC_HIDDEN)
    parser.add_argument('--fps', type=float, default=2.0)
    parser.add_argument('--split-seed', type=int, default=0)
    parser.add_argument('--test-fraction', type=float, default=0.4)
    parser.add_argument('--eval-samples', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--lora-r', type=int, default=16)
    parser.add_argument('--lr-lora', type=float, default=3e-4)
    parser.add_argument('--lr-other', type=float, default=1e-3)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                        help='what --minutes counts: wall time or this process\'s CPU time')
    parser.add_argument('--out', type=Path, default=None, help='write the results as JSON')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()

    print('EfficientNet-Lite0 features and labels of the real sources ...', flush=True)
    feats, logits = extract_sources(args.fps)
    names = imagenet_names()
    labels = split.unique_by_label({k: names[int(v.mean(0).argmax())] for k, v in logits.items()})
    train_names, test_names = split.split_sources(list(labels), args.test_fraction, args.split_seed)
    print(f'{len(labels)} sources with distinct labels: {len(train_names)} train, '
          f'{len(test_names)} test', flush=True)
    print('test sources: ' + ', '.join(f'{k}={labels[k]!r}' for k in test_names))
    eval_rng = random.Random(1234)
    held_out = [split.make_splice(feats, labels, test_names, eval_rng, args.fps)
                for _ in range(args.eval_samples)]
    base = baselines(held_out, feats, logits, train_names, labels, names)
    best_name = max(base, key=base.get)

    print('loading SmolLM2-135M (GGUF) and building S2L ...', flush=True)
    model = build_model(args.lora_r)
    init = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    per_run = args.minutes / (len(args.loc_hidden) * len(args.seeds))
    runs = []
    for loc_hidden in args.loc_hidden:
        for seed in args.seeds:
            with torch.no_grad():
                for n, p in model.named_parameters():
                    if n in init:
                        p.copy_(init[n])
            model.loc_hidden = loc_hidden
            torch.manual_seed(seed)
            rng = random.Random(seed)
            trained = train(model, lambda: split.make_splice(feats, labels, train_names, rng, args.fps),
                            per_run, args.batch_size, args.lr_lora, args.lr_other, args.clock)
            res = evaluate(model, held_out)
            runs.append(dict(loc_hidden=loc_hidden, seed=seed, train=trained, **res))
            print(f'  loc_hidden={loc_hidden} seed={seed}: {trained["steps"]} steps '
                  f'({trained["seconds"] / 60:.1f} wall / {trained["cpu_seconds"] / 60:.1f} CPU min, '
                  f'load {os.getloadavg()[0]:.1f}), '
                  f'threshold {res["threshold"]:.3f}, critical pt {res["critical_point"]:.3f}, '
                  f'<loc> {res["loc_generated"]:.0%}, train {trained["final"]}, '
                  f'held-out {res["heldout_loss"]}, e.g. {res["example"]!r}', flush=True)

    print(f'\nS2L grounding on {len(held_out)} held-out splices of {len(test_names)} unseen sources '
          f'({len(train_names)} training sources; SmolLM2-135M + EfficientNet-Lite0, {args.fps:g} fps); '
          f'{per_run:.2f} {args.clock} min LoRA training per loc_hidden x seed')
    print(f'{"baseline":<34}{"TVG F1":>8}')
    for key, val in base.items():
        print(f'{key:<34}{val:>8.3f}')
    print(f'\n{"S2L loc_hidden / decoder":<34}{"TVG F1 mean±std":>18}{"margin vs " + best_name:>42}'
          f'{"<loc> gen":>11}{"held-out LM / CM loss":>24}')
    table = {}
    for loc_hidden in args.loc_hidden:
        sel = [r for r in runs if r['loc_hidden'] == loc_hidden]
        for dec in DECODERS:
            f1 = np.array([r[dec] for r in sel])
            margin = f1 - base[best_name]
            loss = {k: np.mean([r['heldout_loss'][k] for r in sel]) for k in sel[0]['heldout_loss']}
            table[f'{loc_hidden}/{dec}'] = dict(f1_mean=f1.mean(), f1_std=f1.std(),
                                                margin_mean=margin.mean(), margin_std=margin.std())
            print(f'{loc_hidden + " / " + dec:<34}{f"{f1.mean():.3f} ± {f1.std():.3f}":>18}'
                  f'{f"{margin.mean():+.3f} ± {margin.std():.3f}":>42}'
                  f'{np.mean([r["loc_generated"] for r in sel]):>11.0%}'
                  f'{" / ".join(f"{v:.3f}" for v in loss.values()):>24}')
    print(f'total wall time {(time.time() - t0) / 60:.1f} min, CPU {time.process_time() / 60:.1f} min, '
          f'load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores')
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(dict(
            args={k: str(v) for k, v in vars(args).items()}, labels=labels, train=train_names,
            test=test_names, baselines=base, runs=runs, table=table), indent=2, default=float))


if __name__ == '__main__':
    main()
