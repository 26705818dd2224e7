"""ETBench samples: the annotation schema and S2L's answers written as the official text.

An ETBench annotation file (``etbench_vid_v1.0.json``) is a JSON list of dicts with
``idx``, ``task``, ``source``, ``video`` (relative path), ``duration`` (seconds), ``q``
(the prompt; in the ``vid`` variant every input timestamp is a ``<vid>`` token whose
value is in ``src``), and per task ``tgt`` (target spans), ``o`` / ``p`` (options and the
correct one's index) and ``g`` (captions). A prediction file is the same list with the
model's text answer added as ``a``.

S2L never writes timestamps itself; :func:`answer_text` turns its summaries and the
decoded segments into the text the official ``compute_metrics.py`` parses:

========================  =====================================================
task                      answer written
========================  =====================================================
TVG, EPM, TEM             ``"s - e seconds."``: the first ``<loc>``'s best segment
TAL, EVS                  ``"s - e seconds, s - e seconds."``: every segment of
                          every ``<loc>``, duplicates dropped, in time order
VHD                       ``"t"``: the peak of the first ``<loc>``'s curve inside
                          its best segment (frame centre, seconds)
DVC, SLC                  one line ``"s - e seconds, caption"`` per segment of
                          each ``<loc>``; its summary is repeated per window
RAR, RVQ                  ``"(X)"`` from the letter generated after
                          ``"Best Option: ("``, else the generated text as is
ECA                       ``"(X)"``: the option span with the highest IoU with
                          the first ``<loc>``'s best segment
GVQ                       ``"(X) s - e seconds."``: the letter as for RVQ, the span
                          as for TVG
========================  =====================================================

A sample the model could not localise (no segment) gets an empty answer, which the
official script counts as a failed parse.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .datasets.etsum import read_samples
from .decoding import temporal_iou
from .errors import S2LInputError
from .evaluation.etbench_data import CHOICE_TASKS as OPTION_TASKS
from .evaluation.etbench_data import ETBENCH_TASKS as TASKS
from .tokenization import LOC_TOKEN

MCQ_TASKS = ('rar', 'rvq', 'gvq')  # answered by a generated option letter
MCQ_PREFIX = 'Best Option: ('  # what E.T.Chat appends to the prompt for a letter answer
REQUIRED_KEYS = ('idx', 'task', 'source', 'video', 'duration', 'q')
PLACEHOLDER_CAPTION = 'an event.'  # a DVC/SLC window whose summary is empty
#: where the released prompts start prescribing the answer format (timestamps, which S2L
#: never writes); ``summary`` prompts drop the text from there on.
FORMAT_MARKERS = ('The format of your response should', 'Watch the video carefully')
#: what a ``summary`` prompt asks for instead (ECA as thesis 4.4: a context-rich summary
#: of the clip the caption refers to, then localised).
SUMMARY_REQUESTS = dict(
    tvg='Summarise the clip described above in detail.',
    epm='Summarise in detail the clip that answers the question above.',
    eca='Summarise in detail the clip the caption above refers to.',
    tal='Summarise every clip in which the action above happens.',
    evs='Summarise the clips that matter most for the topic above.',
    vhd='Summarise in detail the highlight moments of the query above.',
    dvc='Summarise each major event of the video in one short sentence.',
    slc='Summarise each step of the video in one short sentence.',
    tem='Summarise in detail the other clip that matches the referred one.',
    gvq='Summarise in detail the clip that answers the question above.')
PROMPT_STYLES = ('official', 'summary')


def sample_name(sample: dict, position: int | None = None) -> str:
    """``sample idx 12 (tvg, qvhighlights)`` for error messages."""
    where = f' at position {position}' if position is not None else ''
    return (f"sample idx {sample.get('idx', '?')}{where} "
            f"({sample.get('task', '?')}, {sample.get('source', '?')})")


def check_sample(sample: Any, position: int) -> None:
    """Raise :class:`S2LInputError` naming the sample when it does not fit the schema."""
    if not isinstance(sample, dict):
        raise S2LInputError(f'entry at position {position} is a {type(sample).__name__}, '
                           'not a sample dict')
    name = sample_name(sample, position)
    missing = [k for k in REQUIRED_KEYS if k not in sample]
    if missing:
        raise S2LInputError(f'{name}: missing keys {missing}')
    if sample['task'] not in TASKS:
        raise S2LInputError(f"{name}: unknown task {sample['task']!r}; "
                           f'ETBench tasks are {list(TASKS)}')
    if not isinstance(sample['duration'], (int, float)) or not sample['duration'] > 0:
        raise S2LInputError(f'{name}: duration must be a positive number, '
                           f"got {sample['duration']!r}")
    if not isinstance(sample['q'], str) or not isinstance(sample['video'], str):
        raise S2LInputError(f'{name}: q and video must be strings')
    try:
        times = np.asarray(vid_times(sample))
    except (TypeError, ValueError) as err:
        raise S2LInputError(
            f'{name}: src must hold numbers (seconds), got {sample["src"]!r}') from err
    if not np.isfinite(times).all() or (times < 0).any():
        raise S2LInputError(f'{name}: src times must be finite and >= 0, got {times.tolist()}')
    vids = sample['q'].count('<vid>')
    if vids != len(times):
        raise S2LInputError(f'{name}: q has {vids} <vid> tokens but src holds {len(times)} times')
    if sample['task'] in OPTION_TASKS:
        options = sample.get('o')
        if not isinstance(options, list) or not 2 <= len(options) <= 26:
            raise S2LInputError(f'{name}: task {sample["task"]} needs a list of options o')
    if sample['task'] == 'eca':
        option_spans(sample)


def load_annotations(path: str | Path) -> list[dict]:
    """Read and validate an ETBench annotation (or prediction) file."""
    samples = read_samples(path, what='ETBench annotations')
    for position, sample in enumerate(samples):
        check_sample(sample, position)
    return samples


def vid_times(sample: dict) -> list[float]:
    """Seconds referred to by the ``<vid>`` tokens of ``q`` (``src``, flattened)."""
    return [float(t) for t in np.asarray(sample.get('src') or [], dtype=np.float64).reshape(-1)]


def model_query(sample: dict, style: str = 'official') -> tuple[str, list[float]]:
    """The query the model gets and the times of its ``<vid>`` tokens.

    ``official``: ``q`` as released. ``summary``: ``q`` up to the first of
    :data:`FORMAT_MARKERS` followed by the task's :data:`SUMMARY_REQUESTS` entry (only
    the ``src`` times of the kept ``<vid>`` tokens stay). RAR and RVQ always keep ``q``:
    they are answered by an option letter.
    """
    if style not in PROMPT_STYLES:
        raise ValueError(f'prompt style must be one of {PROMPT_STYLES}, got {style!r}')
    query, times = sample['q'], vid_times(sample)
    if style == 'official' or sample['task'] in ('rar', 'rvq'):
        return query, times
    cut = min([query.find(m) for m in FORMAT_MARKERS if m in query], default=len(query))
    kept = query[:cut].rstrip()
    return f"{kept} {SUMMARY_REQUESTS[sample['task']]}".strip(), times[:kept.count('<vid>')]


def option_spans(sample: dict) -> np.ndarray:
    """ECA options as spans (K, 2) in seconds, start <= end: ``o`` holds ``[s, e]`` pairs."""
    try:
        spans = np.asarray(sample['o'], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise S2LInputError(
            f'{sample_name(sample)}: ECA options must be [start, end] pairs') from err
    if spans.ndim != 2 or spans.shape[1] != 2 or not np.isfinite(spans).all():
        raise S2LInputError(f'{sample_name(sample)}: ECA options must be [start, end] pairs of '
                           f'finite numbers, got {sample["o"]!r}')
    return np.sort(spans, axis=1)  # an option written end first is still that span


# ------------------------------------------------------------------ answers
def seconds(value: float) -> str:
    """A time as the answer text writes it (one decimal)."""
    return f'{value:.1f}'


def span_text(span: Sequence[float]) -> str:
    return f'{seconds(span[0])} - {seconds(span[1])} seconds'


def clean_text(text: str, special_tokens: Sequence[str] = ()) -> str:
    """``text`` without the given special tokens, whitespace collapsed."""
    for token in special_tokens:
        text = text.replace(token, ' ')
    return ' '.join(text.split())


def split_summaries(text: str, special_tokens: Sequence[str] = ()) -> list[str]:
    """Generated text -> the summary closed by each ``<loc>`` (one string per ``<loc>``),
    cleaned by :func:`clean_text`."""
    return [clean_text(piece, special_tokens) for piece in text.split(LOC_TOKEN)[:-1]]


def option_letter(text: str, num_options: int) -> str | None:
    """The option letter a generated answer starts with (``B``, ``B)``, ``(B)``, ``b.``)
    or, failing that, the first ``(X)`` in it; None when neither names an option."""
    letters = [chr(ord('A') + i) for i in range(num_options)]
    body = text.strip().lstrip('(').lstrip()
    if body and body[0].upper() in letters and (len(body) == 1 or body[1] in ').,: '):
        return body[0].upper()
    match = re.search(r'\(([A-Za-z])\)', text)
    if match and match.group(1).upper() in letters:
        return match.group(1).upper()
    return None


def _best_segment(result: dict) -> np.ndarray | None:
    """The first ``<loc>``'s best segment (2,) in seconds, or None."""
    for loc in result['locs'][:1]:
        if len(loc['segments']):
            return np.asarray(loc['segments'][0], dtype=np.float64)
    return None


