"""ETBench scores on hand-checked answers, rule by rule, against independent
re-computations (torch float32 IoU as nncore computes it, the raw
sentence-transformers model for similarities)."""
from __future__ import annotations

import pytest
import torch

from mms2l.evaluation.etbench_captioning import caption_iou
from mms2l.evaluation.etbench_metrics import etbench_iou, score_group
from mms2l.evaluation.etbench_parsing import parse_dense_captions
from mms2l.evaluation.etbench_similarity import SentenceSimilarity, ptb_tokenize

THRESHOLDS = (0.1, 0.3, 0.5, 0.7)
OPTIONS = ['a woman cooks pasta', 'a man rides a bike', 'a dog swims in a lake',
           'children play football']


@pytest.fixture(scope='module')
def sim():
    from mmcontrast.assets import MissingAssetError, minilm_dir
    try:
        minilm_dir()
    except MissingAssetError as exc:
        pytest.skip(str(exc))
    return SentenceSimilarity()


def raw_model(sim: SentenceSimilarity):
    """The sentence-transformers model itself, for re-computing similarities."""
    return sim._encoder()


def nearest_option(sim: SentenceSimilarity, text: str) -> int:
    """The option whose "(X) text" the raw model finds nearest to ``text``."""
    model = raw_model(sim)
    query = torch.tensor(model.encode([text]))
    scores = [float(query @ torch.tensor(model.encode([f'({"ABCD"[i]}) {o}'])).T)
              for i, o in enumerate(OPTIONS)]
    return scores.index(max(scores))


def torch_iou(gt, pred) -> torch.Tensor:
    """IoU as nncore.ops.temporal_iou computes it on torch.Tensor (float32) inputs."""
    gt, pred = torch.Tensor(gt), torch.Tensor(pred)
    inter = (torch.min(gt[:, None, 1], pred[:, 1]) - torch.max(gt[:, None, 0], pred[:, 0])).clamp(0)
    return inter / ((gt[:, 1] - gt[:, 0])[:, None] + (pred[:, 1] - pred[:, 0]) - inter)


def sample(task, a, idx=0, source='src', **fields):
    return dict(idx=idx, task=task, source=source, a=a, **fields)


def referring(answers, gt=1, task='rvq'):
    return [sample(task, a, idx=i, o=OPTIONS, p=gt) for i, a in enumerate(answers)]


# ------------------------------------------------------------------ IoU and thresholds
def test_iou_matches_torch_float32():
    gt = [[0, 10], [20.3, 31.7], [5, 5.5]]
    pred = [[0, 7], [3.3, 9.9], [21, 40.1], [5.2, 5.3]]
    assert etbench_iou(gt, pred).tolist() == torch_iou(gt, pred).tolist()
    assert etbench_iou([[5, 5]], [[5, 5]]).tolist() == [[0.0]]  # officially 0/0


def test_iou_exactly_on_threshold_decided_as_float32():
    # [0, 7] vs [0, 10]: IoU 0.7 exactly in float64, 0.699999988 in float32
    assert torch_iou([[0, 10]], [[0, 7]]).item() < 0.7 <= 7 / 10
    tvg = score_group('tvg', [sample('tvg', '0 - 7', tgt=[0, 10])], None)
    assert tvg['F1@0.7'] == 0 and tvg['F1@0.5'] == 1 and tvg['F1'] == 0.75
    # [0, 3] vs [0, 10]: float32 0.3 is 0.30000001 >= 0.3, a hit
    tem = score_group('tem', [sample('tem', '0 - 3', tgt=[[0, 10]])], None)
    assert tem['R@0.3'] == 1 and tem['R@0.5'] == 0
    # TAL compares the float32 tensor with the threshold in float32: 0.7 is a hit there
    assert bool(torch_iou([[0, 10]], [[0, 7]]).max() >= 0.7)
    tal = score_group('tal', [sample('tal', '0 - 7', tgt=[[0, 10]])], None)
    assert tal['F1@0.7'] == 1 and tal['F1'] == 1


# ------------------------------------------------------------------ worked examples
def test_tvg_worked_example():
    out = score_group('tvg', [sample('tvg', 'It happens in 5 - 15 seconds.', tgt=[10, 20])], None)
    assert out['mIoU'] == round(5 / 15, 5)
    assert [out[f'F1@{t}'] for t in THRESHOLDS] == [1, 1, 0, 0]
    assert out['F1'] == 0.5 and out['Failed'] == 0


def test_tal_worked_example():
    out = score_group('tal', [sample('tal', '0 - 10 seconds, 40 - 50 seconds',
                                     tgt=[[0, 10], [20, 30]])], None)
    # one of two GT spans found, one of two answered spans correct: P = R = F1 = 0.5
    assert [out[f'F1@{t}'] for t in THRESHOLDS] == [0.5] * 4 and out['F1'] == 0.5


