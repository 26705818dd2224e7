"""``mms2l infer``: ETBench answers in the official text format, resumable, sharded."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT, free_port
from tests.s2l.conftest import TINY_CONFIG, build_model

SPAN = r'(\d+\.\d) - (\d+\.\d) seconds'


@pytest.fixture(scope='session')
def etbench_ann(tmp_path_factory) -> Path:
    from mmcontrast.assets import MissingAssetError
    from mms2l.testing import make_etbench_fixture
    try:
        return make_etbench_fixture(tmp_path_factory.mktemp('etbench'))
    except MissingAssetError as err:
        pytest.skip(str(err))


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_cfg, tmp_path_factory) -> Path:
    import copy
    cfg = dict(copy.deepcopy(tiny_cfg.model.to_dict()), max_new_tokens=6)  # short answers: fast
    return build_model(cfg).save_pretrained(tmp_path_factory.mktemp('s2l_ckpt') / 'saved')


def infer_args(ann: Path, ckpt: Path, out: Path, *extra: str,
               config: Path | None = TINY_CONFIG) -> list[str]:
    """``infer`` arguments; ``config=None`` leaves preprocessing to the checkpoint."""
    return ['infer', *(['--config', str(config)] if config else []), '--checkpoint', str(ckpt),
            '--annotations', str(ann), '--video-root', str(ann.parent / 'videos'),
            '--out', str(out), '--no-progress', *extra]


def run_cli(*argv: str) -> int:
    from mms2l.cli import main
    return main(list(argv))


@pytest.fixture(scope='session')
def full_run(etbench_ann, tiny_checkpoint, tmp_path_factory) -> Path:
    """One uninterrupted run over the fixture (the reference for the resumed runs)."""
    out = tmp_path_factory.mktemp('full') / 'pred.json'
    assert run_cli(*infer_args(etbench_ann, tiny_checkpoint, out)) == 0
    return out


def subset(ann: Path, positions: list[int], name: str) -> Path:
    """An annotation file beside ``ann`` (same videos) with only the samples at ``positions``."""
    samples = json.loads(ann.read_text())
    path = ann.parent / f'{name}.json'
    path.write_text(json.dumps([samples[p] for p in positions]))
    return path


def answers(pred: Path) -> dict[int, str]:
    return {s['idx']: s['a'] for s in json.loads(pred.read_text())}


def part_records(out: Path) -> list[dict]:
    from mms2l.etbench_infer import parts_dir, read_records
    return [r for p in sorted(parts_dir(out).glob('rank*.jsonl')) for r in read_records(p)]


# ------------------------------------------------------------------ the fixture
def test_fixture_has_the_etbench_schema(etbench_ann):
    from mms2l.etbench import TASKS, load_annotations
    samples = load_annotations(etbench_ann)
    assert sorted(s['task'] for s in samples) == sorted(TASKS)
    assert [s['idx'] for s in samples] == list(range(len(samples)))
    for s in samples:
        assert {'version', 'idx', 'task', 'source', 'video', 'duration', 'q'} <= set(s)
        assert (etbench_ann.parent / 'videos' / s['video']).is_file()
        assert s['q'].count('<vid>') == len(s.get('src', []))
        tgt = s.get('tgt', [[0, 1]])
        if s['task'] == 'vhd':  # one list of windows per annotator
            assert len(tgt) == 2
            tgt = [w for annotator in tgt for w in annotator]
        spans = np.asarray(tgt, dtype=float).reshape(-1, 2)
        assert (spans >= 0).all() and (spans <= s['duration']).all() and \
            (spans[:, 0] < spans[:, 1]).all()
        if s['task'] in ('rar', 'eca', 'rvq', 'gvq'):
            assert len(s['o']) == 4 and 0 <= s['p'] < 4
        if s['task'] in ('dvc', 'slc'):
            assert len(s['g']) == len(s['tgt'])


# ------------------------------------------------------------------ answers
def test_infer_writes_every_sample_in_the_official_format(full_run, etbench_ann):
    samples = json.loads(etbench_ann.read_text())
    preds = json.loads(full_run.read_text())
    assert len(preds) == len(samples)
    for sample, pred in zip(samples, preds):
        assert {k: v for k, v in pred.items() if k != 'a'} == sample  # nothing else changed
        assert isinstance(pred['a'], str)
    records = {r['pos']: r for r in part_records(full_run)}
    assert sorted(records) == list(range(len(samples)))
    assert not any('error' in r for r in records.values())
    for pos, pred in enumerate(preds):
        task, answer, record, duration = pred['task'], pred['a'], records[pos], pred['duration']
        segs = [np.asarray(loc['segments']).reshape(-1, 2) for loc in record['locs']]
        if task in ('tvg', 'epm', 'tem'):  # the first <loc>'s best segment, one decimal
            assert re.fullmatch(SPAN + r'\.', answer), answer
            assert answer == f'{segs[0][0][0]:.1f} - {segs[0][0][1]:.1f} seconds.'
        elif task in ('tal', 'evs'):
            found = [(float(s), float(e)) for s, e in re.findall(SPAN, answer)]
            assert found == sorted({(round(s, 1), round(e, 1)) for seg in segs for s, e in seg})
        elif task == 'vhd':
            t = float(answer)
            s, e = segs[0][0]
            assert s <= t <= e <= duration + 1e-6
        elif task in ('dvc', 'slc'):
            lines = answer.split('\n')
            assert len(lines) == sum(len(seg) for seg in segs)
            assert all(re.fullmatch(SPAN + r', .{3,}', line) for line in lines), lines
        elif task == 'eca':  # the option overlapping the localised segment most
            s, e = segs[0][0]
            opts = np.asarray(pred['o'], dtype=float)
            inter = np.clip(np.minimum(e, opts[:, 1]) - np.maximum(s, opts[:, 0]), 0, None)
            iou = inter / ((e - s) + (opts[:, 1] - opts[:, 0]) - inter)
            assert answer == f'({"ABCD"[int(np.argmax(iou))]})'
        elif task in ('rar', 'rvq'):  # a letter if one was generated, else the generated text
            assert re.fullmatch(r'\([A-D]\)', answer) or answer == record['letter_text']
        elif task == 'gvq':
            assert answer.endswith(f'{segs[0][0][0]:.1f} - {segs[0][0][1]:.1f} seconds.')


def test_infer_then_evaluate_reads_back_every_answer(full_run, tmp_path):
    """`mms2l evaluate` scores all 12 tasks of the written file; the official answer
    readers recover exactly the segments, captions and letters S2L produced."""
    from mms2l.etbench import TASKS
    from mms2l.evaluation.etbench_parsing import (parse_dense_captions, parse_letter_answer,
                                                  parse_spans)
    res = tmp_path / 'result.json'
    assert run_cli('evaluate', str(full_run), '--out', str(res)) == 0
    scores = json.loads(res.read_text())
    assert set(scores) == {t.upper() for t in TASKS}
    records = {r['pos']: r for r in part_records(full_run)}
    for pos, pred in enumerate(json.loads(full_run.read_text())):
        task, answer = pred['task'], pred['a']
        segs = [[[round(v, 1) for v in seg] for seg in loc['segments']]
                for loc in records[pos]['locs']]
        if task in ('tvg', 'epm', 'tem', 'gvq'):
            assert parse_spans(answer)[0] == segs[0][0]
        elif task in ('tal', 'evs'):
            unique = sorted({tuple(s) for loc in segs for s in loc})
            assert parse_spans(answer) == [list(s) for s in unique]
        elif task in ('dvc', 'slc'):
            spans, captions = parse_dense_captions(answer)
            lines = answer.split('\n')
            assert spans == [[float(v) for v in re.match(SPAN, line).groups()] for line in lines]
            assert captions == [line.split('seconds, ', 1)[1].lower() for line in lines]
        elif answer.startswith('('):  # rar, eca, rvq with a letter
            assert parse_letter_answer(answer, lowercase=True).paren == answer[1].lower()
        if task == 'tvg':  # one sample on one source: F1 = mean over thresholds of IoU >= t
            (s, e), (gs, ge) = segs[0][0], pred['tgt']
            iou = max(0, min(e, ge) - max(s, gs)) / (max(e, ge) - min(s, gs))
            f1 = np.mean([iou >= t for t in (0.1, 0.3, 0.5, 0.7)]) * 100
            assert scores['TVG']['F1'] == pytest.approx(f1, abs=0.05)


def _result(curves, segments, text, spf=1.0):
    """A model result as S2LModel.predict returns it (frames = segments / spf)."""
    locs = []
    for curve, segs in zip(curves, segments):
        segs = np.asarray(segs, dtype=float).reshape(-1, 2)
        locs.append(dict(curve=np.asarray(curve, dtype=float), segments=segs,
                         frames=(segs / spf).astype(int), scores=np.ones(len(segs))))
    return dict(text=text, forced_loc=False, locs=locs, sec_per_frame=spf)


def test_answer_text_per_task_on_hand_made_results():
    from mms2l.etbench import answer_text
    one = _result([[0, 1, 3, 2, 0, 0]], [[[2, 6], [0, 1]]], 'a man runs <loc>', spf=2.0)
    assert answer_text(dict(task='tvg'), one) == '2.0 - 6.0 seconds.'
    # VHD: the best segment covers frames [1, 3) scoring [1, 3]; frame 2's centre is 5.0 s
    assert answer_text(dict(task='vhd'), one) == '5.0'
    assert answer_text(dict(task='tal'), one) == '0.0 - 1.0 seconds, 2.0 - 6.0 seconds.'
    # ECA: IoU of [2, 6] with A [0, 1], B [1.5, 4], C [4, 12] is 0, 2/4.5, 2/10 -> B
    eca = dict(task='eca', o=[[0, 1], [1.5, 4], [4, 12]])
    assert answer_text(eca, one) == '(B)'
    gvq = dict(task='gvq', o=['x', 'y', 'z', 'w'])
    assert answer_text(gvq, one, 'C) a man runs') == '(C) 2.0 - 6.0 seconds.'
    # DVC: each summary repeated once per window, windows in time order, ranges made safe
    two = _result([[0, 1], [1, 0]], [[[5, 9], [0, 2]], [[3, 4]]],
                  'adds 2-3 eggs <loc> stirs <loc>')
    assert answer_text(dict(task='dvc'), two) == ('0.0 - 2.0 seconds, adds 2 to 3 eggs\n'
                                                  '3.0 - 4.0 seconds, stirs\n'
                                                  '5.0 - 9.0 seconds, adds 2 to 3 eggs')
    empty = _result([[0, 1]], [[[0, 1]]], '<loc>')
    assert answer_text(dict(task='slc'), empty) == '0.0 - 1.0 seconds, an event.'
    none = _result([[0, 0]], [np.zeros((0, 2))], 'x <loc>')
    assert answer_text(dict(task='tvg'), none) == ''
    assert answer_text(dict(task='eca', o=[[0, 1]] * 2), none) == ''


@pytest.mark.parametrize('text,letter', [('B', 'B'), ('B) a dog', 'B'), ('(b).', 'B'),
                                         ('the answer is (C) maybe', 'C'), ('E', None),
                                         ('Bob runs', None), ('', None)])
def test_option_letter_formats(text, letter):
    from mms2l.etbench import answer_text, option_letter
    assert option_letter(text, 4) == letter
    answer = answer_text(dict(task='rvq', o=list('abcd')), None, text)
    assert answer == (f'({letter})' if letter else text)


def test_summary_prompt_drops_the_format_instructions():
    from mms2l.etbench import SUMMARY_REQUESTS, model_query
    eca = dict(task='eca', src=[1, 2, 3, 4, 5, 6],
               q="Which clip shows 'a dog runs'? (A) <vid> - <vid> (B) <vid> - <vid>. "
                 'The format of your response should be (A) or (B), see <vid> - <vid>.')
    assert model_query(eca) == (eca['q'], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    query, times = model_query(eca, 'summary')
    assert query == ("Which clip shows 'a dog runs'? (A) <vid> - <vid> (B) <vid> - <vid>. "
                     + SUMMARY_REQUESTS['eca'])
    assert times == [1.0, 2.0, 3.0, 4.0]  # the <vid>s cut away take their times along
    dvc = dict(task='dvc', q='Cooking video. Watch the video carefully and list events.')
    assert model_query(dvc, 'summary')[0] == 'Cooking video. ' + SUMMARY_REQUESTS['dvc']
    rvq = dict(task='rvq', q='What at <vid>? The format of your response should be (X).', src=[2])
    assert model_query(rvq, 'summary') == (rvq['q'], [2.0])  # answered by a letter


def test_summary_prompt_run_and_settings_kept_on_resume(etbench_ann, tiny_checkpoint, tmp_path,
                                                        capsys):
    ann = subset(etbench_ann, [1, 11], 'prompt')  # ECA, GVQ
    out = tmp_path / 'pred.json'
    assert run_cli(*infer_args(ann, tiny_checkpoint, out, '--prompt', 'summary', config=None)) == 0
    preds = json.loads(out.read_text())
    assert re.fullmatch(r'\([A-D]\)', preds[0]['a'])
    assert re.search(SPAN + r'\.$', preds[1]['a'])
    assert all(r['settings']['prompt'] == 'summary' for r in part_records(out))
    assert run_cli(*infer_args(ann, tiny_checkpoint, out)) == 2  # official prompt: refused
    err = capsys.readouterr().err
    assert 'answered with other settings' in err and "the prompt style (--prompt): 'summary' then, " \
        "'official' now" in err, err


# ------------------------------------------------------------------ resume
def test_kill_and_restart_neither_redoes_nor_loses_samples(full_run, etbench_ann, tiny_checkpoint,
                                                          tmp_path):
    """SIGKILL a run after 2 finished samples, rerun: every sample once, same answers."""
    from mms2l.etbench_infer import parts_dir
    ann = subset(etbench_ann, [3, 4, 5, 7, 8, 10], 'kill')  # TVG EPM TAL VHD DVC TEM
    out = tmp_path / 'pred.json'
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1')
    proc = subprocess.Popen([sys.executable, '-m', 'mms2l', *infer_args(ann, tiny_checkpoint, out)],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    part = parts_dir(out) / 'rank0.jsonl'
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if part.exists() and part.read_bytes().count(b'\n') >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = [r['pos'] for r in part_records(out)]
    assert 2 <= len(before) < 6 and not out.exists()
    assert run_cli(*infer_args(ann, tiny_checkpoint, out)) == 0
    positions = [r['pos'] for r in part_records(out)]
    assert sorted(positions) == list(range(6))  # each sample answered exactly once
    assert positions[:len(before)] == before
    reference = answers(full_run)
    assert answers(out) == {idx: reference[idx] for idx in answers(out)}


def test_a_line_cut_short_is_redone(full_run, etbench_ann, tiny_checkpoint, tmp_path):
    from mms2l.etbench_infer import parts_dir
    ann = subset(etbench_ann, [0, 1, 2, 3], 'cut')
    out = tmp_path / 'pred.json'
    part = parts_dir(out) / 'rank0.jsonl'
    part.parent.mkdir()
    lines = (parts_dir(full_run) / 'rank0.jsonl').read_text().splitlines(keepends=True)
    part.write_text(''.join(lines[:2]) + lines[2][:25])  # killed while writing the 3rd
    assert run_cli(*infer_args(ann, tiny_checkpoint, out)) == 0
    assert sorted(r['pos'] for r in part_records(out)) == [0, 1, 2, 3]
    reference = answers(full_run)
    assert answers(out) == {idx: reference[idx] for idx in range(4)}


def test_parts_of_another_annotation_file_are_refused(full_run, etbench_ann, tiny_checkpoint,
                                                      capsys):
    samples = json.loads(etbench_ann.read_text())
    other = etbench_ann.parent / 'reordered.json'
    other.write_text(json.dumps(samples[::-1]))
    assert run_cli(*infer_args(other, tiny_checkpoint, full_run)) == 2
    assert 'does not match the annotation file' in capsys.readouterr().err


def test_resume_is_keyed_by_the_checkpoints_content(etbench_ann, tiny_checkpoint, tmp_path,
                                                    capsys):
    """A checkpoint retrained in place is noticed (refused, or --restart starts over); the
    same content under another path resumes."""
    import shutil

    from safetensors.torch import load_file, save_file

    from mms2l.models.s2l import checkpoint_digest
    ann = subset(etbench_ann, [3], 'retrained')
    ckpt = tmp_path / 'ckpt'
    shutil.copytree(tiny_checkpoint, ckpt)
    out = tmp_path / 'pred.json'
    assert run_cli(*infer_args(ann, ckpt, out)) == 0
    old_digest = part_records(out)[0]['settings']['checkpoint']
    assert old_digest == checkpoint_digest(ckpt)
    moved = tmp_path / 'moved'
    shutil.copytree(ckpt, moved)
    assert run_cli(*infer_args(ann, moved, out)) == 0  # same content: resumed, nothing redone
    assert len(part_records(out)) == 1
    heads = load_file(str(ckpt / 'heads.safetensors'))  # "retrain" in place
    heads['context_matching.f_sum.0.weight'] += 1.0
    save_file(heads, str(ckpt / 'heads.safetensors'))
    capsys.readouterr()
    assert run_cli(*infer_args(ann, ckpt, out)) == 2
    err = capsys.readouterr().err
    assert 'the checkpoint (digest of its folder' in err and '--restart' in err, err
    assert len(part_records(out)) == 1  # nothing appended to the old run's parts
    assert run_cli(*infer_args(ann, ckpt, out, '--restart')) == 0
    (record,) = part_records(out)  # started over: one answer, by the retrained checkpoint
    assert record['settings']['checkpoint'] == checkpoint_digest(ckpt) != old_digest


# ------------------------------------------------------------------ bad input
def test_malformed_json_names_the_file(tmp_path, tiny_checkpoint, capsys):
    bad = tmp_path / 'bad.json'
    bad.write_text('[{"idx": 0, "task": "tvg",')
    assert run_cli(*infer_args(bad, tiny_checkpoint, tmp_path / 'p.json')) == 2
    assert f'error: {bad}: ETBench annotations is not valid JSON' in capsys.readouterr().err


def test_unknown_task_and_missing_keys_name_the_sample(etbench_ann, tmp_path):
    from mms2l.errors import S2LInputError
    from mms2l.etbench import load_annotations
    samples = json.loads(etbench_ann.read_text())
    samples[3]['task'] = 'xyz'
    (tmp_path / 'a.json').write_text(json.dumps(samples))
    with pytest.raises(S2LInputError, match=r"sample idx 3 at position 3 .*unknown task 'xyz'"):
        load_annotations(tmp_path / 'a.json')
    samples[3]['task'] = 'tvg'
    del samples[5]['duration']
    (tmp_path / 'b.json').write_text(json.dumps(samples))
    with pytest.raises(S2LInputError, match=r"sample idx 5 .*missing keys \['duration'\]"):
        load_annotations(tmp_path / 'b.json')
    del samples[5]
    samples[0]['src'] = [-1.0]  # RAR: one <vid>
    (tmp_path / 'd.json').write_text(json.dumps(samples))
    with pytest.raises(S2LInputError, match=r'sample idx 0 .*src times must be finite and >= 0'):
        load_annotations(tmp_path / 'd.json')
    samples[0]['src'] = [1.0, 2.0]
    (tmp_path / 'e.json').write_text(json.dumps(samples))
    with pytest.raises(S2LInputError, match=r'sample idx 0 .*1 <vid> tokens but src holds 2'):
        load_annotations(tmp_path / 'e.json')
    samples[0]['src'] = [1.0]
    samples[1]['o'][2] = ['x', 3]  # ECA
    (tmp_path / 'f.json').write_text(json.dumps(samples))
    with pytest.raises(S2LInputError, match=r'sample idx 1 .*ECA options must be \[start, end\]'):
        load_annotations(tmp_path / 'f.json')
    (tmp_path / 'c.json').write_text('[]')
    with pytest.raises(S2LInputError, match='c.json: the list of samples is empty'):
        load_annotations(tmp_path / 'c.json')


def test_missing_video_raises_or_is_a_counted_failure(etbench_ann, tiny_checkpoint, tmp_path,
                                                      capsys):
    samples = json.loads(etbench_ann.read_text())[3:5]
    samples[1]['video'] = 'nowhere/gone.mp4'
    ann = etbench_ann.parent / 'missing_video.json'
    ann.write_text(json.dumps(samples))
    out = tmp_path / 'pred.json'
    assert run_cli(*infer_args(ann, tiny_checkpoint, out)) == 2
    assert re.search(r'sample idx 4 .*video not found: .*gone\.mp4', capsys.readouterr().err)
    assert run_cli(*infer_args(ann, tiny_checkpoint, out, '--on-error', 'record')) == 0
    preds = json.loads(out.read_text())
    assert preds[1]['a'] == '' and preds[0]['a'] != '' and len(preds) == 2
    assert 'failed: sample idx 4 at position 1 (epm, ego4d_nlq): S2LInputError' \
        in capsys.readouterr().out
    assert run_cli(*infer_args(ann, tiny_checkpoint, out, '--on-error', 'record')) == 0
    tries = [r['pos'] for r in part_records(out)]
    assert tries == [0, 1, 1]  # the failed sample is retried (and fails again), the other not
    assert all('error' in r for r in part_records(out)[1:])


def test_an_undecodable_video_names_the_sample(etbench_ann, tiny_checkpoint, tmp_path):
    samples = json.loads(etbench_ann.read_text())[3:4]
    broken = etbench_ann.parent / 'videos' / 'broken.mp4'
    broken.write_bytes(b'not a video at all')
    samples[0]['video'] = 'broken.mp4'
    ann = etbench_ann.parent / 'broken.json'
    ann.write_text(json.dumps(samples))
    with pytest.raises(Exception) as info:
        run_cli(*infer_args(ann, tiny_checkpoint, tmp_path / 'pred.json'))
    assert 'while answering sample idx 3 at position 0 (tvg' in ''.join(info.value.__notes__)


# ------------------------------------------------------------------ sharding
@pytest.mark.slow
def test_two_process_torchrun_shards_and_merges(full_run, etbench_ann, tiny_checkpoint, tmp_path):
    out = tmp_path / 'pred.json'
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
           '--master_port', str(free_port()), '-m', 'mms2l',
           *infer_args(etbench_ann, tiny_checkpoint, out)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from mms2l.etbench_infer import parts_dir, read_records
    for rank in (0, 1):
        positions = [r['pos'] for r in read_records(parts_dir(out) / f'rank{rank}.jsonl')]
        assert positions and all(p % 2 == rank for p in positions)
    assert json.loads(out.read_text()) == json.loads(full_run.read_text())
