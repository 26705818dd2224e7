"""F1, rank correlation, key-shot selection, and the real TVSum human baseline."""
import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from mmvsumm import (VSummInputError, f1_score, frame_scores, keyshot_summary, knapsack,
                     rank_correlation, rank_correlations)
from mmvsumm.io.tvsum_anno import read_tvsum_anno
from mmvsumm.summary import split_long_shots, step_segments_to_shots


def test_f1_by_hand():
    pred = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    users = np.array([[1, 1, 0, 0, 0, 0, 0, 0, 0, 0],    # P = 2/4, R = 1 -> 2/3
                      [0, 0, 0, 1, 1, 1, 1, 0, 0, 0],    # P = 1/4, R = 1/4 -> 1/4
                      [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]])   # no overlap -> 0
    assert f1_score(pred, users, 'mean') == pytest.approx((2 / 3 + 1 / 4) / 3)
    assert f1_score(pred, users, 'max') == pytest.approx(2 / 3)
    with pytest.raises(VSummInputError):
        f1_score(pred, users[:, :5])


def test_rank_correlation_is_mean_of_scipy_per_annotator():
    rng = np.random.default_rng(0)
    pred = rng.random(200)
    users = rng.integers(1, 6, size=(4, 200)).astype(float)
    taus = [kendalltau(pred, u).statistic for u in users]
    rhos = [spearmanr(pred, u).statistic for u in users]
    assert rank_correlation(pred, users, 'kendall') == pytest.approx(np.mean(taus))
    assert rank_correlation(pred, users, 'spearman') == pytest.approx(np.mean(rhos))
    assert rank_correlation(pred, users[:1], 'spearman') == pytest.approx(rhos[0])


def test_rank_correlation_refuses_undefined_values():
    with pytest.raises(VSummInputError, match='prediction is constant'):
        rank_correlation(np.ones(10), np.arange(10.0)[None])
    with pytest.raises(VSummInputError, match=r'annotator\(s\) \[1\]'):
        rank_correlation(np.arange(10.0), np.stack([np.arange(10.0), np.ones(10)]))
    with pytest.raises(VSummInputError, match='rank metric'):
        rank_correlation(np.arange(3.0), np.arange(3.0)[None], 'pearson')


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_non_finite_predictions_and_annotations_are_refused(bad):
    pred, users = np.arange(10.0), np.stack([np.arange(10.0), np.arange(10.0)[::-1]])
    pred[[3, 7]] = bad
    message = (r'rank_correlation: the prediction has 2 NaN or infinite value\(s\), '
               r'the first at index 3')
    for metric in ('kendall', 'spearman'):
        with pytest.raises(VSummInputError, match=message):
            rank_correlation(pred, users, metric)
    with pytest.raises(VSummInputError, match=r'f1_score: the prediction has 2 NaN'):
        f1_score(pred, users > 4)
    users[1, 5] = bad
    with pytest.raises(VSummInputError, match='annotator 1 has a NaN or infinite value at index 5'):
        rank_correlation(np.arange(10.0), users)


def test_tvsum_human_leave_one_out_reproduces_published_values(tvsum_annotations):
    """Otani et al. report tau 0.177 / rho 0.204; the thesis cites 0.1755-0.177 and
    0.2019-0.204. Each annotator against every other one, frame level."""
    taus, rhos = [], []
    for anno in tvsum_annotations.values():
        users = anno.scores
        # the mean over ordered pairs equals the mean over unordered pairs (i < j)
        taus.append(np.concatenate([rank_correlations(users[i], users[i + 1:], 'kendall')
                                    for i in range(len(users) - 1)]).mean())
        rhos.append(np.concatenate([rank_correlations(users[i], users[i + 1:], 'spearman')
                                    for i in range(len(users) - 1)]).mean())
    assert len(taus) == 50
    assert 0.1755 <= np.mean(taus) <= 0.1775
    assert 0.2019 <= np.mean(rhos) <= 0.2045


def test_tvsum_annotation_reader_maps_rows_to_h5_order(tvsum_annotations):
    assert list(tvsum_annotations)[:3] == ['video_1', 'video_2', 'video_3']
    first = tvsum_annotations['video_1']
    assert first.youtube_id == 'AwmHb44_ouw' and first.category == 'VT'
    assert first.scores.shape[0] == 20
    assert all(a.scores.min() >= 1 and a.scores.max() <= 5 for a in tvsum_annotations.values())


def test_frame_scores_hold_until_next_pick():
    held = frame_scores(np.array([1.0, 2.0, 3.0]), np.array([0, 15, 30]), 40)
    assert held.tolist() == [1.0] * 15 + [2.0] * 15 + [3.0] * 10


def test_keyshot_summary_follows_dsnet_conventions():
    rng = np.random.default_rng(4)
    n_frames, picks = 300, np.arange(0, 300, 15)
    scores = rng.random(len(picks))
    shots = np.array([[0, 49], [50, 79], [80, 159], [160, 199], [200, 299]])
    mask, chosen = keyshot_summary(scores, shots, n_frames, picks, value_scale=1000)
    per_frame = np.repeat(scores, 15)
    means = np.array([per_frame[b:e + 1].mean() for b, e in shots])
    lengths = shots[:, 1] - shots[:, 0] + 1
    expected = knapsack(np.trunc(means * 1000), lengths, int(n_frames * 0.15))
    assert chosen.tolist() == expected.tolist()
    assert mask.sum() == lengths[chosen].sum() <= 45
    assert all(mask[b:e + 1].all() for b, e in shots[chosen])


def test_sum_shot_scores_prefer_long_shots():
    picks = np.arange(0, 100, 10)
    scores = np.ones(10)
    shots = np.array([[0, 9], [10, 39], [40, 99]])
    _, by_mean = keyshot_summary(scores, shots, 100, picks, proportion=0.3)
    _, by_sum = keyshot_summary(scores, shots, 100, picks, proportion=0.3, reduce='sum')
    assert by_mean.tolist() == [0]  # equal means: the DP keeps the earliest item
    assert by_sum.tolist() == [1]


def test_shot_helpers():
    shots = step_segments_to_shots(np.array([[0, 1], [2, 4]]), np.array([0, 15, 30, 45, 60]), 70)
    assert shots.tolist() == [[0, 29], [30, 69]]
    pieces = split_long_shots(np.array([[0, 9], [10, 12]]), 4)
    assert pieces.tolist() == [[0, 2], [3, 6], [7, 9], [10, 12]]


@pytest.fixture(scope='module')
def tvsum_annotations():
    from mmcontrast.assets import tvsum_anno_path
    return read_tvsum_anno(tvsum_anno_path())
