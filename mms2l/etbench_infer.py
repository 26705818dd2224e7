"""``mms2l infer``: run a trained S2L model over ETBench and write the official prediction file.

    mms2l infer [--config CFG] --checkpoint DIR --annotations etbench_vid_v1.0.json \\
        --video-root ETBench/videos --out PRED.json [--prompt official|summary]
    torchrun --nproc_per_node 4 -m mms2l infer ...        # sharded over processes / GPUs

Resumable: every finished sample is appended (one JSON line, flushed and fsynced) to
``PRED.json.parts/rank{RANK}.jsonl`` before the next starts; a restarted run reads every
rank's file and skips what is there, so a killed run loses at most the sample in flight
and redoes none. A resume is keyed by what the answers depend on: the annotation file
(each part's sample must match) and the settings: the checkpoint's *content* (a digest
of the files in its folder, so a checkpoint retrained in place is noticed), the test
pipeline, the decoder and the prompt style. Parts written otherwise are refused, naming
what differs; ``--restart`` starts over instead (removing only the part files this tool
writes). An existing ``PRED.json`` without its parts folder is refused unless
``--overwrite``. Rank ``r`` of ``W`` takes the samples at
positions ``p % W == r``. When all are done rank 0 merges the parts into ``PRED.json``:
the annotation list, unchanged, with each sample's answer added as ``a`` (the parts
stay, holding the S2L details: generated text, segments and scores per ``<loc>``).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Iterable

import numpy as np

from mmcontrast.fileio import refuse_existing, write_json_atomic

from .durations import check_duration
from .etbench import (MCQ_PREFIX, MCQ_TASKS, PROMPT_STYLES, answer_text,
                      clean_text, load_annotations, model_query, sample_name, vid_times)
from .errors import S2LInputError
from .inference import (DECODERS, build_pipeline, prepare, run, special_tokens,
                        with_answer_prefix)

# ------------------------------------------------------------------ the parts
def parts_dir(out: Path) -> Path:
    """Where the per-rank result files of ``out`` live."""
    return out.with_name(out.name + '.parts')


def read_records(path: Path) -> list[dict]:
    """The records of one part file. A last line cut short by a kill is ignored; any
    other unreadable line is an error naming the file and line."""
    lines = path.read_bytes().split(b'\n')
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            if number == len(lines):  # no newline after it: the write was interrupted
                continue
            raise S2LInputError(f'{path}:{number}: unreadable result line ({err})') from err
    return records


def _differences(old: dict, new: dict) -> str:
    """``the prompt style (--prompt): 'summary' then, 'official' now; ...`` for each
    setting that differs between a part's record (``old``) and this run (``new``)."""
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return '; '.join(f'{SETTING_NAMES.get(k, k)}: {old.get(k)!r} then, {new.get(k)!r} now'
                     for k in keys)


#: how a mismatch message names each setting.
SETTING_NAMES = dict(checkpoint='the checkpoint (digest of its folder\'s content)',
                     pipeline='the test pipeline (--config)', decoder='the decoder (--decoder)',
                     prompt='the prompt style (--prompt)')


def finished(parts: Path, samples: list[dict], settings: dict) -> dict[int, dict]:
    """Position -> last successful record over every part file, checked against ``samples``
    and against the ``settings`` (checkpoint digest, pipeline, decoder, prompt) of this run."""
    done: dict[int, dict] = {}
    for path in sorted(parts.glob('rank*.jsonl')):
        for record in read_records(path):
            pos = record['pos']
            if not 0 <= pos < len(samples) or record['idx'] != samples[pos]['idx'] \
                    or record['video'] != samples[pos]['video']:
                raise S2LInputError(
                    f'{path}: a result for position {pos} (idx {record["idx"]}) does not match '
                    'the annotation file; these parts belong to another run: pass --restart '
                    'to start over, or choose another --out')
            if record.get('settings') != settings:
                changed = _differences(record.get('settings') or {}, settings)
                raise S2LInputError(
                    f'{path}: position {pos} was answered with other settings, so its answer '
                    f'would not be this run\'s: {changed}. Rerun with those settings to resume, '
                    'pass --restart to start over, or choose another --out')
            if 'error' not in record:
                done[pos] = record
    return done


