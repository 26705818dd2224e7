"""``mms2l ask``: summarise and localise one query in one video with a trained S2L model.

    mms2l ask VIDEO "when does the man laugh?" --checkpoint DIR \\
        [--decoder threshold|critical_point|head] [--out DIR]

Prints the summary written for each ``<loc>`` and its decoded segments, and writes to
``--out`` (default ``./s2l_ask/<video name>``) one PNG per ``<loc>`` (its similarity
curve over time with the decoded segments shaded, as thesis fig. 4.5) and
``result.json``. The frames are preprocessed as the model expects (its frame size),
whatever the video's resolution.
"""
from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Sequence

import numpy as np

from mmcontrast.fileio import atomic_path, refuse_existing, write_json_atomic

from .decoding import threshold_decode
from .errors import S2LInputError
from .etbench import clean_text, span_text, split_summaries
from .inference import DECODERS, localize, special_tokens


def threshold_levels(decoder: dict) -> list[float]:
    """The thresholds (on the min-max scaled curve) of a ``threshold`` decoder, else []."""
    if decoder['type'] != 'threshold':
        return []
    default = inspect.signature(threshold_decode).parameters['threshold'].default
    levels = decoder.get('threshold', default)
    return [float(levels)] if np.isscalar(levels) else [float(t) for t in levels]


def plot_loc(curve: np.ndarray, segments: np.ndarray, sec_per_frame: float, title: str,
             path: Path, thresholds: Sequence[float] = ()) -> Path:
    """Save the similarity curve (T,) against time with ``segments`` (N, 2, seconds) shaded
    and each threshold (a fraction of the curve's min-max range) drawn as a dashed line."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    times = (np.arange(len(curve)) + 0.5) * sec_per_frame
    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    try:
        for n, (start, end) in enumerate(segments):
            ax.axvspan(start, end, color='tab:orange', alpha=0.3,
                       label='decoded segment' if n == 0 else None)
        ax.plot(times, curve, marker='o', markersize=3, color='tab:blue',
                label='cosine similarity')
        low, high = float(np.min(curve)), float(np.max(curve))
        for t in thresholds:
            ax.axhline(low + t * (high - low), color='tab:gray', linestyle='--', linewidth=1,
                       label=f'threshold {t:g} (min-max scaled)')
        ax.ticklabel_format(axis='y', useOffset=False)
        ax.set_xlim(0, len(curve) * sec_per_frame)
        ax.set_xlabel('time (s)')
        ax.set_ylabel('S(<loc>, frame)')
        ax.set_title(title if len(title) <= 90 else title[:87] + '...', fontsize=9)
        ax.legend(loc='upper right', fontsize=8)
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format='png')
    finally:
        plt.close(fig)
    return path


def ask(model, video: str | Path, query: str, out_dir: Path,
        decoder: dict | None = None) -> dict:
    """Run the model, write the plots and ``result.json`` under ``out_dir``; returns the
    JSON-ready result (``answer``, per ``<loc>`` ``summary``, ``segments`` (seconds),
    ``scores``, ``curve`` and ``png``, the plot's file name inside ``out_dir``). A blank
    ``query`` is refused."""
    check_query(query)
    result = localize(model, video, query, decoder=decoder)
    decoder = dict(decoder or model.decoder)
    specials = special_tokens(model.tokenizer)
    summaries = split_summaries(result['text'], specials)
    out_dir.mkdir(parents=True, exist_ok=True)
    spf = float(result['sec_per_frame'])
    locs = []
    for m, (summary, loc) in enumerate(zip(summaries, result['locs'])):
        png = plot_loc(np.asarray(loc['curve']), np.asarray(loc['segments']), spf,
                       f'<loc> {m}: {summary or "(empty summary)"}', out_dir / f'loc{m}.png',
                       threshold_levels(decoder))
        locs.append(dict(summary=summary, segments=np.asarray(loc['segments']).tolist(),
                         scores=np.asarray(loc['scores']).tolist(),
                         curve=np.asarray(loc['curve']).tolist(), png=png.name))
    record = dict(video=str(video), query=query, decoder=decoder,
                  answer=clean_text(result['text'], specials),
                  forced_loc=bool(result['forced_loc']),
                  sec_per_frame=spf, num_frames=len(result['locs'][0]['curve']) if locs else None,
                  locs=locs)
    write_json_atomic(out_dir / 'result.json', record, indent=1)
    return record


def check_query(query: str) -> str:
    """Raise :class:`S2LInputError` for an empty or blank query."""
    if not query.strip():
        raise S2LInputError(f'the query is empty ({query!r}); ask something about the video, '
                            'e.g. "when does the man laugh?"')
    return query


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        'ask', help='summarise and localise a query in a video, plotting each <loc>',
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('video')
    parser.add_argument('query')
    parser.add_argument('--checkpoint', required=True, help='directory written by save_pretrained')
    parser.add_argument('--decoder', choices=sorted(DECODERS), default=None,
                        help="timestamp decoder (default: the model's)")
    parser.add_argument('--out', default=None,
                        help='output folder (default ./s2l_ask/<video name>); an existing one '
                             'is refused unless --overwrite')
    parser.add_argument('--overwrite', action='store_true',
                        help="write into an existing --out folder (replacing this tool's files)")
    parser.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import torch
    from .models import S2LModel
    video = Path(args.video)
    if not video.is_file():
        raise S2LInputError(f'video not found: {video}')
    check_query(args.query)
    out_dir = refuse_existing(Path(args.out) if args.out else Path('s2l_ask') / video.stem,
                              args.overwrite)
    if out_dir.exists() and not out_dir.is_dir():
        raise S2LInputError(f'--out {out_dir}: is a file; ask writes a folder')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = S2LModel.from_pretrained(args.checkpoint).to(device).eval()
    decoder = dict(type=DECODERS[args.decoder]) if args.decoder else None
    record = ask(model, video, args.query, out_dir, decoder)
    print(f"answer: {record['answer']}" + ('  (<loc> appended)' if record['forced_loc'] else ''))
    for m, loc in enumerate(record['locs']):
        spans = ', '.join(f'{span_text((s, e))} ({c:.2f})'
                          for (s, e), c in zip(loc['segments'], loc['scores'])) or 'no segment'
        print(f'<loc> {m}: {loc["summary"] or "(empty summary)"}\n    {spans}\n'
              f'    plot: {out_dir / loc["png"]}')
    print(f'result: {out_dir / "result.json"}')
    return 0
