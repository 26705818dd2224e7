"""S2L grounding benchmark on held-out sources, with real parts, on CPU.

LLM: the offline SmolLM2-135M-Instruct (GGUF). Vision tower: the offline ImageNet
EfficientNet-Lite0 (7x7x1280 patch features per frame). Sources are Ken-Burns clips
of the real offline photos and the real offline videos, each named by its
EfficientNet-Lite0 top-1 ImageNet class (``benchmarks/s2l_split.py``). A sample
splices clips of three sources with different names; the query names one of them;
the answer is ``It shows <label>.`` closed by ``<loc>``; the target clip's span is the
ground truth.

Two splits, both with no test source (photo / video) in any training stage:
* ``seen``: test sources whose name is also the name of a training source, seen in
  the grounding data (case ``grounding``) or only in the alignment captions (case
  ``alignment``); reported per case.
* ``zero-shot``: names unique to one source, test names never seen in training.

Training (per split): stage A aligns the compressor with the frozen LLM on captions
of training clips written from the tower's own top-3 ImageNet classes (once, shared
by the seeds), stage B trains S2L (LoRA + ``<loc>`` + context matching) from stage A
for ``--minutes`` per seed. Beside S2L, on the same held-out splices: whole video,
random span, nearest training frame, the tower's class-name match and a text-free
linear matcher (ridge map from pooled frame features to the LLM's embedding of the
query's name, fitted on the grounding training sources). ``--probe-only`` runs the
baselines and the linear matcher alone (seconds). TVG F1 on decoded spans and the
official ETBench TVG score on the answer text, mean +- std over seeds.

    .venv/bin/python benchmarks/s2l_grounding.py --probe-only --out /tmp/probe.json
    .venv/bin/python benchmarks/s2l_grounding.py --minutes 2 --align-minutes 1 --clock cpu \
        --seeds 0 1 2 --split seen --out /tmp/s2l_seen.json
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
CAPTION_PROMPT = 'What is shown in the video?'


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


STAGE_B_TRAINABLE = [r'lora_', r'^compressor\.', r'^context_matching\.', r'^new_tokens\.']
STAGE_A_TRAINABLE = [r'^compressor\.']


def build_model(args: argparse.Namespace):
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
        lora=dict(r=args.lora_r, alpha=2 * args.lora_r, dropout=0.05),
        trainable=STAGE_B_TRAINABLE, center_frames=args.center_frames,
        frame_token_scale=args.frame_token_scale,
        max_frames=64, max_new_tokens=24))


def query_embeddings(model, names: list[str]) -> dict[str, torch.Tensor]:
    """The frozen LLM's mean input embedding (C,) of each name's tokens."""
    from mms2l.models.language_model import base_llm
    table = base_llm(model.llm).get_input_embeddings().weight.detach().float()
    return {n: table[model.tokenizer(' ' + n, add_special_tokens=False)['input_ids']].mean(0)
            for n in names}


def to_batch(model, samples: list[dict], with_answer: bool, caption: bool = False) -> dict:
    from mms2l.datasets import FormatS2LInputs, s2l_collate
    fmt = FormatS2LInputs(tokenizer=model.config['tokenizer'], with_answer=with_answer,
                          caption_prompt=CAPTION_PROMPT if caption else None)
    keep = ('frames', 'query', 'summaries', 'segments', 'sec_per_frame', 'duration', 'idx')
    return model.data_preprocessor(
        s2l_collate([fmt({k: s[k] for k in keep if k in s}) for s in samples]), with_answer)


def scores(firsts: list, samples: list[dict]) -> dict:
    """TVG F1 on the first spans (None = miss) and the official ETBench TVG F1 of the
    answer text ``s - e seconds.`` built from them (one decimal, as ``mms2l infer``)."""
    from mms2l.etbench import span_text
    from mms2l.evaluation import score_group, tvg_f1
    gts = [np.asarray(s['segments'][0]) for s in samples]
    answers = [dict(a='' if f is None else span_text(f), tgt=list(map(float, g)), task='tvg',
                    source='bench', idx=i, video=str(i)) for i, (f, g) in enumerate(zip(firsts, gts))]
    official = score_group('tvg', answers, sim=None)['F1']
    return dict(f1=tvg_f1(firsts, gts), official=float(official))


def evaluate(model, samples: list[dict]) -> dict:
    """Scores of both decoders of the same generations, the natural <loc> rate and the
    held-out LM / CM losses (teacher-forced)."""
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
    result = {key: scores(firsts[key], samples) for key in DECODERS}
    result.update(loc_generated=natural / len(samples), example=texts[0],
                  heldout_loss={k: float(np.mean([e[k] for e in losses])) for k in losses[0]})
    return result


def train(model, make_batch, minutes: float, batch_size: int, lrs: dict[str, float],
          clock: str = 'wall', caption: bool = False) -> dict:
    """AdamW on fresh samples until the time budget is spent (20-step warm-up, gradient
    norm clipped at 1); ``lrs`` maps a name substring (first match) to its learning rate,
    ``''`` for the rest. ``clock='cpu'`` counts this process's CPU time."""
    now = time.process_time if clock == 'cpu' else time.time
    groups: dict[str, list] = {k: [] for k in lrs}
    for n, p in model.named_parameters():
        if p.requires_grad:
            groups[next(k for k in lrs if k in n)].append(p)
    params = [p for g in groups.values() for p in g]
    opt = torch.optim.AdamW([dict(params=g, lr=lrs[k]) for k, g in groups.items() if g],
                            weight_decay=0.0)
    bases = [lrs[k] for k, g in groups.items() if g]
    model.train()
    start, wall0, cpu0, step, log = now(), time.time(), time.process_time(), 0, []
    while now() - start < minutes * 60:
        batch = to_batch(model, [make_batch() for _ in range(batch_size)], True, caption)
        for group, base in zip(opt.param_groups, bases):
            group['lr'] = base * min(1.0, (step + 1) / 20)
        losses = model(**batch, mode='loss')
        opt.zero_grad()
        sum(losses.values()).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        log.append({k: float(v.detach()) for k, v in losses.items()})
    tail = log[-10:]
    return dict(steps=step, seconds=time.time() - wall0, cpu_seconds=time.process_time() - cpu0,
                final={k: float(np.mean([e[k] for e in tail])) for k in tail[-1]} if tail else {})


