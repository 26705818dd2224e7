"""``mms2l evaluate``: per-source averaging, the table 4.1 layout, the results file,
the subset, and clear errors on unusable input."""
from __future__ import annotations

import json
import runpy
import sys

import pytest

from mms2l.cli import main
from mms2l.evaluation import ETBenchReport


def write(path, samples) -> str:
    path.write_text(json.dumps(samples))
    return str(path)


def answered() -> list[dict]:
    """TVG on two sources (F1 0.5 and 1.0), VHD, EVS (one failed parse)."""
    return [
        dict(idx=0, task='tvg', source='qvhighlights', video='a.mp4', tgt=[10, 20], a='5 - 15'),
        dict(idx=1, task='tvg', source='charades_sta', video='b.mp4', tgt=[0, 8], a='0 to 8'),
        dict(idx=2, task='vhd', source='qvhighlights', video='c.mp4', tgt=[[1, 4], [9, 12]],
             a='10'),
        dict(idx=3, task='evs', source='summe', video='d.mp4', tgt=[[0, 10]], a='5 - 15'),
        dict(idx=4, task='evs', source='summe', video='e.mp4', tgt=[[0, 10]], a=''),
    ]


def test_evaluate_writes_results_and_tables(tmp_path, capsys):
    out = tmp_path / 'res' / 'result.json'
    assert main(['evaluate', write(tmp_path / 'pred.json', answered()), '--out', str(out)]) == 0
    # TVG: mean over sources of 0.5 and 1.0; VHD: 10 lies in [9, 12]; EVS: parsed only
    assert json.loads(out.read_text()) == {'TVG': {'F1': 75.0}, 'EVS': {'F1': 50.0},
                                           'VHD': {'F1': 100.0}}
    text = capsys.readouterr().out
    assert 'charades_sta' in text and 'TVG (F1)' in text and 'DVC (Sim)' in text
    per_task = text[text.index('Per task'):].splitlines()
    assert per_task[2].split()[:4] == ['RAR', '(Acc)', 'ECA', '(Acc)']
    values = per_task[4].split()
    assert values[:4] == ['-', '-', '-', '75.0'] and values[6] == '50.0'
    per_group = text[text.index('Per group'):].splitlines()
    assert per_group[4].split() == ['-', str(round((0.75 + 0.5 + 1.0) / 3 * 100, 1)), '-', '-', '-']


def test_subset(tmp_path, capsys):
    subset = tmp_path / 'subset.json'
    subset.write_text(json.dumps({'tvg': {'qvhighlights': [0]}, 'evs': {'summe': [4]}}))
    out = tmp_path / 'result.json'
    pred = write(tmp_path / 'pred.json', answered())
    assert main(['evaluate', pred, '--subset', str(subset), '--out', str(out)]) == 0
    assert json.loads(out.read_text()) == {'TVG': {'F1': 50.0}, 'EVS': {'F1': 0.0}}
    assert 'subset with 2 samples' in capsys.readouterr().out


def test_python_m_mms2l_evaluate_reads_jsonl_shards(tmp_path, monkeypatch, capsys):
    """``python -m mms2l evaluate FOLDER`` (run in-process: the package import is slow)."""
    samples = answered()
    for shard in (0, 1):
        (tmp_path / f'etbench_{shard}.jsonl').write_text(
            '\n'.join(json.dumps(s) for s in samples[shard::2]))
    (tmp_path / 'metrics.json').write_text('{}')  # an earlier result is not read as samples
    monkeypatch.setattr(sys, 'argv', ['mms2l', 'evaluate', str(tmp_path)])
    with pytest.raises(SystemExit) as done:
        runpy.run_module('mms2l', run_name='__main__')
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert '5 samples loaded' in out and 'charades_sta' in out


def test_report_layout_of_all_twelve_tasks():
    """Per-task row in table 4.1's order and per-group means, from per-source scores."""
    scores = dict(rar=[dict(Acc=0.4)], eca=[dict(Acc=0.5)], rvq=[dict(Acc=0.3), dict(Acc=0.4)],
                  tvg=[dict(F1=0.6)], epm=[dict(F1=0.1)], tal=[dict(F1=0.2)], evs=[dict(F1=0.3)],
                  vhd=[dict(F1=0.65)], dvc=[dict(F1=0.4, Sim=0.16)], slc=[dict(F1=0.2, Sim=0.14)],
                  tem=[dict(Rec=0.22)], gvq=[dict(Rec=0.08, Acc=0.3)])
    per_source = {task: {f'source{i}': dict(Total=1, Failed=0, **d) for i, d in enumerate(ds)}
                  for task, ds in reversed(scores.items())}
    report = ETBenchReport(per_source)
    assert report.results()['RVQ'] == {'Acc': 35.0}
    assert report.results()['GVQ'] == {'Rec': 8.0, 'Acc': 30.0}
    assert report.results()['DVC'] == {'F1': 40.0, 'Sim': 16.0}
    assert report.groups() == pytest.approx({
        'Acc (ref)': (0.4 + 0.5 + 0.35) / 3, 'F1 (gnd)': (0.6 + 0.1 + 0.2 + 0.3 + 0.65) / 5,
        'F1 (cap)': 0.3, 'Sim (cap)': 0.15, 'Rec (com)': 0.15})
    text = report.format()
    row = text[text.index('Per task'):].splitlines()
    assert row[2].split()[::2] == ['RAR', 'ECA', 'RVQ', 'TVG', 'EPM', 'TAL', 'EVS', 'VHD',
                                   'DVC', 'DVC', 'SLC', 'SLC', 'TEM', 'GVQ']
    assert row[4].split() == ['40.0', '50.0', '35.0', '60.0', '10.0', '20.0', '30.0', '65.0',
                              '40.0', '16.0', '20.0', '14.0', '22.0', '8.0']


@pytest.mark.parametrize('content,message', [
    ('[{"idx": 0, "task": "tvg"', 'not valid JSON'),
    ('{"idx": 0}', 'expected a JSON list'),
    ('[{"idx": 7, "task": "xyz", "source": "s", "a": ""}]', "idx=7, task='xyz'"),
    ('[{"idx": 3, "task": "tvg", "source": "s", "tgt": [1, 2]}]', "missing key(s) ['a']"),
    ('[{"idx": 3, "task": "tvg", "source": "s", "a": "1 - 2"}]', "missing key(s) ['tgt']"),
    ('[{"idx": 5, "task": "tal", "source": "s", "a": "", "tgt": [[-1, 2]]}]', '0 <= start <= end'),
    ('[{"idx": 5, "task": "tvg", "source": "s", "a": "", "tgt": [4, 2]}]', '0 <= start <= end'),
    ('[{"idx": 6, "task": "rar", "source": "s", "a": "A", "o": ["x", "y"], "p": 0}]',
     '4 or 5 options'),
    ('[{"idx": 8, "task": "dvc", "source": "s", "a": "", "video": "v", "tgt": [[0, 1]], '
     '"g": []}]', 'one caption per'),
    ('[{"idx": 9, "task": "vhd", "source": "s", "a": null, "tgt": [[0, 1]]}]',
     "the answer 'a' must be text"),
])
def test_bad_input_names_file_and_sample(tmp_path, capsys, content, message):
    path = tmp_path / 'bad.json'
    path.write_text(content)
    assert main(['evaluate', str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err
    if '"idx"' in content and 'not valid' not in message and 'JSON list' not in message:
        assert 'sample #0' in err


def test_missing_file(tmp_path, capsys):
    assert main(['evaluate', str(tmp_path / 'nope.json')]) == 2
    assert 'no such file' in capsys.readouterr().err