def test_evs_worked_example_and_parsed_only_average():
    out = score_group('evs', [sample('evs', '5 - 15', tgt=[[0, 10]])], None)
    assert out['F1'] == 0.5  # tp 5 s, fp 5 s, fn 5 s
    # a failed parse does not enter the EVS mean (it does for TVG/TAL)
    both = score_group('evs', [sample('evs', '5 - 15', tgt=[[0, 10]]),
                               sample('evs', 'no idea', idx=1, tgt=[[0, 10]])], None)
    assert both['F1'] == 0.5 and both['Failed'] == 1
    # whole seconds with Python's rounding: 2.5 -> 2, so [0, 2) of [0, 10)
    half = score_group('evs', [sample('evs', '0 - 2.5', tgt=[[0, 10]])], None)
    assert half['F1'] == round(2 * 1 * 0.2 / 1.2, 5)


def test_tal_independent_recomputation():
    gt, ans = [[0, 10], [12, 20], [30, 33]], '1 - 9, 11 - 14, 29.5 - 33, 50 - 60'
    iou = torch_iou(gt, [[1, 9], [11, 14], [29.5, 33], [50, 60]])
    expected = []
    for thr in THRESHOLDS:
        if iou.max() < thr:
            expected.append(0.0)
            continue
        rec = (iou.amax(dim=1) >= thr).float().mean().item()
        prc = (iou.amax(dim=0) >= thr).float().mean().item()
        expected.append(2 * prc * rec / (prc + rec))
    out = score_group('tal', [sample('tal', ans, tgt=gt), sample('tal', '', idx=1, tgt=gt)], None)
    assert [out[f'F1@{t}'] for t in THRESHOLDS] == [round(e / 2, 5) for e in expected]
    assert out['Failed'] == 1


# ------------------------------------------------------------------ span parsing and failures
@pytest.mark.parametrize('task', ['tvg', 'epm'])
def test_span_formats_and_failures(task):
    answers = {  # answer -> IoU with [10, 20], None: failed parse
        'The event happens in 10.0 - 20.0 seconds.': 1.0,    # "a - b"
        'from 10 to 20': 1.0,                                # "a to b"
        'The event starts at 10 seconds.\nIt ends at 20 seconds.': 1.0,  # a number per line
        '20 - 10': 1.0,                                      # start > end reordered
        '00:00:10 - 00:00:20': 0.0,                          # clock times read as [0, 10]
        'The event starts at 10 and ends at 20.': None,      # one line gives one number
        'I cannot tell.': None,
        '': None,
        '1..5 - 20': None,                                   # no float reads "1..5"
    }
    out = score_group(task, [sample(task, a, idx=i, tgt=[10, 20])
                             for i, a in enumerate(answers)], None)
    assert out['Failed'] == sum(v is None for v in answers.values())
    hits = sum(v == 1.0 for v in answers.values())
    assert out['F1@0.1'] == out['F1@0.7'] == round(hits / len(answers), 5)


def test_tem_takes_best_gt_span_and_first_answer():
    out = score_group('tem', [sample('tem', '31 - 39 and 0 - 10', tgt=[[0, 10], [30, 40]])], None)
    assert out['Rec'] == 1 and out['mIoU'] == 0.8
    failed = score_group('tem', [sample('tem', '', tgt=[[0, 10]])], None)
    assert failed['Failed'] == 1 and failed['Rec'] == 0


# ------------------------------------------------------------------ VHD
def test_vhd_several_annotators():
    windows = [[[0, 5]], [[10, 15], [20, 25]]]
    answers = ['12.0', 'The highlight is at 25 seconds.', '7', 'no idea', '-3']
    out = score_group('vhd', [sample('vhd', a, idx=i, tgt=windows) for i, a in enumerate(answers)],
                      None)
    # hits: 12 (annotator 2), 25 (end included); misses: 7, -3; failed: "no idea"
    assert out['F1'] == round(2 / 5, 5) and out['Failed'] == 1


# ------------------------------------------------------------------ multiple choice
def test_letter_answers_in_each_format(sim):
    right = ['(B) a man rides a bike', 'B', 'b.', 'Best Option: (B)', 'best option: B',
             'B) the bike', 'b, surely', 'I think (B).']
    out = score_group('rar', referring(right), sim)
    assert out['Acc'] == 1 and out['Failed'] == 0
    # a wrong letter: officially the similarity fallback still reads the rest of the
    # answer (lower-cased, "best option:" and "(" stripped); with 'final' it decides
    wrong = {'(C)': 'c)', 'D': 'd',
             'Best Option: (A) a woman cooks pasta': 'a) a woman cooks pasta'}
    out = score_group('rar', referring(list(wrong)), sim)
    expected = sum(nearest_option(sim, text) == 1 for text in wrong.values())
    assert out['Acc'] == round(expected / 3, 5) and out['Failed'] == 0
    assert score_group('rar', referring(list(wrong)), sim, letter_rule='final')['Acc'] == 0