def baselines(samples: list[dict], feats, logits, data: dict, labels, names,
              ridge: tuple, embeds: dict, repeats: int = 20) -> dict:
    """Scores of the baselines on the held-out samples. ``data``: the split (``align`` =
    every training source, ``ground`` = the grounding ones)."""
    from mms2l.decoding import threshold_decode
    bank = torch.cat([feats[n].mean(1) for n in data['align']])  # (M, 1280)
    owner = [n for n in data['align'] for _ in range(len(feats[n]))]

    def frame_logits(s):
        return torch.stack([logits[n][i] for n, i in s['frame_refs']])

    def first_threshold(curve):
        frames, _ = threshold_decode(curve, **{k: v for k, v in DECODERS['threshold'].items()
                                               if k != 'type'})
        return tuple(frames[0]) if len(frames) else None

    def query_name(s):
        return labels[s['idx']]
    rng = random.Random(0)
    randoms = [scores([split.random_span_baseline(s, rng) for s in samples], samples)
               for _ in range(repeats)]
    return {
        'whole video': scores([split.whole_video_baseline(s) for s in samples], samples),
        f'random span (mean of {repeats})': {k: float(np.mean([r[k] for r in randoms]))
                                             for k in randoms[0]},
        'nearest training frame': scores(
            [split.nearest_frame_baseline(s, bank, owner, labels) for s in samples], samples),
        'text-free linear matcher (ridge)': scores(
            [split.linear_matcher_baseline(s, *ridge, embeds[query_name(s)], first_threshold)
             for s in samples], samples),
        'ImageNet class-name match (1000-way head)': scores(
            [split.class_name_baseline(s, frame_logits(s), names) for s in samples], samples),
    }