class PartWriter:
    """Append-only JSON-lines file of one rank; every record is fsynced before returning."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():  # drop a last line cut short by a kill before appending after it
            data = path.read_bytes()
            if data and not data.endswith(b'\n'):
                with open(path, 'r+b') as f:
                    f.truncate(data.rfind(b'\n') + 1)
        self.file = open(path, 'a', encoding='utf-8')

    def append(self, record: dict) -> None:
        self.file.write(json.dumps(record) + '\n')
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


# ------------------------------------------------------------------ one sample
def _plain(result: dict) -> dict:
    """The JSON-friendly part of a model result."""
    return dict(text=result['text'], forced_loc=bool(result['forced_loc']),
                sec_per_frame=float(result['sec_per_frame']),
                locs=[dict(segments=np.asarray(loc['segments']).round(3).tolist(),
                           scores=np.asarray(loc['scores']).round(4).tolist())
                      for loc in result['locs']])


def infer_sample(model, pipeline, sample: dict, video_root: Path,
                 decoder: dict | None = None, prompt: str = 'official',
                 strict: bool = False) -> dict:
    """Answer one ETBench sample -> record ``{a, text, letter_text, locs, ...}``.
    ``prompt``: the style of the summary prompt (see :func:`model_query`); the option
    letter is always generated after the released ``q``. A ``duration`` that disagrees
    with the video's by more than a frame warns (``strict``: raises)."""
    missing = check_videos([sample], video_root)
    if missing:
        raise S2LInputError(missing[0])
    video = video_root / sample['video']
    check_duration(sample_name(sample), float(sample['duration']), video, strict)
    meta = dict(duration=float(sample['duration']), idx=sample['idx'], task=sample['task'])
    query, times = model_query(sample, prompt)
    packed = prepare(pipeline, video, query, vid_times=times, **meta)
    specials = special_tokens(model.tokenizer)
    result = run(model, packed, decoder) if sample['task'] not in ('rar', 'rvq') else None
    letter_text = None
    if sample['task'] in MCQ_TASKS:
        if query != sample['q']:
            packed = prepare(pipeline, video, sample['q'], vid_times=vid_times(sample), **meta)
        prefix = model.tokenizer(MCQ_PREFIX, add_special_tokens=False)['input_ids']
        letter_result = run(model, with_answer_prefix(packed, prefix), decoder)
        letter_text = clean_text(letter_result['text'], specials)
        result = result or letter_result
    answer = answer_text(sample, result, letter_text, specials)
    return dict(a=answer, letter_text=letter_text, **_plain(result))


