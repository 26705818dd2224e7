"""Answer parsers of ETBench, rule for rule as the official ``compute_metrics.py``
reads a model's free-text answer ``a``.

Each parser returns ``None`` where the official script counts a failed parse.
The regular expressions are the official ones (``\\d+\\.*\\d*`` accepts "1..5",
which no float reads: the official TVG parser then raises and stops the run, its
DVC parser counts a failure; here both count a failure, see :func:`parse_spans`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ['LetterAnswer', 'parse_letter_answer', 'parse_spans', 'parse_point',
           'parse_dense_captions', 'SpanList']

SpanList = list[list[float]]

# ------------------------------------------------ spans (TVG, EPM, TAL, EVS, TEM, GVQ)
_NUMBER = r'\d+\.*\d*'
_DASH_PAIR = re.compile(rf'({_NUMBER})\s*-\s*({_NUMBER})')
_TO_PAIR = re.compile(rf'({_NUMBER})\s* to \s*({_NUMBER})')
_FIRST_NUMBER = re.compile(r'\b(\d+\.\d+\b|\b\d+)\b')
_SENTENCE_BREAK = re.compile(r'[!?\n]')
_SPAN_KEYWORDS = ('starts', 'ends', 'happens in', 'start time', 'end time', 'start', 'end',
                  'happen')


def _pairs(matches: list[tuple[str, str]]) -> SpanList:
    return [[float(start), float(end)] for start, end in matches]


def parse_spans(answer: str) -> SpanList | None:
    """Spans [[start, end], ...] (seconds) in an answer, or None (failed parse).

    In order, the first rule that finds anything wins: every "a - b" in the
    answer; every "a to b" (spaces around "to"); else the first number of each
    line (split at ``! ? \\n``) holding a keyword such as "start"/"end"/"happen",
    paired in order (an odd last one dropped). Each span is reordered so that
    start <= end. The official script also tries hh:mm:ss clock times after
    these, but that step can never yield a span (a line with a clock time already
    gave its first number to the previous rule, which then found fewer than two),
    so it is not repeated here. A number no float reads ("1..5") counts as a
    failed parse, where the official script raises ``ValueError``.
    """
    text = answer.lower()
    try:
        spans = _pairs(_DASH_PAIR.findall(text)) or _pairs(_TO_PAIR.findall(text))
    except ValueError:
        return None
    if not spans:
        firsts = []
        for line in _SENTENCE_BREAK.split(text):
            if any(key in line for key in _SPAN_KEYWORDS):
                numbers = _FIRST_NUMBER.findall(line)
                if numbers:
                    firsts.append(float(numbers[0]))
        spans = [[firsts[i], firsts[i + 1]] for i in range(0, len(firsts) - 1, 2)]
    spans = [[start, end] if end > start else [end, start] for start, end in spans]
    return spans or None


# --------------------------------------------------------------- a single time (VHD)
_SIGNED_NUMBER = re.compile(r'[-+]?\d*\.\d+|[-+]?\d+')


def parse_point(answer: str) -> float | None:
    """The first (signed) number anywhere in the answer, or None."""
    match = _SIGNED_NUMBER.search(answer)
    return None if match is None else float(match.group(0))


# ------------------------------------------------ multiple choice (RAR, ECA, RVQ, GVQ)
_PAREN_LETTER = re.compile(r'\(([A-Za-z])\)')
_BEST_OPTION = 'best option:'
_LETTER_END = ('.', ',', ' ', ')')


@dataclass(frozen=True)
class LetterAnswer:
    """What the official multiple-choice readers see in an answer.

    ``paren``: lower-cased letter of the first "(X)" anywhere (referring tasks only
    look for it), or None. ``text``: the answer without a leading "best option:"
    (any case), then without leading spaces and opening brackets; lower-cased when
    parsed with ``lowercase=True`` (referring tasks) and kept as written otherwise
    (GVQ). It is the query of the similarity fallback. ``leading``: the lower-cased
    first character of ``text`` when it stands alone (the whole text, or followed
    by ``. , space )``), else None. It need not be an option letter.
    """
    paren: str | None
    leading: str | None
    text: str


def parse_letter_answer(answer: str, lowercase: bool) -> LetterAnswer:
    """Read a multiple-choice answer the way the official script does."""
    match = _PAREN_LETTER.search(answer)
    text = answer.lower() if lowercase else answer
    if text.lower().startswith(_BEST_OPTION):
        text = text[len(_BEST_OPTION):]
    text = text.lstrip().lstrip('(').lstrip()
    stands_alone = len(text) == 1 or (len(text) > 1 and text[1] in _LETTER_END)
    return LetterAnswer(paren=match.group(1).lower() if match else None,
                        leading=text[0].lower() if stands_alone else None, text=text)


# --------------------------------------------------------------- dense captions (DVC, SLC)
_DASH_PAIR_TEXT = re.compile(rf'({_NUMBER}\s*-\s*{_NUMBER})')
_START_TIME = re.compile(rf'(?:start(?:ing)? time: ({_NUMBER})(?:s| seconds)?)',
                         re.DOTALL | re.IGNORECASE)
_END_TIME = re.compile(rf'(?:end(?:ing)? time: ({_NUMBER})(?:s| seconds)?)',
                       re.DOTALL | re.IGNORECASE)
_DESCRIPTION = re.compile(r'description: (.*)')
_BULLET = re.compile(r'\*\s*(.*)')
_START_END_COMMA = re.compile(rf'start time ({_NUMBER}), end time ({_NUMBER})')
_CLOCK = re.compile(rf'{_NUMBER}:{_NUMBER}')
_ANY_NUMBER = re.compile(rf'{_NUMBER}(?!\.)')
_RADIUS = 20  # seconds around a lone time in the line-by-line fallback


class _Unparseable(Exception):
    """The official paragraph reader fails on this answer (counted as a failure)."""


def _paragraph_captions(answer: str) -> tuple[SpanList, list[str]]:
    """Official first pass over the whole (lower-cased) answer."""
    text = answer.lower()
    spans: SpanList = []
    captions: list[str] = []
    pairs = _DASH_PAIR.findall(text)
    if pairs:
        try:
            spans = _pairs(pairs)
        except ValueError as exc:
            raise _Unparseable from exc
        rest = text
        for piece in _DASH_PAIR_TEXT.findall(text):
            rest = rest.replace(piece, '\n')
        captions = rest.replace('seconds', '').split('\n')
    if not spans:
        starts, ends = _START_TIME.findall(text), _END_TIME.findall(text)
        if starts and ends:
            try:
                spans = [[float(s), float(e)] for s, e in zip(starts, ends)]
            except ValueError as exc:
                raise _Unparseable from exc
            captions = _DESCRIPTION.findall(text) or _BULLET.findall(text)
    if not spans and _START_END_COMMA.findall(text):
        raise _Unparseable  # the official reader asserts this format away
    captions = [c.strip().strip(', ').rstrip() for c in captions if len(c) > 5]
    keep = min(len(spans), len(captions))
    return spans[:keep], captions[:keep]


def _time_part(text: str) -> str | None:
    """Official ``extract_time_part``: an "a - b" string for one line, or None.

    Raises ``ValueError``/``IndexError`` where the official one does (the caller
    then skips the line).
    """
    pairs = _DASH_PAIR_TEXT.findall(text)
    if pairs:
        return pairs[0]
    if text.count(':') == 1:
        minutes, seconds = _CLOCK.findall(text)[0].split(':')
        centre = int(minutes) * 60 + int(seconds)
        return (f'{centre - _RADIUS} - {centre + _RADIUS}' if centre > _RADIUS
                else f'{centre} - {centre + 2 * _RADIUS}')
    if text.count(':') == 2:
        start, end = _CLOCK.findall(text)
        start_s = int(start.split(':')[0]) * 60 + int(start.split(':')[1])
        end_s = int(end.split(':')[0]) * 60 + int(end.split(':')[1])
        return f'{start_s} - {end_s}'
    numbers = _ANY_NUMBER.findall(text)
    if len(numbers) == 1:
        centre = float(numbers[0])
        return (f'{centre - _RADIUS} - {centre + _RADIUS}' if centre > _RADIUS
                else f'{centre} - {centre + 2 * _RADIUS}')
    if len(numbers) == 2:
        return f'{numbers[0]} - {numbers[1]}'
    return None


def _first_line_caption(answer: str) -> tuple[SpanList, list[str]]:
    """Official fallback: the first line (or '.'-sentence) longer than 7 characters
    that yields a time gives one span and its caption (text after "seconds")."""
    if '\n' in answer:
        lines = [line for line in answer.split('\n') if len(line) > 7]
    else:
        lines = [line + '.' for line in answer.split('.') if len(line) > 7]
    for line in lines:
        parts = [part.strip(',') for part in line.split('seconds')]
        try:
            found = _time_part(parts[0])
            if found is None:
                continue
            bounds = found.split('-')
            span = [round(float(bounds[0].strip()), 2), round(float(bounds[1].strip()), 2)]
        except (ValueError, IndexError):
            continue
        return [span], [parts[-1].strip()]
    return [], []


def parse_dense_captions(answer: str) -> tuple[SpanList, list[str]] | None:
    """Captioned spans of a DVC/SLC answer: (spans [[start, end], ...], captions), or
    None (failed parse).

    First pass: every "a - b" in the answer; the text between them (the word
    "seconds" removed, pieces of at most 5 characters dropped) gives the captions,
    matched to the spans by position and both cut to the shorter list. Without
    "a - b": "start time: a" / "end time: b" pairs with "description: ..." (or
    "* ...") captions. If that finds nothing, the first line longer than 7
    characters that holds a time ("a - b", "m:ss", "m:ss ... m:ss", one number t:
    [t - 20, t + 20] or [t, t + 40] when t <= 20, or two numbers) gives one span,
    captioned by its text after "seconds". Spans are reordered start <= end.
    """
    try:
        spans, captions = _paragraph_captions(answer)
    except _Unparseable:
        return None
    if not spans:
        spans, captions = _first_line_caption(answer)
    if not spans:
        return None
    return [[min(span), max(span)] for span in spans], captions