def splits(feats, logits, names, args) -> dict[str, dict]:
    """The seen-concept and zero-shot splits with their held-out splices per case."""
    all_labels = {k: names[int(v.mean(0).argmax())] for k, v in logits.items()}
    out = {}
    if 'seen' in args.split:
        data = split.split_seen_concepts(all_labels, args.split_seed)
        rng = random.Random(1234)
        cases = {}
        for case in ('grounding', 'alignment'):
            targets = [k for k in data['test'] if data['case'][k] == case]
            cases[case] = [split.make_splice(feats, all_labels, data['test'], rng, args.fps,
                                             num_clips=args.num_clips,
                                             target=targets[i % len(targets)])
                           for i in range(args.eval_samples)] if targets else []
        out['seen'] = dict(data=data, labels=all_labels, cases=cases)
    if 'zero-shot' in args.split:
        labels = split.unique_by_label(all_labels)
        train_names, test_names = split.split_sources(list(labels), args.test_fraction,
                                                      args.split_seed)
        rng = random.Random(1234)
        held = [split.make_splice(feats, labels, test_names, rng, args.fps, num_clips=args.num_clips)
                for _ in range(args.eval_samples)]
        out['zero-shot'] = dict(data=dict(ground=train_names, align=train_names, test=test_names,
                                          case={k: 'zero-shot' for k in test_names}),
                                labels=labels, cases={'zero-shot': held})
    return out


def fit_ridge(feats, labels, sources: list[str], embeds: dict, lam: float) -> tuple:
    x = torch.cat([feats[n].mean(1) for n in sources])
    y = torch.cat([embeds[labels[n]].expand(len(feats[n]), -1) for n in sources])
    return split.ridge_fit(x, y, lam)


def run_s2l(model, init, part: dict, feats, logits, names, args) -> list[dict]:
    """Stage A once, then stage B per seed from stage A's weights; scores per case."""
    data, labels = part['data'], part['labels']
    lrs = {'lora_': args.lr_lora, 'compressor.': args.lr_compressor, '': args.lr_other}
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in init:
                p.copy_(init[n])
    stage_a = None
    if args.align_minutes > 0:
        model._set_trainable(STAGE_A_TRAINABLE)
        torch.manual_seed(0)
        rng = random.Random(0)

        def caption_clip():
            name = rng.choice(data['align'])
            length = min(rng.randint(2, 6), len(feats[name]))
            first = rng.randint(0, len(feats[name]) - length)
            clip = slice(first, first + length)
            return dict(frames=feats[name][clip], query='', summaries=[split.caption_text(
                logits[name][clip], names)], sec_per_frame=1 / args.fps,
                duration=length / args.fps, idx=name)
        stage_a = train(model, caption_clip, args.align_minutes, args.batch_size, lrs,
                        args.clock, caption=True)
        model._set_trainable(STAGE_B_TRAINABLE)
        print(f'  stage A: {stage_a["steps"]} steps, {stage_a["cpu_seconds"] / 60:.1f} CPU min, '
              f'caption loss {stage_a["final"]}', flush=True)
    start = {n: p.detach().clone() for n, p in model.named_parameters() if n in init}
    runs = []
    for loc_hidden in args.loc_hidden:
        for seed in args.seeds:
            with torch.no_grad():
                for n, p in model.named_parameters():
                    if n in start:
                        p.copy_(start[n])
            model.loc_hidden = loc_hidden
            torch.manual_seed(seed)
            rng = random.Random(seed)
            trained = train(model, lambda: split.make_splice(feats, labels, data['ground'], rng,
                                                             args.fps, num_clips=args.num_clips),
                            args.minutes, args.batch_size, lrs, args.clock)
            res = {case: evaluate(model, held) for case, held in part['cases'].items() if held}
            runs.append(dict(loc_hidden=loc_hidden, seed=seed, stage_a=stage_a, train=trained,
                             cases=res))
            print(f'  loc_hidden={loc_hidden} seed={seed}: {trained["steps"]} steps '
                  f'({trained["seconds"] / 60:.1f} wall / {trained["cpu_seconds"] / 60:.1f} CPU min, '
                  f'load {os.getloadavg()[0]:.1f}), train {trained["final"]}; '
                  + '; '.join(f'{c}: thr {r["threshold"]["f1"]:.3f} cp {r["critical_point"]["f1"]:.3f}'
                              f' <loc> {r["loc_generated"]:.0%} held-out {r["heldout_loss"]}'
                              for c, r in res.items()), flush=True)
    return runs


