"""``mms2l evaluate PREDICTIONS.json [--out RESULT.json] [--subset SUBSET.json]``:
ETBench scores of answered samples, as the official ``compute_metrics.py``."""
from __future__ import annotations

import argparse
from pathlib import Path

from mmcontrast.fileio import refuse_existing, write_json_atomic

from .errors import S2LInputError

__all__ = ['add_parser', 'run']


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``evaluate``."""
    parser = subparsers.add_parser(
        'evaluate', help='score ETBench answers (all 12 tasks, thesis table 4.1)',
        description='Score answered ETBench samples (the annotation schema with the '
                    "model's answer in 'a') exactly as the official compute_metrics.py; "
                    'print per-source, per-task and per-group tables.')
    parser.add_argument('predictions', nargs='+', type=Path,
                        help='JSON/JSONL files of answered samples, or folders of them')
    parser.add_argument('--out', type=Path, default=None,
                        help='write {TASK: {METRIC: percent}} here (JSON); an existing file '
                             'is refused unless --overwrite')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    parser.add_argument('--subset', type=Path, default=None, metavar='SUBSET.json',
                        help="only the samples of the official subset file (ETBench's "
                             'evaluation/subset.json: 470 samples)')
    parser.add_argument('--letter-rule', choices=('fallthrough', 'final'), default='fallthrough',
                        help='RAR/ECA/RVQ: a wrong option letter falls through to the later '
                             "readers (official, default) or is final (a public variant)")
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random captions paired with unmatched DVC/SLC answers')
    parser.add_argument('--sentence-model', type=Path, default=None,
                        help='local all-MiniLM-L6-v2 directory (default: the offline copy)')
    parser.add_argument('--device', default='cpu', help='device of the sentence model')
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Evaluate; 0 on success. Unusable input raises :class:`S2LInputError` (exit code 2,
    the message names the file and sample); ``--out`` is checked before any work."""
    from mms2l.evaluation.etbench_data import apply_subset, load_predictions, load_subset
    from mms2l.evaluation.etbench_report import evaluate_etbench
    from mms2l.evaluation.etbench_similarity import SentenceSimilarity
    if args.out is not None:
        refuse_existing(args.out, args.overwrite)
    samples = load_predictions(args.predictions)
    print(f'{len(samples)} samples loaded')
    if args.subset is not None:
        samples = apply_subset(samples, load_subset(args.subset))
        print(f'evaluating on a subset with {len(samples)} samples')
        if not samples:
            raise S2LInputError(f'no sample is in the subset {args.subset}')
    sim = SentenceSimilarity(args.sentence_model, device=args.device)
    report = evaluate_etbench(samples, sim, letter_rule=args.letter_rule, seed=args.seed)
    print(report.format())
    if args.out is not None:
        write_json_atomic(args.out, report.results())
        print(f'results written to {args.out}')
    return 0