def _peak_time(result: dict) -> float | None:
    """Centre time of the first ``<loc>``'s highest-scoring frame inside its best segment."""
    if not result['locs'] or not len(result['locs'][0]['frames']):
        return None
    loc = result['locs'][0]
    start, end = (int(v) for v in loc['frames'][0])
    frame = start + int(np.argmax(np.asarray(loc['curve'])[start:end]))
    return (frame + 0.5) * float(result['sec_per_frame'])


def _all_segments(result: dict) -> list[tuple[float, float]]:
    spans = {(round(float(s), 1), round(float(e), 1))
             for loc in result['locs'] for s, e in loc['segments']}
    return sorted(spans)


def _caption(summary: str) -> str:
    """A summary made safe for the DVC parser: no ``a - b`` number ranges, no newlines,
    never shorter than 3 characters (the parser drops shorter pieces)."""
    caption = re.sub(r'(\d)\s*-\s*(\d)', r'\1 to \2', ' '.join(summary.split()))
    return caption if len(caption) >= 3 else PLACEHOLDER_CAPTION


def answer_text(sample: dict, result: dict | None, letter_text: str | None = None,
                special_tokens: Sequence[str] = ()) -> str:
    """The answer ``a`` for one sample.

    Args:
        sample: the ETBench sample (``task``, ``o`` ...).
        result: the model's result for the plain prompt (``text``, ``locs`` with
            ``segments`` in seconds, ``frames``, ``curve``, ``sec_per_frame``); not
            used (may be None) for RAR and RVQ.
        letter_text: text generated after :data:`MCQ_PREFIX` (RAR, RVQ, GVQ), cleaned.
        special_tokens: the tokenizer's special tokens, removed from captions.
    """
    task = sample['task']
    if task in ('rar', 'rvq'):
        return _letter_answer(sample, letter_text)
    if task == 'eca':
        best = _best_segment(result)
        if best is None:
            return ''
        iou = temporal_iou(best[None], option_spans(sample))[0]
        return f'({chr(ord("A") + int(np.argmax(iou)))})'
    if task in ('tvg', 'epm', 'tem', 'gvq'):
        best = _best_segment(result)
        span = f'{span_text(best)}.' if best is not None else ''
        if task != 'gvq':
            return span
        return f'{_letter_answer(sample, letter_text)} {span}'.strip()
    if task in ('tal', 'evs'):
        return ', '.join(span_text(s) for s in _all_segments(result)) + '.' \
            if _all_segments(result) else ''
    if task == 'vhd':
        peak = _peak_time(result)
        return seconds(peak) if peak is not None else ''
    summaries = split_summaries(result['text'], special_tokens)
    if len(summaries) != len(result['locs']):
        raise ValueError(f"{sample_name(sample)}: {len(summaries)} summaries in the text but "
                         f"{len(result['locs'])} <loc> curves")
    lines = []
    for summary, loc in zip(summaries, result['locs']):
        lines += [(float(s), float(e), _caption(summary)) for s, e in loc['segments']]
    return '\n'.join(f'{span_text((s, e))}, {c}' for s, e, c in sorted(lines))


def _letter_answer(sample: dict, letter_text: str | None) -> str:
    if letter_text is None:
        raise ValueError(f'{sample_name(sample)}: a {sample["task"]} answer needs the text '
                         f'generated after {MCQ_PREFIX!r}')
    letter = option_letter(letter_text, len(sample['o']))
    return f'({letter})' if letter is not None else letter_text