def summary(runs: list[dict], base: dict) -> dict:
    """Per loc_hidden / decoder / case: mean +- std over seeds and margins over every
    baseline."""
    table = {}
    for loc_hidden in sorted({r['loc_hidden'] for r in runs}):
        sel = [r for r in runs if r['loc_hidden'] == loc_hidden]
        for case in sel[0]['cases']:
            for dec in DECODERS:
                row = {}
                for metric in ('f1', 'official'):
                    v = np.array([r['cases'][case][dec][metric] for r in sel])
                    row[metric] = dict(mean=float(v.mean()), std=float(v.std()))
                    row[f'{metric}_margin'] = {b: float(v.mean() - s[metric])
                                               for b, s in base[case].items()}
                table[f'{loc_hidden}/{dec}/{case}'] = row
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--split', nargs='+', default=['seen', 'zero-shot'],
                        choices=['seen', 'zero-shot'])
    parser.add_argument('--probe-only', action='store_true',
                        help='baselines and the linear matcher only, no S2L training')
    parser.add_argument('--minutes', type=float, default=2.0,
                        help='stage-B (S2L) training time per loc_hidden x seed')
    parser.add_argument('--align-minutes', type=float, default=1.0,
                        help='stage-A (alignment) training time, once per split; 0 skips it')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--loc-hidden', nargs='+', default=['emit'], choices=LOC_HIDDEN)
    parser.add_argument('--fps', type=float, default=2.0)
    parser.add_argument('--split-seed', type=int, default=0)
    parser.add_argument('--test-fraction', type=float, default=0.4,
                        help='test share of the zero-shot split')
    parser.add_argument('--num-clips', type=int, default=3, help='clips per spliced video')
    parser.add_argument('--eval-samples', type=int, default=14, help='held-out splices per case')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--lora-r', type=int, default=16)
    parser.add_argument('--lr-lora', type=float, default=3e-4)
    parser.add_argument('--lr-compressor', type=float, default=1e-3)
    parser.add_argument('--lr-other', type=float, default=1e-3)
    parser.add_argument('--ridge-lambda', type=float, default=100.0)
    parser.add_argument('--center-frames', action='store_true',
                        help='S2LModel(center_frames=True): centre frame states before F_vis')
    parser.add_argument('--frame-token-scale', type=float, default=None,
                        help='S2LModel(frame_token_scale=...): frame-token norm / text-embedding norm')
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
    parts = splits(feats, logits, names, args)
    print('loading SmolLM2-135M (GGUF) and building S2L ...', flush=True)
    model = build_model(args)
    init = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    results = {}
    for key, part in parts.items():
        data, labels = part['data'], part['labels']
        print(f'\n[{key}] {len(data["ground"])} grounding / {len(data["align"])} training sources, '
              f'{len(data["test"])} test sources: '
              + ', '.join(f'{labels[k]!r} ({data["case"][k]})' for k in data['test']), flush=True)
        embeds = query_embeddings(model, sorted(set(labels.values())))
        ridge = fit_ridge(feats, labels, data['ground'], embeds, args.ridge_lambda)
        base = {case: baselines(held, feats, logits, data, labels, names, ridge, embeds)
                for case, held in part['cases'].items() if held}
        for case, rows in base.items():
            print(f'  {case} ({len(part["cases"][case])} splices): ' + ', '.join(
                f'{b} {v["f1"]:.3f}/{v["official"]:.3f}' for b, v in rows.items()), flush=True)
        runs = [] if args.probe_only else run_s2l(model, init, part, feats, logits, names, args)
        results[key] = dict(data=data, labels={k: labels[k] for k in data['align'] + data['test']},
                            baselines=base, runs=runs, table=summary(runs, base) if runs else {})
        for row, vals in results[key]['table'].items():
            print(f'  S2L {row}: F1 {vals["f1"]["mean"]:.3f} ± {vals["f1"]["std"]:.3f}, official '
                  f'{vals["official"]["mean"]:.3f} ± {vals["official"]["std"]:.3f}; margins '
                  + ', '.join(f'{b} {m:+.3f}' for b, m in vals['f1_margin'].items()), flush=True)
    cpu = time.process_time() / 60
    print(f'total wall time {(time.time() - t0) / 60:.1f} min, CPU {cpu:.1f} min, '
          f'load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores')
    if args.out is not None:
        from mmcontrast.fileio import write_json_atomic
        write_json_atomic(args.out, dict(args={k: str(v) for k, v in vars(args).items()},
                                         cpu_minutes=cpu, results=results))


if __name__ == '__main__':
    main()
