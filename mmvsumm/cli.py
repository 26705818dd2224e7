"""Command line: ``mmvsumm summarize|extract|evaluate|splits`` (also ``python -m mmvsumm``)."""
from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial
from pathlib import Path
from typing import Sequence

from mmcontrast.argtypes import finite_float, positive_int
from mmcontrast.errors import exit_on_input_error

from .errors import VSummInputError, VSummWarning

__all__ = ['main', 'build_parser']


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all subcommands."""
    from .metrics.protocol import RANK_LEVELS, SHOT_SOURCES
    from .presets import REFINED_CHOICES, SCORE_CHOICES, VARIANTS
    from .evaluate import ON_BAD_VIDEO
    from .io.outputs import SUMMARY_CONTAINERS
    from .splits import DATASETS, SETTINGS
    parser = argparse.ArgumentParser(prog='mmvsumm', description=(
        'Training-free zero-shot video summarization (thesis chapter 3).'))
    sub = parser.add_subparsers(dest='command', required=True)

    summ = sub.add_parser('summarize', help='summarise a video file')
    summ.add_argument('video', type=Path)
    summ.add_argument('--backbone', default='efficientnet-lite0',
                      help='efficientnet-lite0 (offline default), a torchvision model name '
                           'such as googlenet or resnet50, or timm:<name> (both need --weights)')
    summ.add_argument('--weights', type=Path, help='local torchvision/timm state dict')
    summ.add_argument('--ratio', type=finite_float(0, 1, low_open=True), default=0.15,
                      help='summary length / video length, in (0, 1]')
    summ.add_argument('--every', type=positive_int, default=15, help='sample one frame every N')
    summ.add_argument('--fps', type=POSITIVE, help='sample at this rate (by the frames\' '
                      'timestamps) instead of --every')
    summ.add_argument('--scores', choices=sorted(SCORE_CHOICES), default='align+uniform')
    summ.add_argument('--neighbour-ratio', type=RATIO, default=0.1,
                      help='a in K = round(aT), in (0, 1]')
    summ.add_argument('--out', type=Path, default=Path('vsumm_out'),
                      help='a folder, or the summary video itself: its suffix picks the '
                           f'container ({", ".join(sorted(SUMMARY_CONTAINERS))})')
    summ.add_argument('--overwrite', action='store_true', help='replace existing outputs')
    _shot_options(summ)
    summ.add_argument('--cache-dir', type=Path, help='feature cache folder')
    summ.add_argument('--no-progress', action='store_true')
    summ.add_argument('--strict', action='store_true',
                      help='a video that decodes only partly is an error, not a warning')

    ext = sub.add_parser('extract', help='eccv16-layout h5 from a folder of videos')
    ext.add_argument('video_dir', type=Path)
    ext.add_argument('--out', required=True, type=Path, help='the h5 file to write')
    ext.add_argument('--backbone', default='efficientnet-lite0',
                     help='efficientnet-lite0 (offline default), a torchvision model name or '
                          'timm:<name> (both need --weights)')
    ext.add_argument('--weights', type=Path, help='local torchvision/timm state dict')
    ext.add_argument('--every', type=positive_int, default=15, help='sample one frame every N')
    ext.add_argument('--fps', type=POSITIVE, help='sample at this rate (by the frames\' '
                     'timestamps) instead of --every')
    ext.add_argument('--size', type=positive_int, default=224,
                     help='frames are resized to size x size')
    _shot_options(ext)
    ext.add_argument('--annotations', type=Path,
                     help='eccv16 h5 to copy user_summary/gtscore/gtsummary from')
    ext.add_argument('--strict', action='store_true',
                     help='a video that decodes only partly is an error, not a warning')
    ext.add_argument('--no-progress', action='store_true')

    ev = sub.add_parser('evaluate', help='evaluate on an eccv16 h5 file')
    ev.add_argument('--dataset', required=True, choices=sorted(DATASETS))
    ev.add_argument('--h5', required=True, type=Path)
    ev.add_argument('--anno', type=Path, help='ydata-tvsum50-anno.tsv[.gz] (TVSum; '
                    'default: the shared copy)')
    ev.add_argument('--setting', choices=SETTINGS, default='canonical')
    ev.add_argument('--splits', type=Path, help='DSNet yml or VASNet json split file '
                    '(default: the shipped splits of --setting)')
    ev.add_argument('--scores', choices=sorted(REFINED_CHOICES), default='align+uniform',
                    help='terms of eq. 3.12; +filter needs --refine')
    ev.add_argument('--variant', choices=VARIANTS, default='thesis')
    ev.add_argument('--neighbour-ratio', type=RATIO, default=0.1,
                    help='a in K = round(aT), in (0, 1]')
    ev.add_argument('--rank-level', choices=RANK_LEVELS,
                    help='default: frame (--variant thesis), step (--variant release)')
    ev.add_argument('--shots', choices=SHOT_SOURCES, default='h5')
    ev.add_argument('--shot-score', choices=('mean', 'sum'), default='mean')
    ev.add_argument('--knapsack-scale', type=POSITIVE,
                    help='integer knapsack values int(scale * score), DSNet uses 1000 '
                         '(default: float values; 1000 with --variant release)')
    ev.add_argument('--human', action='store_true', help='human leave-one-out baseline')
    ev.add_argument('--workers', type=positive_int, default=1, help='processes scoring videos')
    ev.add_argument('--on-bad-video', choices=ON_BAD_VIDEO, default='error',
                    help='a degenerate video (constant features or annotator, one step): '
                         'stop (error) or leave it out and list it in the report (skip)')
    ev.add_argument('--refine', action='store_true',
                    help='train the contrastive refinement on each split first')
    ev.add_argument('--train-h5', type=Path, nargs='*', default=[],
                    help='h5 files of the other datasets (augmented/transfer training)')
    ev.add_argument('--epochs', type=positive_int, default=40, help='refinement epochs')
    ev.add_argument('--preset', choices=('standard', 'yt8m', 'release'), default='standard',
                    help='refiner of table 3.1 (standard, yt8m) or the official release')
    ev.add_argument('--lambda1', type=finite_float(0), default=0.5,
                    help='weight of L_uniform, >= 0')
    ev.add_argument('--json', type=Path, help='also write the report as JSON here')
    ev.add_argument('--md', type=Path, help='also write the markdown report here')
    ev.add_argument('--overwrite', action='store_true', help='replace existing --json/--md')

    sp = sub.add_parser('splits', help='write the seeded split files')
    sp.add_argument('--out', type=Path, required=True)
    sp.add_argument('--seed', type=int, default=0)
    sp.add_argument('--overwrite', action='store_true', help='replace existing split files')
    return parser


POSITIVE = finite_float(0, low_open=True)
RATIO = finite_float(0, 1, low_open=True)


def _shot_options(parser: argparse.ArgumentParser) -> None:
    """The KTS options of summarize and extract (docs/vsumm.md, "Shots")."""
    parser.add_argument('--kts-vmax', type=POSITIVE, default=1.0,
                        help='KTS penalty weight (default 1, the field\'s; smaller keeps more '
                             'change points, e.g. 0.1 finds short shots sampled every 15)')
    parser.add_argument('--max-shot-seconds', type=POSITIVE,
                        help='cut shots longer than this into equal-duration pieces')


def _summarize(args: argparse.Namespace) -> int:
    from .pipeline import summarize_video
    out = summarize_video(args.video, args.out, args.backbone, args.weights, args.ratio,
                          args.every, args.fps, args.scores, args.neighbour_ratio,
                          args.cache_dir, progress=not args.no_progress, strict=args.strict,
                          overwrite=args.overwrite, kts_vmax=args.kts_vmax,
                          max_shot_seconds=args.max_shot_seconds)
    print(f'{len(out.chosen)} of {len(out.shots)} shots, {out.summary_frames} frames')
    for path in (out.keyshots_json, out.summary_video, out.score_plot):
        print(path)
    return 0


def _extract(args: argparse.Namespace) -> int:
    from .extract import extract_dataset
    report = extract_dataset(args.video_dir, args.out, args.backbone, args.weights, args.every,
                             args.fps, args.size, args.annotations, args.strict,
                             progress=not args.no_progress, kts_vmax=args.kts_vmax,
                             max_shot_seconds=args.max_shot_seconds)
    print(f'{report.out}: {len(report.keys)} videos ({len(report.extracted)} extracted, '
          f'{len(report.reused)} reused)')
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import run_evaluation
    from mmcontrast.fileio import refuse_existing, write_text_atomic

    from .metrics.protocol import Protocol
    from .presets import SCORE_CHOICES, protocol_options
    from .refine import REFINE_PRESETS, RefineConfig
    from .report import to_json, to_markdown
    for path in (args.md, args.json):  # before any work
        if path is not None:
            refuse_existing(path, args.overwrite, '--md' if path is args.md else '--json')
    chosen = dict(rank_level=args.rank_level, value_scale=args.knapsack_scale)
    protocol = Protocol(args.dataset, shot_reduce=args.shot_score, shots=args.shots,
                        **{**protocol_options(args.variant),
                           **{k: v for k, v in chosen.items() if v is not None}})
    refine = RefineConfig(epochs=args.epochs, lambda1=args.lambda1, ratio=args.neighbour_ratio,
                          **REFINE_PRESETS[args.preset]) if args.refine else None
    if args.scores not in SCORE_CHOICES and refine is None:
        raise VSummInputError(f'--scores {args.scores} uses the uniqueness filter: add --refine')
    report = run_evaluation(args.h5, args.dataset, args.setting, args.scores, args.variant,
                            args.neighbour_ratio, protocol, args.anno, args.splits, args.human,
                            args.workers, refine, args.train_h5, args.on_bad_video)
    markdown = to_markdown(report)
    print(markdown)
    for video in report.skipped:
        print(f'mmvsumm: skipped {video}', file=sys.stderr)
    if args.md:
        write_text_atomic(args.md, markdown)
    if args.json:
        write_text_atomic(args.json, to_json(report))
    return 0


def _splits(args: argparse.Namespace) -> int:
    from mmcontrast.fileio import refuse_existing

    from .splits import SETTINGS, make_splits, write_dsnet_yml
    paths = {(d, s): args.out / f'{d}_{s}.yml' for d in ('tvsum', 'summe') for s in SETTINGS}
    for path in paths.values():  # before any work
        refuse_existing(path, args.overwrite)
    args.out.mkdir(parents=True, exist_ok=True)
    for (dataset, setting), path in paths.items():
        write_dsnet_yml(make_splits(dataset, setting, seed=args.seed), path)
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; bad inputs print ``mmvsumm: error: ...`` and return 2."""
    return exit_on_input_error(_run, argv, 'mmvsumm')


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    handler = dict(summarize=_summarize, extract=_extract, evaluate=_evaluate,
                   splits=_splits)[args.command]
    with warnings.catch_warnings():  # restores the filters and showwarning afterwards
        warnings.simplefilter('always', VSummWarning)
        warnings.showwarning = partial(_show_warning, warnings.showwarning)
        return handler(args)


def _show_warning(show, message, category, *args, **kwargs) -> None:
    """Fallbacks (:class:`VSummWarning`) as ``mmvsumm: warning: <message>`` lines;
    other warnings as before."""
    if issubclass(category, VSummWarning):
        print(f'mmvsumm: warning: {message}', file=sys.stderr)
    else:
        show(message, category, *args, **kwargs)
