"""ETBench results in the layout of thesis table 4.1: scores per (task, source),
per task (mean over sources) and per group, as the official ``compute_metrics.py``
aggregates them (per-source fractions rounded to 5 decimals, their mean rounded
to 5 decimals, shown in percent with 1 decimal)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .etbench_data import ETBENCH_TASKS, group_samples
from .etbench_metrics import ETBENCH_THRESHOLDS, score_group
from .etbench_similarity import SentenceSimilarity

__all__ = ['TASK_GROUPS', 'TABLE_METRICS', 'ETBenchReport', 'evaluate_etbench']

#: (group, its tasks, the metrics table 4.1 shows for each of them).
TASK_GROUPS = (('Referring', ('rar', 'eca', 'rvq'), ('Acc',)),
               ('Grounding', ('tvg', 'epm', 'tal', 'evs', 'vhd'), ('F1',)),
               ('Dense captioning', ('dvc', 'slc'), ('F1', 'Sim')),
               ('Complex', ('tem', 'gvq'), ('Rec',)))
#: metrics per task written to the results: table 4.1's, plus GVQ's answer accuracy.
TABLE_METRICS = {task: metrics for _, tasks, metrics in TASK_GROUPS for task in tasks}
_RESULT_METRICS = dict(TABLE_METRICS, gvq=('Rec', 'Acc'))
_GROUP_COLUMNS = (('Acc (ref)', 'Referring', 'Acc'), ('F1 (gnd)', 'Grounding', 'F1'),
                  ('F1 (cap)', 'Dense captioning', 'F1'), ('Sim (cap)', 'Dense captioning', 'Sim'),
                  ('Rec (com)', 'Complex', 'Rec'))


def _source_columns(group: str) -> tuple[str, ...]:
    thr = ETBENCH_THRESHOLDS
    return {'Referring': ('Acc',),
            'Grounding': tuple(f'F1@{t}' for t in thr) + ('F1',),
            'Dense captioning': tuple(f'F1@{t}' for t in thr) + ('F1', 'Sim'),
            'Complex': tuple(f'R@{t}' for t in thr) + ('Rec', 'Acc')}[group]


def _table(rows: list[tuple]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    rule = '  '.join('-' * w for w in widths)
    lines = ['  '.join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return '\n'.join([rule, lines[0], rule, *lines[1:], rule])


def _percent(fraction: float | None) -> str:
    return '-' if fraction is None else str(round(fraction * 100, 1))


@dataclass
class ETBenchReport:
    """Scores of an ETBench run.

    ``per_source[task][source]``: the scorer's dict (``Total``, ``Failed``,
    fractions). ``per_task[task][metric]``: mean over sources (fraction, 5 decimals).
    """
    per_source: dict[str, dict[str, dict]]
    per_task: dict[str, dict[str, float]] = field(init=False)

    def __post_init__(self) -> None:
        self.per_task = {}
        for task in ETBENCH_TASKS:
            if task in self.per_source:
                scores = list(self.per_source[task].values())
                self.per_task[task] = {m: round(sum(s[m] for s in scores) / len(scores), 5)
                                       for m in _RESULT_METRICS[task]}

    def results(self) -> dict[str, dict[str, float]]:
        """``{TASK: {METRIC: percent}}`` for the tasks present (codes upper-case)."""
        return {task.upper(): {m: round(v * 100, 3) for m, v in scores.items()}
                for task, scores in self.per_task.items()}

    def groups(self) -> dict[str, float | None]:
        """Mean of each group's tasks present (fraction), None for an absent group."""
        out = {}
        for column, group, metric in _GROUP_COLUMNS:
            tasks = next(t for g, t, _ in TASK_GROUPS if g == group)
            values = [self.per_task[t][metric] for t in tasks if t in self.per_task]
            out[column] = sum(values) / len(values) if values else None
        return out

    def format(self) -> str:
        """Per-source tables (one per group), then the per-task and per-group rows."""
        parts = []
        for group, tasks, _ in TASK_GROUPS:
            columns = _source_columns(group)
            rows = [('Task', 'Source', 'Total', 'Failed') + columns]
            for task in tasks:
                for source, scores in self.per_source.get(task, {}).items():
                    rows.append((task.upper(), source, scores['Total'], scores['Failed']) +
                                tuple(scores.get(c, '-') for c in columns))
            if len(rows) > 1:
                parts.append(f'{group} (per source, fractions)\n{_table(rows)}')
        header, values = [], []
        for _, tasks, metrics in TASK_GROUPS:
            for task in tasks:
                for metric in metrics:
                    header.append(f'{task.upper()} ({metric})')
                    values.append(_percent(self.per_task.get(task, {}).get(metric)))
        parts.append(f'Per task (mean over sources, %)\n{_table([tuple(header), tuple(values)])}')
        groups = self.groups()
        parts.append('Per group (mean over tasks, %)\n' +
                     _table([tuple(groups), tuple(_percent(v) for v in groups.values())]))
        return '\n\n'.join(parts)


def evaluate_etbench(samples: list[dict], sim: SentenceSimilarity | None = None,
                     letter_rule: str = 'fallthrough', seed: int = 0) -> ETBenchReport:
    """Score checked samples (:func:`.etbench_data.load_predictions`) per task and
    source. ``sim`` is only loaded if a caption task or a similarity fallback
    needs it (default: all-MiniLM-L6-v2 on the CPU, offline)."""
    if not samples:
        raise ValueError('no samples to evaluate')
    sim = SentenceSimilarity() if sim is None else sim
    per_source = {task: {source: score_group(task, group, sim, letter_rule, seed)
                         for source, group in sources.items()}
                  for task, sources in group_samples(samples).items()}
    return ETBenchReport(per_source)
