"""Markdown and JSON renderings of an :class:`~mmvsumm.evaluate.EvalReport`."""
from __future__ import annotations

import json
from dataclasses import asdict

from .evaluate import EvalReport

__all__ = ['to_markdown', 'to_json']

_NAMES = {'tvsum': 'TVSum', 'summe': 'SumMe', 'ovp': 'OVP', 'youtube': 'YouTube'}
_SETTING = {'canonical': 'C', 'augmented': 'A', 'transfer': 'T'}


def _row(cells) -> str:
    return '| ' + ' | '.join(cells) + ' |'


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(head), _row(['---'] * len(head)), *map(_row, rows)]


def to_markdown(report: EvalReport) -> str:
    """Thesis layout (method row; F1 under the setting letter as in table 3.3, tau
    and rho as in table 3.2), then per-split and per-video tables."""
    name = _NAMES.get(report.dataset, report.dataset)
    letter = _SETTING[report.setting] if report.setting in _SETTING else report.setting
    p, o = report.protocol, report.overall
    skipped = f', {len(report.skipped)} skipped' if report.skipped else ''
    lines = [f'## {name}, {report.setting} setting ({len(report.splits)} splits, '
             f'{len(report.videos)} videos{skipped})', '',
             f'Protocol: rank level `{p.rank_level}`, shots `{p.shots}`, shot score '
             f'`{p.shot_reduce}`, knapsack values '
             f'`{"float" if p.value_scale is None else f"int x{p.value_scale:g}"}`, '
             f'budget {p.proportion:g}, F1 `{p.f1_reduction}` over annotators. '
             f'Splits: `{report.split_file}`.', '']
    lines += _table(['Method', f'{name} F1 ({letter})', f'{name} τ', f'{name} ρ'],
                    [[report.method, f'{o.f1:.1f}', f'{o.kendall:.4f}', f'{o.spearman:.4f}']])
    lines += ['', '### Per split', '']
    lines += _table(['Split', 'F1', 'τ', 'ρ'],
                    [[s.name, f'{s.f1:.2f}', f'{s.kendall:.4f}', f'{s.spearman:.4f}']
                     for s in report.splits])
    lines += ['', '### Per video', '']
    lines += _table(['Video', 'F1', 'τ', 'ρ'],
                    [[v.name, f'{v.f1:.2f}', f'{v.kendall:.4f}', f'{v.spearman:.4f}']
                     for v in report.videos])
    if report.skipped:
        lines += ['', '### Skipped videos (--on-bad-video skip)', '']
        lines += _table(['Video', 'Reason'], [[v.name, v.reason] for v in report.skipped])
    return '\n'.join(lines) + '\n'


def to_json(report: EvalReport) -> str:
    """Everything in the report, machine-readable."""
    data = dict(dataset=report.dataset, setting=report.setting, method=report.method,
                protocol=asdict(report.protocol) | {'f1_reduction': report.protocol.f1_reduction},
                score_options={k: list(v) if isinstance(v, tuple) else v
                               for k, v in report.score_options.items()},
                split_file=report.split_file, overall=report.overall.to_dict(),
                splits=[s.to_dict() for s in report.splits],
                videos=[v.to_dict() for v in report.videos],
                skipped=[v.to_dict() for v in report.skipped])
    return json.dumps(data, indent=2)