def test_wrong_letter_falls_through_officially(sim):
    answer = ['(C) a man rides a bike']
    assert nearest_option(sim, 'c) a man rides a bike') == 1
    assert score_group('rvq', referring(answer), sim)['Acc'] == 1
    assert score_group('rvq', referring(answer), sim, letter_rule='final')['Acc'] == 0


def test_empty_and_free_text_answers(sim):
    out = score_group('eca', referring(['', '   ']), sim)
    assert out['Acc'] == 0 and out['Failed'] == 2
    # free text: the nearest option by similarity; scored, but counted as a failed parse
    out = score_group('eca', referring(['The man is riding a bicycle.', 'Dogs are swimming']), sim)
    assert nearest_option(sim, 'the man is riding a bicycle.') == 1
    assert nearest_option(sim, 'dogs are swimming') == 2
    assert out['Acc'] == 0.5 and out['Failed'] == 2
    # "A man ..." starts with a standalone "a": read as option A (not a failure), wrong,
    # then officially the similarity fallback still finds B
    out = score_group('eca', referring(['A man is riding a bicycle.']), sim)
    assert nearest_option(sim, 'a man is riding a bicycle.') == 1
    assert out['Acc'] == 1 and out['Failed'] == 0
    assert score_group('eca', referring(['A man is riding a bicycle.']), sim,
                       letter_rule='final')['Acc'] == 0


def test_gvq_wrong_answer_right_span():
    gvq = [sample('gvq', a, idx=i, o=OPTIONS, p=0, tgt=[10, 20]) for i, a in enumerate(
        ['(B) 10 - 20 seconds', '(A) 10 - 20 seconds', 'A', ''])]
    out = score_group('gvq', gvq, SentenceSimilarity())
    # only #1 is right and localised; #2 is right without a span; #3 is empty
    assert out['Rec'] == 0.25 and out['Acc'] == 0.5 and out['Failed'] == 2


# ------------------------------------------------------------------ dense captioning
def test_dense_caption_formats():
    assert parse_dense_captions('0 - 10 seconds, a man chops onions. 20 - 30 seconds, '
                                'he fries them.') == (
        [[0.0, 10.0], [20.0, 30.0]], ['a man chops onions.', 'he fries them.'])
    assert parse_dense_captions('Start time: 5s, End time: 12s, Description: a dog runs.') == (
        [[5.0, 12.0]], ['a dog runs.'])
    # one number t > 20 in the first line: [t - 20, t + 20]; "m:ss": the same around it
    assert parse_dense_captions('At 30 seconds, the man opens the door.') == (
        [[10.0, 50.0]], ['the man opens the door.'])
    assert parse_dense_captions('1:30 seconds, a dog barks') == ([[70.0, 110.0]], ['a dog barks.'])
    assert parse_dense_captions('start time 5, end time 9, a dog') is None
    assert parse_dense_captions('') is None and parse_dense_captions('nothing here') is None


def test_ptb_tokenize():
    assert (ptb_tokenize("A man's dog, (running) -- don't stop!")
            == "a man 's dog running do n't stop")


def test_dvc_caption_repeated_over_two_windows(sim):
    gt_caps = ['A man chops onions.', 'He fries the onions!']
    answer = '0 - 10 seconds, a man chops onions. 20 - 30 seconds, a man chops onions.'
    samples = [sample('dvc', answer, video='v1.mp4', tgt=[[0, 10], [20, 30]], g=gt_caps),
               sample('dvc', '', idx=1, video='v2.mp4', tgt=[[0, 10]], g=['x happens'])]
    out = score_group('dvc', samples, sim)
    # both windows found: P = R = 1 on the parsed video, scaled by 1 parsed / 2 samples
    assert [out[f'F1@{t}'] for t in THRESHOLDS] == [0.5] * 4 and out['Failed'] == 1
    model = raw_model(sim)
    refs = torch.tensor(model.encode(['a man chops onions', 'he fries the onions']))
    hyps = torch.tensor(model.encode(['a man chops onions', 'a man chops onions']))
    assert out['Sim'] == pytest.approx(float((refs * hyps).sum(1).mean()), abs=2e-5)


def test_caption_iou_strict_threshold(sim):
    assert caption_iou([0, 10], [5, 15]) == pytest.approx(5 / 15)
    samples = [sample('slc', '0 - 5 seconds, a dog runs around.', video='v.mp4',
                      tgt=[[0, 10]], g=['a dog runs around'])]
    # IoU 0.5 (less the 1e-8 guard) is not > 0.5: found at 0.1 and 0.3 only
    out = score_group('slc', samples, sim)
    assert [out[f'F1@{t}'] for t in THRESHOLDS] == [1, 1, 0, 0]


def test_sentence_model_loaded_lazily():
    sim = SentenceSimilarity()
    score_group('tvg', [sample('tvg', '0 - 5', tgt=[0, 10])], sim)
    score_group('rar', referring(['(B)', 'b']), sim)
    assert not sim.loaded