# ------------------------------------------------------------------ the run
def dist_env() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment (0, 1, 0 without it)."""
    return (int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1)),
            int(os.environ.get('LOCAL_RANK', 0)))


def run_shard(model, pipeline, samples: list[dict], video_root: Path, out: Path,
              rank: int = 0, world_size: int = 1, decoder: dict | None = None,
              prompt: str = 'official', on_error: str = 'raise', progress: bool = True,
              checkpoint: str | None = None, pipeline_cfg: list | None = None,
              strict: bool = False) -> dict:
    """Answer this rank's unfinished samples, appending each to its part file.
    ``checkpoint``: the digest of the checkpoint's content (the resume key with the
    pipeline config, decoder and prompt). Returns counts ``{done_before, answered, failed}``."""
    from tqdm import tqdm
    parts = parts_dir(out)
    settings = json.loads(json.dumps(dict(checkpoint=checkpoint, pipeline=pipeline_cfg,
                                          decoder=decoder or model.decoder,
                                          prompt=prompt)))  # as the parts store them
    done = finished(parts, samples, settings) if parts.exists() else {}
    todo = [p for p in range(rank, len(samples), world_size) if p not in done]
    writer = PartWriter(parts / f'rank{rank}.jsonl')
    counts = dict(done_before=len(range(rank, len(samples), world_size)) - len(todo),
                  answered=0, failed=0)
    try:
        for pos in tqdm(todo, desc=f'ETBench rank {rank}', position=rank, disable=not progress,
                        dynamic_ncols=True):
            sample = samples[pos]
            record = dict(pos=pos, idx=sample['idx'], task=sample['task'], video=sample['video'],
                          settings=settings)
            try:
                record.update(infer_sample(model, pipeline, sample, video_root, decoder, prompt,
                                           strict))
                counts['answered'] += 1
            except Exception as err:  # noqa: BLE001  recorded, counted and reported
                if on_error == 'raise':
                    err.add_note(f'while answering {sample_name(sample, pos)}')
                    raise
                record.update(a='', error=f'{type(err).__name__}: {err}')
                counts['failed'] += 1
            writer.append(record)
    finally:
        writer.close()
    return counts


def merge(samples: list[dict], out: Path) -> dict:
    """Write ``out``: ``samples`` with each answer in ``a`` (atomic replace). Samples whose
    last attempt failed get ``a = ""`` (the official script counts them as failed parses).
    Returns ``{samples, failed: [(sample name, error), ...]}``."""
    answers: dict[int, dict] = {}
    for path in sorted(parts_dir(out).glob('rank*.jsonl')):
        for record in read_records(path):
            if 'error' not in record or record['pos'] not in answers:
                answers[record['pos']] = record
    missing = [samples[p]['idx'] for p in range(len(samples)) if p not in answers]
    if missing:
        raise S2LInputError(f'{len(missing)} samples have no result yet (idx {missing[:10]}); '
                           'rerun the same command to finish them')
    merged = []
    for pos, sample in enumerate(samples):
        merged.append(dict(copy.deepcopy(sample), a=answers[pos]['a']))
    write_json_atomic(out, merged, indent=1)
    failed = [(sample_name(samples[p], p), answers[p]['error']) for p in sorted(answers)
              if 'error' in answers[p]]
    return dict(samples=len(merged), failed=failed)


def check_videos(samples: Iterable[dict], video_root: Path) -> list[str]:
    """Messages naming each sample whose video file does not exist."""
    return [f'{sample_name(s)}: video not found: {video_root / s["video"]}'
            for s in samples if not (video_root / s['video']).is_file()]


# ------------------------------------------------------------------ command line
def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        'infer', help='answer ETBench samples with a trained S2L model (resumable, sharded)',
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=None,
                        help="config whose test pipeline preprocesses (default: the checkpoint's)")
    parser.add_argument('--checkpoint', required=True, help='directory written by save_pretrained')
    parser.add_argument('--annotations', required=True, help='etbench_vid_v1.0.json')
    parser.add_argument('--video-root', required=True, help='folder the samples\' "video" is in')
    parser.add_argument('--out', required=True, help='prediction file to write (PRED.json)')
    parser.add_argument('--decoder', choices=sorted(DECODERS), default=None,
                        help="timestamp decoder (default: the model's)")
    parser.add_argument('--prompt', choices=PROMPT_STYLES, default='official',
                        help='official: q as released; summary: q without its answer-format '
                             'instructions, asking for a summary instead (thesis 4.4)')
    parser.add_argument('--device', default=None,
                        help='default: cuda:LOCAL_RANK if available, else cpu')
    parser.add_argument('--on-error', choices=('raise', 'record'), default='raise',
                        help='raise: stop at a failing sample; record: write it with an empty '
                             'answer (a counted failed parse), report it, retry it on rerun')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--restart', action='store_true',
                        help='start over: remove the part files of an earlier run of this --out '
                             '(otherwise it is resumed, or refused when its settings differ)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out file that has no parts folder')
    parser.add_argument('--strict', action='store_true',
                        help="a sample whose duration disagrees with its video's by more than a "
                             'frame is an error (default: a warning naming both)')
    parser.set_defaults(func=main)


def _plain_cfg(steps) -> list | None:
    """A config's pipeline as plain JSON values (None: the checkpoint's own)."""
    if steps is None:
        return None
    return json.loads(json.dumps([dict(step) for step in steps], default=str))


def _test_pipeline(cfg) -> list[dict]:
    if cfg.get('test_pipeline') is not None:
        return cfg.test_pipeline
    return cfg.test_dataloader.dataset.pipeline


def remove_parts(out: Path) -> list[Path]:
    """Remove the part files (``rank*.jsonl``) this tool wrote for ``out``; nothing else."""
    removed = sorted(parts_dir(out).glob('rank*.jsonl'))
    for path in removed:
        path.unlink()
    return removed


def main(args: argparse.Namespace) -> int:
    """Run ``infer``; 0 on success. Unusable input raises :class:`S2LInputError` (exit
    code 2, the message names the file or sample)."""
    import torch
    from mmengine.config import Config
    from .models import S2LModel
    from .models.s2l import checkpoint_digest
    video_root, out = Path(args.video_root), Path(args.out)
    rank, world_size, local_rank = dist_env()
    # an existing PRED.json is this tool's only when its parts folder is there (a resume)
    refuse_existing(out, args.overwrite or parts_dir(out).is_dir())
    if out.is_dir():
        raise S2LInputError(f'--out {out}: is a folder; give the prediction file to write')
    samples = load_annotations(args.annotations)
    missing = check_videos(samples[rank::world_size], video_root)
    if missing and args.on_error == 'raise':
        raise S2LInputError(f'{len(missing)} videos are missing, e.g. ' + '; '.join(missing[:3]))
    if world_size > 1:
        torch.distributed.init_process_group('gloo', timeout=timedelta(days=7))
    if args.restart and rank == 0:
        for path in remove_parts(out):
            print(f'--restart: removed {path}')
    if world_size > 1:
        torch.distributed.barrier()
    device = args.device or (f'cuda:{local_rank}' if torch.cuda.is_available() else 'cpu')
    digest = checkpoint_digest(args.checkpoint)
    model = S2LModel.from_pretrained(args.checkpoint).to(device).eval()
    steps = _test_pipeline(Config.fromfile(args.config)) if args.config else None
    pipeline = build_pipeline(model, steps)
    decoder = dict(type=DECODERS[args.decoder]) if args.decoder else None
    counts = run_shard(model, pipeline, samples, video_root, out, rank, world_size, decoder,
                       args.prompt, args.on_error, progress=not args.no_progress,
                       checkpoint=digest, pipeline_cfg=_plain_cfg(steps), strict=args.strict)
    print(f'rank {rank}: {counts["answered"]} answered, {counts["failed"]} failed, '
          f'{counts["done_before"]} already done', flush=True)
    if world_size > 1:
        torch.distributed.barrier()
    if rank == 0:
        summary = merge(samples, out)
        print(f'wrote {summary["samples"]} samples to {out}')
        for name, error in summary['failed']:
            print(f'failed: {name}: {error}')
    if world_size > 1:
        torch.distributed.destroy_process_group()
    return 0
