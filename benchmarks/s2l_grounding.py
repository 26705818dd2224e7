"""End-to-end S2L grounding benchmark with real parts, on CPU.

LLM: the offline SmolLM2-135M-Instruct (GGUF). Vision tower: the offline ImageNet
EfficientNet-Lite0 (7x7x1280 patch features per frame). Task: clips of different
real offline videos are spliced into one video; the query names one clip's
content, the answer is that clip's summary closed by ``<loc>``, and the clip's
span is the target. Each source video is cut into blocks of ``BLOCK`` sampled
frames; training clips come from the even blocks, held-out clips from the odd
ones, so no held-out frame is seen in training (neighbouring blocks may show the
same shot).

The model is LoRA-trained for a fixed time budget; TVG-style F1 (hit rate of the
first span, mean over IoU 0.1/0.3/0.5/0.7) on the held-out splices is reported
before and after training, for threshold and critical-point decoding.

    .venv/bin/python benchmarks/s2l_grounding.py --minutes 12
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch

SOURCES = {  # video -> (what the query names, the answer's summary)
    'bikes': ('a cyclist on a busy city street',
              'A cyclist rides past taxis and cars on a busy city street.'),
    'bigbuckbunny': ('a big cartoon rabbit on a grassy hill',
                     'A big grey cartoon rabbit stands on a green grassy hill.'),
    'carphone': ('a man in a bow tie talking in a car',
                 'A young man in a suit and bow tie talks while sitting in a car.'),
    'music': ('a band playing on a red-lit stage',
              'A band plays guitars and sings on a dark stage lit in red.'),
    'vtest': ('people walking across a plaza',
              'Several people walk across a wide paved plaza seen from above.'),
    'megamind': ('animated characters talking in a restaurant',
                 'Animated characters talk to each other at a dimly lit restaurant table.'),
}
BLOCK = 6  # sampled frames per block (3 s at 2 fps)


def extract_features(fps: float) -> dict[str, torch.Tensor]:
    """EfficientNet-Lite0 patch features (N, 49, 1280) of every source sampled at ``fps``
    (short side 224, centre crop 224); cached under the mmcontrast cache."""
    from mmcontrast.assets import cache_dir, video_paths

    from mms2l.datasets import ResizeCenterCrop, decode_video, sample_times, video_duration
    from mms2l.models import CNNVisionTower
    cache = cache_dir() / 's2l_bench' / f'effnet_lite0_fps{fps:g}.pt'
    if cache.is_file():
        return torch.load(cache, weights_only=True)
    paths = video_paths()
    missing = set(SOURCES) - set(paths)
    if missing:
        raise SystemExit(f'missing offline videos {sorted(missing)}: run tools/setup_env.sh')
    tower = CNNVisionTower(dict(type='efficientnet_lite0_backbone'), feature_method='extract_features')
    feats = {}
    for name in SOURCES:
        duration = video_duration(paths[name])
        frames = decode_video(paths[name], sample_times(duration, fps, 10_000))
        pixels = ResizeCenterCrop(224)(dict(frames=frames))['frames'].float() / 255.0
        with torch.no_grad():
            feats[name] = torch.cat([tower((chunk - 0.5) / 0.5) for chunk in pixels.split(32)])
        print(f'  {name}: {len(frames)} frames -> {tuple(feats[name].shape)}')
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(feats, cache)
    return feats


def blocks(num_frames: int, held_out: bool) -> list[tuple[int, int]]:
    """The (start, end) frame blocks of one split: even blocks train, odd blocks are held out."""
    edges = list(range(0, num_frames, BLOCK)) + [num_frames]
    spans = [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b - a >= 2]
    return spans[int(held_out)::2]


def make_splice(feats: dict[str, torch.Tensor], rng: random.Random, held_out: bool,
                fps: float, num_clips: int = 3, clip_frames: tuple[int, int] = (2, 6)) -> dict:
    """One spliced video: ``num_clips`` clips of different sources; one is the target."""
    names = rng.sample(list(SOURCES), num_clips)
    clips, spans, start = [], [], 0
    for name in names:
        lo, hi = rng.choice(blocks(len(feats[name]), held_out))
        length = min(rng.randint(*clip_frames), hi - lo)
        first = rng.randint(lo, hi - length)
        clips.append(feats[name][first:first + length])
        spans.append((start, start + length))
        start += length
    target = rng.randrange(num_clips)
    name = names[target]
    frames = torch.cat(clips)
    return dict(frames=frames, query=f'When does the video show {SOURCES[name][0]}?',
                summaries=[SOURCES[name][1]],
                segments=[[spans[target][0] / fps, spans[target][1] / fps]],
                sec_per_frame=1.0 / fps, duration=len(frames) / fps, idx=name)


def build_model(lora_r: int, loc_hidden: str):
    from mmcontrast.assets import smollm2_gguf

    from mms2l.registry import MODELS
    directory, gguf = smollm2_gguf()
    return MODELS.build(dict(
        type='S2LModel',
        llm=dict(pretrained=str(directory), gguf_file=gguf),
        tokenizer=dict(path=str(directory), gguf_file=gguf),
        vision_tower=dict(type='PrecomputedFeatures', out_channels=1280),
        compressor=dict(num_query_tokens=8, attn_dim=128,
                        qformer=dict(hidden_size=256, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=512, vocab_size=2,
                                     max_position_embeddings=8)),
        context_matching=dict(proj_dim=256),
        lora=dict(r=lora_r, alpha=2 * lora_r, dropout=0.05),
        trainable=[r'lora_', r'^compressor\.', r'^context_matching\.', r'^new_tokens\.'],
        loc_hidden=loc_hidden,
        max_frames=64, max_new_tokens=40))


def to_batch(model, samples: list[dict], with_answer: bool) -> dict:
    from mms2l.datasets import FormatS2LInputs, s2l_collate
    cfg = model.config['tokenizer']
    fmt = FormatS2LInputs(tokenizer=cfg, with_answer=with_answer)
    return model.data_preprocessor(s2l_collate([fmt(dict(s)) for s in samples]), with_answer)


def evaluate(model, samples: list[dict]) -> dict:
    """TVG F1 for threshold and critical-point decoding of the same generations."""
    from mms2l.evaluation import IOU_THRESHOLDS, tvg_f1
    model.eval()
    decoders = {'threshold': dict(type='threshold', threshold=0.5, nms_iou=0.5),
                'critical_point': dict(type='critical_point', sigma=1.0)}
    firsts = {k: [] for k in decoders}
    gts, natural, texts = [], 0, []
    start = time.time()
    for sample in samples:
        out = model(**to_batch(model, [sample], with_answer=False), mode='predict')[0]
        natural += not out['forced_loc']
        texts.append(out['text'])
        gts.append(np.asarray(sample['segments'][0]))
        curve = torch.as_tensor(out['locs'][0]['curve']) if out['locs'] else None
        for key, dec in decoders.items():
            segs = model.decode_curve(curve, out['sec_per_frame'], dec)['segments'] \
                if curve is not None else np.zeros((0, 2))
            firsts[key].append(segs[0] if len(segs) else None)
    result = {key: tvg_f1(firsts[key], gts) for key in decoders}
    result.update({f'{key}@{t}': tvg_f1(firsts[key], gts, (t,))
                   for key in decoders for t in IOU_THRESHOLDS})
    result.update(loc_generated=natural / len(samples), seconds=time.time() - start,
                  example=texts[0])
    return result


def train(model, feats, fps: float, minutes: float, batch_size: int, seed: int,
          lr_lora: float, lr_other: float) -> dict:
    """AdamW on fresh training splices until the time budget is spent (20-step warm-up,
    gradient norm clipped at 1)."""
    rng = random.Random(seed)
    lora = [p for n, p in model.named_parameters() if p.requires_grad and 'lora_' in n]
    other = [p for n, p in model.named_parameters() if p.requires_grad and 'lora_' not in n]
    opt = torch.optim.AdamW([dict(params=lora, lr=lr_lora), dict(params=other, lr=lr_other)],
                            weight_decay=0.0)
    model.train()
    start, step, log = time.time(), 0, []
    while time.time() - start < minutes * 60:
        batch = to_batch(model, [make_splice(feats, rng, False, fps) for _ in range(batch_size)], True)
        warm = min(1.0, (step + 1) / 20)
        for group, base in zip(opt.param_groups, (lr_lora, lr_other)):
            group['lr'] = base * warm
        losses = model(**batch, mode='loss')
        opt.zero_grad()
        sum(losses.values()).backward()
        torch.nn.utils.clip_grad_norm_(lora + other, 1.0)
        opt.step()
        step += 1
        log.append({k: float(v.detach()) for k, v in losses.items()})
        if step % 25 == 0:
            recent = {k: np.mean([e[k] for e in log[-25:]]) for k in log[-1]}
            print(f'  step {step:4d}  {time.time() - start:6.0f}s  ' +
                  '  '.join(f'{k} {v:.3f}' for k, v in recent.items()), flush=True)
    return dict(steps=step, seconds=time.time() - start,
                final={k: float(np.mean([e[k] for e in log[-25:]])) for k in log[-1]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--minutes', type=float, default=12.0, help='training time budget')
    parser.add_argument('--fps', type=float, default=2.0)
    parser.add_argument('--eval-samples', type=int, default=40)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--lora-r', type=int, default=16)
    parser.add_argument('--loc-hidden', default='mean', choices=['own', 'emit', 'mean'],
                        help="state representing <loc> (S2LModel's loc_hidden)")
    parser.add_argument('--lr-lora', type=float, default=3e-4)
    parser.add_argument('--lr-other', type=float, default=1e-3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads; 1 is several times faster than 2 on a shared '
                        '2-core machine, where spinning OpenMP threads contend')
    parser.add_argument('--out', type=Path, default=None, help='write the results as JSON')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.time()
    print('extracting EfficientNet-Lite0 features of the real videos ...')
    feats = extract_features(args.fps)
    eval_rng = random.Random(1234)
    held_out = [make_splice(feats, eval_rng, True, args.fps) for _ in range(args.eval_samples)]
    print('loading SmolLM2-135M (GGUF) and building S2L ...')
    model = build_model(args.lora_r, args.loc_hidden)
    print('evaluating before training ...')
    before = evaluate(model, held_out)
    print(f'training (LoRA r={args.lora_r}) for {args.minutes:g} min on CPU ...')
    trained = train(model, feats, args.fps, args.minutes, args.batch_size, args.seed,
                    args.lr_lora, args.lr_other)
    print('evaluating after training ...')
    after = evaluate(model, held_out)

    print(f'\nS2L grounding on {len(held_out)} held-out splices of {len(SOURCES)} real videos '
          f'(SmolLM2-135M + EfficientNet-Lite0, {args.fps:g} fps, loc_hidden={args.loc_hidden!r})')
    print(f'training: {trained["steps"]} steps x {args.batch_size} splices in '
          f'{trained["seconds"] / 60:.1f} min; final losses ' +
          ', '.join(f'{k} {v:.3f}' for k, v in trained['final'].items()))
    print(f'{"TVG F1":<16}{"threshold":>12}{"critical pt":>14}{"<loc> generated":>18}')
    for name, res in (('before training', before), ('after training', after)):
        print(f'{name:<16}{res["threshold"]:>12.3f}{res["critical_point"]:>14.3f}'
              f'{res["loc_generated"]:>18.0%}')
    print('per IoU (after, threshold): ' +
          '  '.join(f'{t}: {after[f"threshold@{t}"]:.3f}' for t in (0.1, 0.3, 0.5, 0.7)))
    print(f'example answer after training: {after["example"]!r}')
    print(f'total wall time {(time.time() - t0) / 60:.1f} min')
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(dict(args={k: str(v) for k, v in vars(args).items()},
                                            before=before, after=after, train=trained), indent=2))


if __name__ == '__main__':
    main()
